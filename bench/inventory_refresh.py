"""Full cache refresh of a seeded district: calls, HTTP requests, seconds and courses/s.

    .venv/bin/python bench/inventory_refresh.py [--courses 2000] [--memberships 50000] [--runs 3]
                                                [--concurrency 1,2,4] [--latency-ms 0]
                                                [--store sqlite|postgresql|URL]

Starts the emulator in a separate process (``littlesis.emulator.cli --port 0 --seed FILE``, so
client and server don't share a GIL) seeded with ``tests/classroom/inventory_seed.district_seed``
(every course state, rosters longer than a page, guardians), then for each client concurrency
runs ``inventory.full_refresh`` --runs times into a migrated store with an empty cache (a new SQLite
file per run by default; ``postgresql``: a throwaway database on the local server) and prints the
median run as a markdown table. "budget" is the issue's limit: courses.list pages
+ one aliases.list, teachers.list and students.list per course (+ pages beyond the first of long
rosters) + the guardian lists. After the first run of each row the cache must equal
``GET /_emulator/state`` (exit status 1 otherwise, or when a run goes over the budget).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT)]
sys.path.insert(0, str(ROOT / "bench"))

from emulator_process import emulator_process  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from littlesis.classroom import GoogleClassroomClient  # noqa: E402
from littlesis.classroom.credentials import static_token  # noqa: E402
from littlesis.classroom.inventory import full_refresh  # noqa: E402
from littlesis.classroom.inventory_report import RefreshReport  # noqa: E402
from littlesis.store.base import target_metadata  # noqa: E402
from littlesis.store.cache import read_cache  # noqa: E402
from littlesis.store.engine import make_engine, session_scope, sqlite_url  # noqa: E402
from littlesis.store.migrate import upgrade  # noqa: E402
from tests.classroom.inventory_seed import district_seed, expected_cache, memberships_of, sorted_cache  # noqa: E402

DOMAIN = "district.example.org"
ADMIN = f"admin@{DOMAIN}"
ROSTER_PAGE = 30  # the emulator's teachers/students page cap


@contextmanager
def emulator(seed: dict[str, Any], latency_ms: int) -> Iterator[str]:
    with emulator_process(seed, "--latency-ms", str(latency_ms)) as url:
        yield url


def state_of(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}_emulator/state", timeout=120) as answer:
        return dict(json.loads(answer.read()))


def budget(state: dict[str, Any]) -> int:
    courses = state["courses"]
    return (max(1, math.ceil(len(courses) / 1000)) + 2 * len(courses)
            + sum(max(1, math.ceil(len(c["students"]) / ROSTER_PAGE)) for c in courses)
            + max(1, math.ceil(len(state["guardianInvitations"]) / 1000))
            + max(1, math.ceil(len(state["guardians"]) / 1000)))


@contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the server of ``admin_url`` (its maintenance database), dropped afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"littlesis_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def store(url: str | None, folder: Path, n: int) -> Iterator[Any]:
    """A migrated store with an empty cache: a new SQLite file per run (``url`` None), or ``url``."""
    url = url or sqlite_url(folder / f"store-{n}.db")
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in target_metadata().sorted_tables:
            if table.name.startswith("ls_cache_"):
                conn.execute(text(f"DELETE FROM {table.name}"))
    try:
        yield engine
    finally:
        engine.dispose()


def one_run(base_url: str, engine: Any, concurrency: int) -> RefreshReport:
    with GoogleClassroomClient(base_url, credentials=static_token(ADMIN), concurrency=concurrency) as client:
        return full_refresh(client, engine, DOMAIN)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--memberships", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", default="1,2,4", help="comma-separated client concurrencies (rows)")
    parser.add_argument("--latency-ms", type=int, default=0, help="emulator latency per HTTP request")
    parser.add_argument("--store", default="sqlite",
                        help="'sqlite' (temporary files), 'postgresql' (a throwaway database on --pg-admin's server) "
                             "or the URL of a store database to use (its cache is emptied)")
    parser.add_argument("--pg-admin", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
                        help="maintenance database URL used to create and drop the throwaway database")
    args = parser.parse_args(argv)
    if args.store not in ("sqlite", "postgresql") and make_url(args.store).database in (None, "", "postgres"):
        parser.error("--store: name a database of its own, not the maintenance database (or use 'postgresql')")
    rows: list[tuple[int, RefreshReport, float, bool]] = []
    failed = False
    with ExitStack() as stack:
        base_url = stack.enter_context(emulator(district_seed(args.courses, args.memberships), args.latency_ms))
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        url = None if args.store in ("sqlite", "postgresql") else args.store
        if args.store == "postgresql":
            url = stack.enter_context(throwaway_postgres(args.pg_admin))
        state = state_of(base_url)
        limit, expected = budget(state), expected_cache(state)
        for concurrency in (int(x) for x in args.concurrency.split(",") if x.strip()):
            reports: list[RefreshReport] = []
            same = False
            for n in range(args.runs):
                with store(url, Path(folder), len(rows) * args.runs + n) as engine:
                    reports.append(one_run(base_url, engine, concurrency))
                    if n == 0:
                        with session_scope(engine, readonly=True) as session:
                            same = sorted_cache(vars(read_cache(session, DOMAIN))) == expected
                        failed |= not same
            failed |= any(not r.ok or r.total_calls > limit for r in reports)
            median = sorted(reports, key=lambda r: r.seconds)[len(reports) // 2]
            rows.append((concurrency, median, statistics.median(r.seconds for r in reports), same))
    print(f"Full refresh of {len(state['courses'])} courses / {memberships_of(state)} memberships "
          f"({len(state['guardians'])} guardians, {len(state['guardianInvitations'])} invitations), emulator in a "
          f"subprocess with {args.latency_ms} ms latency, store {args.store.split(':')[0]}, median of {args.runs} "
          "runs\n")
    print("| client concurrency | calls | budget | HTTP requests | retries | seconds | courses/s | memberships/s "
          "| cache = state |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for concurrency, report, seconds, same in rows:
        print(f"| {concurrency} | {report.total_calls} | {limit} | {report.http_requests} | {report.counts.retries} "
              f"| {seconds:.2f} | {report.courses / seconds:.0f} | {report.memberships / seconds:.0f} "
              f"| {'yes' if same else 'NO'} |")
    calls = rows[0][1].calls if rows else {}
    print("\ncalls by method: " + ", ".join(f"{method} {n}" for method, n in sorted(calls.items())))
    print(f"\nwithin budget and cache = state: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
