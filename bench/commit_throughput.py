"""Commit throughput under the quota: 10,000 roster changes through ``apply_run``, against the quota bound.

    .venv/bin/python bench/commit_throughput.py [--actions 10000] [--baseline 1000] [--qps 200]
                                                [--latency-ms 100] [--concurrency 4] [--wave 200]

Starts the emulator in a separate process (``littlesis.emulator.cli --quota-qps Q --latency-ms L``,
so client and server don't share a GIL) and a SQLite store in a temporary directory. Each
scenario is one approved run of ``add_student`` actions (new students spread over courses of
500) committed by ``apply_run`` with a ``GoogleClassroomClient`` limited to Q calls/s: results
are written to the store wave by wave, as in production. The main scenario batches (50 a
batch, ``--concurrency`` batches in flight); the baseline sends one call at a time (max_batch=1,
concurrency=1) on ``--baseline`` actions. The quota bound is actions / Q seconds; the target is
the main scenario within 1.1x of it, every action done and every student enrolled.
Exit status 1 when the target is missed or anything was lost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from emulator_process import emulator_process  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from littlesis.classroom import GoogleClassroomClient, RetryPolicy, TokenBucket  # noqa: E402
from littlesis.classroom.apply import apply_run  # noqa: E402
from littlesis.classroom.credentials import static_token  # noqa: E402
from littlesis.store import actions, decisions, jobs, runs  # noqa: E402
from littlesis.store.engine import make_engine, session_scope, sqlite_url  # noqa: E402
from littlesis.store.filters import ActionFilter  # noqa: E402
from littlesis.store.migrate import upgrade  # noqa: E402

DOMAIN = "bench.example.org"
ADMIN = f"admin@{DOMAIN}"
PER_COURSE = 500  # the emulator caps a course at 1000 members


@dataclass
class Scenario:
    name: str
    prefix: str
    actions: int
    max_batch: int
    concurrency: int


@dataclass
class Outcome:
    scenario: Scenario
    seconds: float
    done: int
    enrolled: int
    calls: int
    http_requests: int
    retries: int
    refused_429: int


def courses_for(scenario: Scenario) -> int:
    return -(-scenario.actions // PER_COURSE)


def seed(scenarios: list[Scenario]) -> dict[str, Any]:
    return {"domains": [DOMAIN], "auto_users": True, "courses": [
        {"name": f"{s.prefix} {i}", "ownerEmail": f"teacher{i}@{DOMAIN}", "courseState": "ACTIVE",
         "aliases": [f"d:{s.prefix}-{i}"]} for s in scenarios for i in range(courses_for(s))]}


@contextmanager
def emulator(qps: float, latency_ms: int, seed_data: dict[str, Any]) -> Iterator[str]:
    with emulator_process(seed_data, "--quota-qps", str(qps), "--latency-ms", str(latency_ms)) as url:
        yield url


def hook(base_url: str, method: str, path: str) -> Any:
    request = urllib.request.Request(f"{base_url}_emulator/{path}", method=method)
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def plan(engine: Engine, scenario: Scenario) -> str:
    """An approved run of ``scenario.actions`` add_student actions, all staged."""
    run_id = f"bench-{scenario.prefix}"
    rows = ({"action_id": f"{scenario.prefix}-{n:06d}", "kind": "add_student", "alias": f"{scenario.prefix}-{course}",
             "target": f"d:{scenario.prefix}-{course}", "payload": {"userId": f"{scenario.prefix.lower()}{n}@{DOMAIN}"},
             "reason": "enrolled in the SIS", "position": n}
            for n in range(scenario.actions) for course in [n % courses_for(scenario)])
    with session_scope(engine) as session:
        jobs.upsert_job(session, job_id=run_id, name=run_id, config_path="-", config_sha="0" * 64,
                        automation_mode="automatic")
        runs.create_run(session, run_id=run_id, job_id=run_id, state="pending_review")
        actions.save_plan(session, run_id, rows)
        decisions.stage_actions(session, run_id, actor="bench", where=ActionFilter())
        decisions.approve_run(session, run_id, actor="bench")
    return run_id


def commit(base_url: str, engine: Engine, scenario: Scenario, qps: float, wave: int) -> Outcome:
    run_id = plan(engine, scenario)
    hook(base_url, "DELETE", "journal")
    client = GoogleClassroomClient(base_url, credentials=static_token(ADMIN), limiter=TokenBucket(qps),
                                   retry=RetryPolicy(max_attempts=12), concurrency=scenario.concurrency,
                                   max_batch=scenario.max_batch)
    try:
        started = time.perf_counter()
        report = apply_run(client, engine, run_id, domain=DOMAIN, actor="bench", wave_size=wave)
        seconds = time.perf_counter() - started
    finally:
        client.close()
    state = hook(base_url, "GET", "state")
    enrolled = sum(len(c["students"]) for c in state["courses"] if c["aliases"][0].startswith(f"d:{scenario.prefix}-"))
    journal = hook(base_url, "GET", "journal")["entries"]
    refused = sum(1 for e in journal for p in e.get("parts") or [e] if p["status"] == 429)
    return Outcome(scenario, seconds, report.totals().get("done", 0), enrolled, report.calls.total_calls,
                   report.calls.http_requests, report.calls.retries, refused)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=10_000, help="roster changes in the main scenario")
    parser.add_argument("--baseline", type=int, default=1_000, help="roster changes sent one call at a time")
    parser.add_argument("--qps", type=float, default=200.0, help="the emulator's quota and the client's limiter")
    parser.add_argument("--latency-ms", type=int, default=100, help="added to every HTTP request (a batch is one)")
    parser.add_argument("--concurrency", type=int, default=4, help="batches in flight in the main scenario")
    parser.add_argument("--wave", type=int, default=200, help="actions sent between two writes of results")
    args = parser.parse_args(argv)
    scenarios = [Scenario(f"batched (50 a batch, {args.concurrency} in flight)", "MAIN", args.actions, 50,
                          args.concurrency)]
    if args.baseline:
        scenarios.append(Scenario("sequential baseline (one call at a time)", "BASE", args.baseline, 1, 1))
    with tempfile.TemporaryDirectory() as tmp, emulator(args.qps, args.latency_ms, seed(scenarios)) as base_url:
        url = sqlite_url(Path(tmp) / "store.db")
        upgrade(url)
        engine = make_engine(url)
        outcomes = [commit(base_url, engine, s, args.qps, args.wave) for s in scenarios]
        engine.dispose()
    print(f"Commit throughput: add_student actions through apply_run against --quota-qps {args.qps:g} and "
          f"--latency-ms {args.latency_ms}; client limiter {args.qps:g} calls/s, results written every "
          f"{args.wave} actions\n")
    print("| scenario | actions | seconds | actions/s | quota bound (s) | vs bound | HTTP requests | retries "
          "| 429s | done | enrolled |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for o in outcomes:
        bound = o.scenario.actions / args.qps
        print(f"| {o.scenario.name} | {o.scenario.actions:,} | {o.seconds:.1f} | {o.scenario.actions / o.seconds:.1f} "
              f"| {bound:.1f} | {o.seconds / bound:.2f}x | {o.http_requests:,} | {o.retries} | {o.refused_429} "
              f"| {o.done:,} | {o.enrolled:,} |")
        failed |= o.done != o.scenario.actions or o.enrolled != o.scenario.actions
    main_ratio = outcomes[0].seconds / (outcomes[0].scenario.actions / args.qps)
    failed |= main_ratio > 1.1
    if len(outcomes) > 1:
        per_action = [o.seconds / o.scenario.actions for o in outcomes]
        print(f"\nbatched vs sequential, per action: {per_action[1] / per_action[0]:.1f}x faster")
    print(f"\ntarget: batched within 1.1x of the quota bound ({main_ratio:.2f}x), nothing lost: "
          f"{'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
