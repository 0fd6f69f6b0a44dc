"""Progress of long work as people want it in a task log: done/total, rate, time left."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Counts work done against a total; ``line()`` says how far, how fast and how long is left."""

    label: str
    total: int
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def advance(self, count: int) -> str:
        self.done += count
        return self.line()

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        share = self.done / self.total if self.total else 1.0
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = "unknown" if left == float("inf") else _duration(left)
        return (f"{self.label}: {self.done:,}/{self.total:,} ({share:.0%}), {rate:,.1f}/s, "
                f"{_duration(elapsed)} elapsed, about {eta} left")


def _duration(elapsed: float) -> str:
    whole = round(elapsed)
    if whole < 60:
        return f"{whole} s"
    minutes, seconds = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
