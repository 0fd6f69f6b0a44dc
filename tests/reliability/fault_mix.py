"""Which faults a seed injects, and when.

Network faults are the emulator's (a SPEC string, see ``littlesis.emulator.faults``, and its
quota); they stay on for the reruns too, as a flaky network does. Process faults hit the
first commit only, once the emulator has answered a seeded number of API calls:

- ``kill``: the commit runs in a child process, which gets SIGKILL;
- ``db_cut`` (PostgreSQL): every connection to the store is terminated, one to three times, each
  time as soon as one of them is in a transaction (within CUT_WAIT_BUSY seconds);
- ``db_lock`` (SQLite): another connection holds the write lock for a while.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NETWORK_KINDS = ("429_storm", "5xx", "latency_spike", "dropped_connection", "apply_then_fail", "user_not_found")
PROCESS_KINDS = ("kill", "db_cut", "db_lock")
KINDS = NETWORK_KINDS + PROCESS_KINDS
CUT_WAIT_BUSY = 1.0


@dataclass(frozen=True)
class Trigger:
    """Fire once the emulator has answered ``after_calls`` API calls, ``delay`` seconds later."""

    after_calls: int
    delay: float


@dataclass(frozen=True)
class FaultMix:
    kinds: tuple[str, ...]
    spec: str = ""  # the emulator's fault rules
    quota_qps: float | None = None  # the emulator's quota (a 429 storm when the client sends faster)
    kill: Trigger | None = None
    store_fault: Trigger | None = None  # db_cut or db_lock, by backend
    cuts: int = 0  # db_cut: how many times the connections are cut
    lock_seconds: float = 0.0  # db_lock: how long the write lock is held

    def describe(self) -> str:
        parts = [self.spec or "no API faults"]
        if self.quota_qps:
            parts.append(f"quota {self.quota_qps:g} qps")
        if self.kill:
            parts.append(f"SIGKILL after {self.kill.after_calls} calls +{self.kill.delay * 1000:.0f} ms")
        if self.store_fault and self.cuts:
            parts.append(f"{self.cuts} db cut(s) after {self.store_fault.after_calls} calls")
        if self.store_fault and self.lock_seconds:
            parts.append(f"db locked {self.lock_seconds:.1f} s after {self.store_fault.after_calls} calls")
        return "; ".join(parts)


def draw(seed: int, backend: str, calls: int) -> FaultMix:
    """The faults of ``seed`` for a commit of about ``calls`` API calls on the store ``backend``."""
    rng = random.Random(f"faults-{seed}")
    chosen = [k for k in NETWORK_KINDS if rng.random() < 0.45]
    if not chosen:
        chosen = [rng.choice(NETWORK_KINDS)]
    rules: list[str] = []
    quota = None
    if "429_storm" in chosen:
        if rng.random() < 0.5:
            quota = float(rng.choice([40, 60, 80]))  # the client sends faster than this: refused in bursts
        else:
            rules.append(f"*=429@{rng.uniform(0.3, 0.7):.2f}x{rng.randint(30, 150)}")  # a burst at the start
    if "5xx" in chosen:
        rules += [f"*=500@{rng.uniform(0.01, 0.05):.3f}", f"*=503@{rng.uniform(0.02, 0.08):.3f}",
                  f"batch=502@{rng.uniform(0.0, 0.08):.3f}"]
    if "latency_spike" in chosen:
        rules += [f"batch=latency:{rng.randint(100, 400)}@{rng.uniform(0.05, 0.2):.2f}",
                  f"*=latency:{rng.randint(20, 150)}@0.02"]
    if "dropped_connection" in chosen:  # one dropped part loses its whole batch
        rules += [f"*=drop@{rng.uniform(0.002, 0.01):.4f}", f"batch=drop@{rng.uniform(0.01, 0.05):.3f}"]
    if "apply_then_fail" in chosen:
        rules += [f"*=apply_then_fail@{rng.uniform(0.03, 0.1):.3f}", f"*=apply_then_drop@{rng.uniform(0.0, 0.01):.4f}",
                  f"batch=apply_then_fail@{rng.uniform(0.0, 0.05):.3f}"]
    if "user_not_found" in chosen:
        rules.append(f"user_not_found={rng.uniform(0.2, 1.0):.2f}")

    def trigger() -> Trigger:
        return Trigger(rng.randint(0, max(1, calls)), rng.uniform(0.0, 0.03))

    kill = store = None
    cuts, lock = 0, 0.0
    if rng.random() < 0.3:
        chosen.append("kill")
        kill = trigger()
    if rng.random() < 0.35:
        store = trigger()
        if backend == "postgresql":
            chosen.append("db_cut")
            cuts = rng.randint(1, 3)
        else:
            chosen.append("db_lock")
            lock = rng.uniform(0.2, 2.5)
    return FaultMix(tuple(chosen), ";".join(rules), quota, kill, store, cuts, lock)
