"""`bin/littlesis` (or `python -m littlesis`): the command line of the product."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from littlesis.core.errors import ConfigError, LittleSisError
from littlesis.core.job_files import config_files, read_job, read_jobs
from littlesis.core.sources.loader import mapping_problems
from littlesis.core.sources.locations import PathMap

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIGS = PROJECT_ROOT / "include" / "job_configs"


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [DEFAULT_CONFIGS]
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"{path}: file does not exist")
    jobs = read_jobs([p for p in paths if p.exists()])
    problems = list(jobs.problems)
    path_map = PathMap.from_env()
    for loaded in jobs.jobs:
        problems.extend(mapping_problems(loaded.config, loaded.path, path_map))
    for problem in problems:
        print(problem)
    if problems or missing:
        return 1
    print(f"ok: {len(jobs.jobs)} job config(s) valid", file=sys.stderr)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from littlesis.core.preview import preview, render_text

    path = Path(args.config)
    job = read_job(path)
    result = preview(job, path, PathMap.from_env())
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(render_text(result, args.limit))
    return 0


def cmd_demo_sync(args: argparse.Namespace) -> int:
    """Validate the demo jobs, show their scope, then sync them into an emulated Classroom domain (no Airflow)."""
    from littlesis.core.preview import preview, render_text
    from littlesis.deploy.sync_demo import sync_demo_jobs

    configs = config_files([DEFAULT_CONFIGS])
    demo = [p for p in configs if p.stem.startswith("demo")]
    print(f"Validating {len(configs)} job config(s) in {DEFAULT_CONFIGS.relative_to(PROJECT_ROOT)}")
    if cmd_validate(argparse.Namespace(paths=[])) != 0:
        return 1
    for path in demo:
        print()
        print(render_text(preview(read_job(path), path, PathMap.from_env()), limit=8))
    print()
    _logs_to_stderr()
    return sync_demo_jobs(demo, PROJECT_ROOT)


def cmd_analyze(args: argparse.Namespace) -> int:
    from littlesis.classroom.connection import connect, load_settings
    from littlesis.classroom.inventory import full_refresh
    from littlesis.orchestration.connections import classroom_domain, store_url
    from littlesis.service.analysis_run import run_analysis
    from littlesis.store.engine import make_engine
    from littlesis.store.migrate import upgrade

    path = Path(args.config)
    job = read_job(path)
    url = store_url()
    _logs_to_stderr()  # Airflow's logging setup writes to stdout, which --json keeps for itself
    upgrade(url)
    engine = make_engine(url)
    settings = load_settings()
    domain = classroom_domain(settings)

    def refresh() -> None:
        print(f"The Classroom cache of {domain} was never filled: reading every course first...", file=sys.stderr)
        client = connect(settings=settings)
        try:
            full_refresh(client, engine, domain)
        finally:
            client.close()

    outcome = run_analysis(job, path, engine, domain, refresh=refresh, path_map=PathMap.from_env())
    summary = outcome.summary()
    if args.json:
        print(json.dumps({k: summary[k] for k in ("counts", "unsafe", "unsafe_reasons", "excluded", "rejected_rows")}))
        return 0
    age = summary["cache_age_seconds"]
    print(f"Run {outcome.run_id} of job {job.id}: analyzed against the Classroom cache of {domain} "
          f"({'just filled' if outcome.cache_refreshed else f'{age // 60} min old' if age is not None else 'empty'})")
    for kind, count in summary["counts"].items():
        print(f"  {kind}: {count:,}")
    print(f"  no updates required: {summary['no_updates_required']:,} classes; excluded: {summary['excluded']:,};"
          f" rejected rows: {summary['rejected_rows']:,}; suggested matches: {summary['suggested_matches']:,}")
    for reason in summary["unsafe_reasons"]:
        print(f"UNSAFE: {reason} (a person must confirm this plan)")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from littlesis.classroom.connection import connect, load_settings
    from littlesis.orchestration.connections import classroom_domain, store_url
    from littlesis.service.sync_run import run_sync
    from littlesis.store.engine import make_engine
    from littlesis.store.migrate import upgrade

    path = Path(args.config)
    job = read_job(path)
    url = store_url()
    _logs_to_stderr()
    upgrade(url)
    engine = make_engine(url)
    settings = load_settings()
    client = connect(settings=settings)
    try:
        outcome = run_sync(job, path, engine, client, classroom_domain(settings), approve=args.approve,
                           actor=f"cli:{getpass.getuser()}", path_map=PathMap.from_env())
    finally:
        client.close()
    summary = outcome.summary()
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(f"Run {outcome.analysis.run_id} of job {job.id}")
        for kind, count in summary["analysis"]["counts"].items():
            print(f"  planned {kind}: {count:,}")
        commit = summary.get("commit")
        if commit:
            print(f"  committed: {commit.get('state')}; by status: {commit.get('run_statuses')}")
            for failure in commit.get("failures", [])[:20]:
                print(f"  FAILED {failure}")
        print(f"  courses re-read into the cache: {outcome.refreshed_courses:,}; teachers notified: "
              f"{outcome.notified:,}")
        for note in outcome.notes:
            print(f"  note: {note}")
    failed = outcome.commit is not None and outcome.commit.state == "failed"
    return 1 if failed else 0


def _logs_to_stderr() -> None:
    import logging

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s",
                        force=True)


def cmd_setup(args: argparse.Namespace) -> int:
    from littlesis.deploy.setup import main as setup_main

    return setup_main(args)


def cmd_emulator(args: argparse.Namespace) -> int:
    from littlesis.emulator.cli import main as emulator_main

    return emulator_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="littlesis", description="Little SIS Sync for Airflow")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check job configs; exit 1 and list every problem")
    validate.add_argument("paths", nargs="*", help=f"config files or folders (default {DEFAULT_CONFIGS})")
    validate.set_defaults(func=cmd_validate)

    prev = commands.add_parser("preview", help="load a job's export and show the classes in scope")
    prev.add_argument("config")
    prev.add_argument("--json", action="store_true", help="print the summary as JSON")
    prev.add_argument("--limit", type=int, default=20, help="classes to list")
    prev.set_defaults(func=cmd_preview)

    analyze = commands.add_parser(
        "analyze", help="load, apply rules, match and plan against the Classroom cache; store the plan")
    analyze.add_argument("config")
    analyze.add_argument("--json", action="store_true", help="print counts, unsafe, excluded, rejected_rows as JSON")
    analyze.set_defaults(func=cmd_analyze)

    sync = commands.add_parser(
        "sync", help="the whole pipeline in one process: analyze, stage, commit, refresh, notify")
    sync.add_argument("config")
    sync.add_argument("--approve", choices=["all", "none"], required=True,
                      help="all: stage everything the safety guard allows and commit it; none: stop after analysis")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(func=cmd_sync)

    emulator = commands.add_parser(
        "emulator", help="serve the Classroom API emulator (--host --port --seed --faults --latency-ms --quota-qps)",
        add_help=False)
    emulator.add_argument("rest", nargs=argparse.REMAINDER)
    emulator.set_defaults(func=cmd_emulator)

    from littlesis.deploy.setup import add_arguments as setup_arguments

    setup = commands.add_parser(
        "setup", help="migrate the store; create the connections and the commit pool in Airflow (idempotent)")
    setup_arguments(setup)
    setup.set_defaults(func=cmd_setup)

    from littlesis.deploy.demo_commands import add_commands as add_demo_commands

    demo = commands.add_parser("demo", help="the demo: up (Airflow standalone; `make demo`), stop, status, mail, sync")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    add_demo_commands(demo_commands)
    demo_commands.add_parser(
        "sync", help="validate the demo jobs, preview them and sync them into an in-process emulator (no Airflow)"
    ).set_defaults(func=cmd_demo_sync)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:  # the emulator parses its own options (and --help)
        return cmd_emulator(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except LittleSisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
