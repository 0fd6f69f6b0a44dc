"""Classroom emulator throughput: calls per second through batches of 50.

    .venv/bin/python bench/emulator_throughput.py [--runs 5] [--batches 40] [--in-process]

Starts an emulator on a free port (a separate process unless --in-process, so the
client and the server don't share one GIL), seeds a domain, and times sequential
batches of 50 small calls. Each workload runs --runs times; the table shows the
median, min and max calls per second. Workloads:

- raw reads:   courses.get by alias, batch bodies built by hand, sent with http.client
- raw writes:  courses.students.create of new users (auto-created on first use)
- client reads: courses.get through google-api-python-client's BatchHttpRequest
                (includes the client's own serialising and parsing)
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

from emulator_process import emulator_process  # noqa: E402

DOMAIN = "bench.example.org"
COURSES = 50
BATCH = 50


def seed() -> dict[str, object]:
    return {
        "domains": [DOMAIN],
        "courses": [
            {"name": f"Course {i}", "ownerEmail": f"teacher{i}@{DOMAIN}", "courseState": "ACTIVE",
             "aliases": [f"d:BENCH-{i}"]}
            for i in range(COURSES)
        ],
    }


@contextmanager
def emulator(in_process: bool) -> Iterator[str]:
    if in_process:
        from littlesis.emulator import EmulatorServer

        with EmulatorServer(seed=seed()) as server:
            yield server.base_url
        return
    with emulator_process(seed()) as url:
        yield url


def multipart(requests: list[tuple[str, str, str]]) -> tuple[str, bytes]:
    """A batch body in google-api-python-client's format: (method, path, json body) per part."""
    boundary = "===============bench=="
    chunks = []
    for index, (method, path, body) in enumerate(requests):
        inner = f"{method} {path} HTTP/1.1\nContent-Type: application/json\nMIME-Version: 1.0\n"
        if body:
            inner += f"content-length: {len(body)}\n"
        chunks.append(
            f"--{boundary}\nContent-Type: application/http\nMIME-Version: 1.0\n"
            f"Content-Transfer-Encoding: binary\nContent-ID: <bench + {index}>\n\n{inner}\n{body}\n"
        )
    chunks.append(f"--{boundary}--\n")
    return f'multipart/mixed; boundary="{boundary}"', "".join(chunks).encode()


class RawClient:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        self.counter = 0

    def send(self, content_type: str, body: bytes) -> int:
        self.conn.request("POST", "/batch", body=body, headers={"Content-Type": content_type})
        resp = self.conn.getresponse()
        answer = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"batch failed: {resp.status} {answer[:200]!r}")
        return answer.count(b"HTTP/1.1 200 OK")

    def reads(self) -> int:
        requests = [("GET", f"/v1/courses/{quote(f'd:BENCH-{i % COURSES}', safe='')}?alt=json", "")
                    for i in range(BATCH)]
        return self.send(*multipart(requests))

    def writes(self) -> int:
        requests = []
        for _ in range(BATCH):
            self.counter += 1
            course = quote(f"d:BENCH-{self.counter % COURSES}", safe="")
            body = json.dumps({"userId": f"student{self.counter}@{DOMAIN}"})
            requests.append(("POST", f"/v1/courses/{course}/students?alt=json", body))
        return self.send(*multipart(requests))

    def close(self) -> None:
        self.conn.close()


def client_reads(base_url: str) -> tuple[Callable[[], int], Callable[[], None]]:
    import httplib2
    from googleapiclient.discovery import build
    from googleapiclient.http import BatchHttpRequest

    pool = httplib2.Http(timeout=60)
    service = build("classroom", "v1", http=pool, client_options={"api_endpoint": base_url}, static_discovery=True)

    def one_batch() -> int:
        ok = [0]

        def callback(request_id: str, response: object, exception: Exception | None) -> None:
            ok[0] += exception is None

        batch = BatchHttpRequest(batch_uri=base_url + "batch", callback=callback)
        for i in range(BATCH):
            batch.add(service.courses().get(id=f"d:BENCH-{i % COURSES}"))
        batch.execute(http=pool)
        return ok[0]

    return one_batch, pool.close


def measure(one_batch: Callable[[], int], batches: int, runs: int) -> list[float]:
    one_batch()  # warm-up: connection, caches
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        calls = sum(one_batch() for _ in range(batches))
        if calls != batches * BATCH:
            raise RuntimeError(f"{batches * BATCH - calls} calls failed")
        rates.append(calls / (time.perf_counter() - started))
    return rates


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batches", type=int, default=40, help="batches of 50 per run")
    parser.add_argument("--in-process", action="store_true", help="run the emulator in this process")
    args = parser.parse_args(argv)
    rows = []
    with emulator(args.in_process) as base_url:
        raw = RawClient(base_url)
        try:
            rows.append(("raw reads (courses.get)", measure(raw.reads, args.batches, args.runs)))
            rows.append(("raw writes (students.create)", measure(raw.writes, args.batches, args.runs)))
        finally:
            raw.close()
        one_batch, close = client_reads(base_url)
        try:
            rows.append(("client reads (BatchHttpRequest)", measure(one_batch, max(1, args.batches // 2), args.runs)))
        finally:
            close()
    where = "in-process" if args.in_process else "separate process"
    print(f"Classroom emulator ({where}), batches of {BATCH}, median of {args.runs} runs")
    print(f"{'workload':<34}{'calls/run':>10}{'median/s':>11}{'min/s':>9}{'max/s':>9}")
    for name, rates in rows:
        calls = (args.batches if "raw" in name else max(1, args.batches // 2)) * BATCH
        print(f"{name:<34}{calls:>10}{statistics.median(rates):>11.0f}{min(rates):>9.0f}{max(rates):>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
