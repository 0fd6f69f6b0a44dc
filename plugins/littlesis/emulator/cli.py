"""``bin/littlesis emulator``: serve the Classroom emulator until SIGINT or SIGTERM.

    littlesis emulator --host 127.0.0.1 --port 8089 [--seed FILE] [--faults SPEC]
                       [--fault-seed N] [--latency-ms N] [--quota-qps N]

Prints ``Classroom emulator listening on http://HOST:PORT/`` once it accepts
connections (with ``--port 0`` that line tells the chosen port).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from littlesis.emulator.faults import FaultSpecError, parse_spec
from littlesis.emulator.seed import SeedError
from littlesis.emulator.server import EmulatorServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="littlesis emulator", description="Google Classroom API v1 emulator")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port (0 picks a free one; default 8089)")
    parser.add_argument("--seed", type=Path, help="seed JSON file (domains, users, courses)")
    parser.add_argument("--faults", help="fault SPEC, e.g. 'courses.students.create=429@0.1;user_not_found=2'")
    parser.add_argument("--fault-seed", type=int, default=0, help="random seed for fault draws (default 0)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every HTTP request (a batch is one)")
    parser.add_argument("--quota-qps", type=float, help="per-user calls per second; batch parts count")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        parse_spec(args.faults)
        seed = json.loads(args.seed.read_text(encoding="utf-8")) if args.seed else None
        if args.latency_ms < 0 or (args.quota_qps is not None and args.quota_qps <= 0):
            raise ValueError("--latency-ms must be >= 0 and --quota-qps > 0")
        server = EmulatorServer(args.host, args.port, seed=seed, faults=args.faults, fault_seed=args.fault_seed,
                                latency_ms=args.latency_ms, quota_qps=args.quota_qps)
    except (OSError, ValueError, FaultSpecError, SeedError) as exc:
        print(f"littlesis emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        url = server.start()
    except OSError as exc:
        print(f"littlesis emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"Classroom emulator listening on {url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
