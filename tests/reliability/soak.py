"""Soak: many fault seeds in a row, with progress, and the figures docs/reliability.md reports.

    make soak SEEDS=500
    .venv/bin/python -m tests.reliability.soak --seeds 500 [--start 0] [--backends sqlite,postgresql]
                                               [--out soak.json] [--log soak.log]

Seed ``start + i`` runs on backend ``i % len(backends)`` (PostgreSQL is left out, with a
note, when no server answers). After each seed a line says done/total, rate, time left and
the violations so far; at the end, the seeds run, the faults drawn and fired by kind, the
plan sizes, the reruns and every violation with its seed. ``--out`` keeps it all as JSON
(one record per seed). The emulator's own noise (a client killed mid-answer) goes to ``--log``.
Exit status 1 when any seed broke a property.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from littlesis.core.progress import Progress
from tests.reliability.fault_mix import draw
from tests.reliability.scenario import Outcome, run_scenario
from tests.reliability.stores import BACKENDS, PgStores, SqliteStores


def _record(outcome: Outcome) -> dict[str, Any]:
    return {"seed": outcome.seed, "backend": outcome.backend, "faults": list(outcome.mix.kinds),
            "fault_spec": outcome.mix.describe(), "fired": dict(outcome.injected), "actions": dict(outcome.actions),
            "commits": outcome.commits, "interruptions": outcome.interruptions, "violations": outcome.violations,
            "seconds": round(outcome.seconds, 2)}


def _run(seed: int, stores: SqliteStores | PgStores, folder: Path) -> Outcome:
    """The scenario; one that crashes (the harness or the code under test) counts as a violation."""
    try:
        return run_scenario(seed, stores, folder)
    except Exception:
        outcome = Outcome(seed, stores.backend, draw(seed, stores.backend, 0))
        outcome.violations.append(f"the scenario crashed: {traceback.format_exc(limit=-4)}")
        return outcome


def summarize(records: list[dict[str, Any]], seconds: float, notes: list[str]) -> dict[str, Any]:
    def total(key: str) -> dict[str, int]:
        out: Counter[str] = Counter()
        for r in records:
            out.update(r[key])
        return dict(out.most_common())

    return {
        "machine": f"{platform.node()}: {platform.processor() or platform.machine()}, Python "
                   f"{platform.python_version()}, {os.cpu_count()} CPUs",
        "seeds_run": len(records),
        "by_backend": dict(Counter(r["backend"] for r in records)),
        "seeds_with_fault_kind": total("faults"),
        "faults_fired_by_kind": total("fired"),
        "actions_by_kind": total("actions"),
        "actions": sum(sum(r["actions"].values()) for r in records),
        "commits_per_seed": dict(sorted(Counter(r["commits"] for r in records).items())),
        "interrupted_commits": sum(len(r["interruptions"]) for r in records),
        "violations": [f"seed {r['seed']} ({r['backend']}): {v}" for r in records for v in r["violations"]],
        "seeds_with_violations": sum(bool(r["violations"]) for r in records),
        "seconds": round(seconds, 1),
        "median_seed_seconds": sorted(r["seconds"] for r in records)[len(records) // 2] if records else 0,
        "notes": notes,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds to run")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="store backends, taken in turn")
    parser.add_argument("--out", type=Path, help="write the summary and one record per seed as JSON")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "littlesis-soak.log",
                        help="where the emulator's stderr noise goes")
    args = parser.parse_args(argv)
    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(wanted) - set(BACKENDS)
    if unknown or not wanted:
        parser.error(f"--backends: use {', '.join(BACKENDS)}, not {sorted(unknown) or 'nothing'}")
    notes: list[str] = []
    records: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="littlesis-soak-") as tmp, args.log.open("w") as log:
        stores: dict[str, SqliteStores | PgStores] = {}
        if "sqlite" in wanted:
            stores["sqlite"] = SqliteStores(Path(tmp))
        if "postgresql" in wanted:
            pg = PgStores.connect()
            if pg is None:
                notes.append("PostgreSQL left out: no server answered")
            else:
                stores["postgresql"] = pg
        if not stores:
            print("no store backend available", file=sys.stderr)
            return 2
        order = list(stores.values())
        progress = Progress("soak", args.seeds)
        try:
            for i in range(args.seeds):
                seed = args.start + i
                folder = Path(tmp) / f"seed-{seed}"
                folder.mkdir()
                with contextlib.redirect_stderr(log):
                    outcome = _run(seed, order[i % len(order)], folder)
                records.append(_record(outcome))
                broken = sum(bool(r["violations"]) for r in records)
                print(f"{progress.advance(1)}; seed {seed} ({outcome.backend}) {outcome.seconds:.1f} s, "
                      f"{len(outcome.violations)} violations; seeds with violations so far: {broken}", flush=True)
                for violation in outcome.violations:
                    print(f"  VIOLATION seed {seed}: {violation}", flush=True)
        finally:
            for backend in stores.values():
                backend.close()
    summary = summarize(records, time.monotonic() - started, notes)
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "seeds": records}, indent=1) + "\n")
    return 1 if summary["violations"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
