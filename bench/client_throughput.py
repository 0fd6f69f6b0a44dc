"""Client throughput against a quota: how close to --quota-qps Q the client gets, losing nothing.

    .venv/bin/python bench/client_throughput.py [--qps 200] [--calls 2000] [--runs 3]
                                                [--latency-ms 0,100] [--concurrency 1] [--no-contrast]

Starts the emulator in a separate process (``littlesis.emulator.cli --port 0 --quota-qps Q``,
so client and server don't share a GIL), then for each latency drives --calls small writes
(courses.students.create of new users) through ``GoogleClassroomClient`` with its token
bucket at Q. Each run starts from a reset emulator; afterwards the emulator's state must
hold every student (no call lost) and every result must be ok. The table shows the median
run; "vs Q" is achieved calls/s over Q (target >= 0.9). The contrast row runs without the
client's limiter (one run: it is slow): the quota answers 429 and only retries get the work done.
Short runs come out slightly above Q: the bucket starts full (a burst of at most 50).
Exit status 1 when a limited row misses the target or anything was lost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
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

from littlesis.classroom import GoogleClassroomClient, RetryPolicy, TokenBucket, calls  # noqa: E402
from littlesis.classroom.credentials import static_token  # noqa: E402

DOMAIN = "bench.example.org"
ADMIN = f"admin@{DOMAIN}"
COURSES = 40  # the emulator caps a course at 1000 members


@dataclass
class Run:
    seconds: float
    ok: int
    enrolled: int
    http_requests: int
    retries: int
    quota_429s: int


def seed() -> dict[str, Any]:
    return {"domains": [DOMAIN], "courses": [
        {"name": f"Course {i}", "ownerEmail": f"teacher{i}@{DOMAIN}", "courseState": "ACTIVE",
         "aliases": [f"d:BENCH-{i}"]} for i in range(COURSES)]}


@contextmanager
def emulator(qps: float) -> Iterator[str]:
    with emulator_process(seed(), "--quota-qps", str(qps)) as url:
        yield url


def hook(base_url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base_url}_emulator/{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def one_run(base_url: str, qps: float, n: int, latency_ms: int, concurrency: int, limited: bool) -> Run:
    hook(base_url, "POST", "reset")
    hook(base_url, "POST", "faults", {"latencyMs": latency_ms})
    work = [calls.add_student(f"d:BENCH-{i % COURSES}", f"student{i}@{DOMAIN}") for i in range(n)]
    client = GoogleClassroomClient(base_url, credentials=static_token(ADMIN),
                                   limiter=TokenBucket(qps) if limited else None,
                                   retry=RetryPolicy(max_attempts=12), concurrency=concurrency)
    try:
        started = time.perf_counter()
        results = client.execute(work)
        seconds = time.perf_counter() - started
        counts = client.counter.snapshot()
    finally:
        client.close()
    state = hook(base_url, "GET", "state")
    enrolled = sum(len(course["students"]) for course in state["courses"])
    journal = hook(base_url, "GET", "journal")["entries"]
    refused = sum(1 for entry in journal for part in entry.get("parts", ()) if part["status"] == 429)
    return Run(seconds, sum(r.ok for r in results), enrolled, counts.http_requests, counts.retries, refused)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qps", type=float, default=200.0, help="the emulator's quota and the client's limiter")
    parser.add_argument("--calls", type=int, default=2000, help="writes per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", default="0,100", help="comma-separated added latencies per HTTP request")
    parser.add_argument("--concurrency", type=int, default=1, help="batches in flight")
    parser.add_argument("--no-contrast", action="store_true", help="skip the run without the client's limiter")
    args = parser.parse_args(argv)
    latencies = [int(x) for x in args.latency_ms.split(",") if x.strip()]
    scenarios = [(f"limiter at Q, {ms} ms latency", ms, True) for ms in latencies]
    if not args.no_contrast:
        scenarios.append((f"no client limiter (429 + retries), {latencies[0]} ms, 1 run", latencies[0], False))
    failed = False
    rows = []
    with emulator(args.qps) as base_url:
        for name, latency, limited in scenarios:
            runs = sorted((one_run(base_url, args.qps, args.calls, latency, args.concurrency, limited)
                           for _ in range(args.runs if limited else 1)), key=lambda r: r.seconds)
            median = runs[len(runs) // 2]
            rate = args.calls / median.seconds
            lost = max(args.calls - r.enrolled for r in runs)
            not_ok = max(args.calls - r.ok for r in runs)
            rows.append((name, median, rate, statistics.median(args.calls / r.seconds / args.qps for r in runs),
                         lost, not_ok))
            failed |= lost > 0 or not_ok > 0 or (limited and rate / args.qps < 0.9)
    print(f"Client throughput: {args.calls} courses.students.create per run against --quota-qps {args.qps:g}, "
          f"concurrency {args.concurrency}, median of {args.runs} runs\n")
    print("| scenario | seconds | calls/s | vs Q | HTTP requests | retries | 429s at the emulator | lost | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, run, rate, ratio, lost, not_ok in rows:
        print(f"| {name} | {run.seconds:.2f} | {rate:.1f} | {ratio:.3f} | {run.http_requests} | {run.retries} "
              f"| {run.quota_429s} | {lost} | {not_ok} |")
    print(f"\ntarget: limited rows >= 0.9 x Q with nothing lost: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
