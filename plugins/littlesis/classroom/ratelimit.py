"""A thread-safe token bucket: every call (every batch part) takes one token.

``acquire(n)`` reserves n tokens at once and sleeps off any debt, so waiting threads
are served in arrival order and the long-run rate never exceeds ``rate``. The burst
defaults to half a second's worth (at most one batch of 50): Classroom's per-user
quota is a moving average, and leaving it headroom absorbs network jitter that would
otherwise bunch our calls up on arrival and draw 429s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_BATCH = 50


def default_burst(rate: float) -> float:
    return min(float(MAX_BATCH), max(1.0, rate / 2.0))


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = float(burst) if burst is not None else default_burst(self.rate)
        if self.capacity < 1:
            raise ValueError("burst must be at least 1")
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._stamp = clock()

    @property
    def max_batch(self) -> int:
        """The largest batch that fits one burst (a bigger one would arrive as a spike)."""
        return max(1, min(MAX_BATCH, int(self.capacity)))

    def acquire(self, tokens: int = 1) -> float:
        """Take ``tokens``, sleeping until the bucket can pay them; returns the time waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= tokens
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


_shared: dict[tuple[str, float], TokenBucket] = {}
_shared_lock = threading.Lock()


def shared_bucket(key: str, rate: float) -> TokenBucket:
    """One bucket per (key, rate) in this process: clients acting as one admin share its quota."""
    with _shared_lock:
        bucket = _shared.get((key, rate))
        if bucket is None:
            bucket = _shared[(key, rate)] = TokenBucket(rate)
        return bucket
