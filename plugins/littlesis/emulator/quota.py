"""Per-user rate quota: a token bucket per impersonated user (Google's "per user" limit).

Every call takes one token, and so does every batch part: Google counts a batch of
n as n requests. The bucket holds one second's worth (``qps`` tokens, at least 1);
a call finding it empty is answered 429 RESOURCE_EXHAUSTED, not delayed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class QuotaGate:
    def __init__(self, qps: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # subject -> (tokens, last refill)
        self.qps = qps

    @property
    def qps(self) -> float | None:
        return self._qps

    @qps.setter
    def qps(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("quota qps must be positive")
        with self._lock:
            self._qps = value
            self._buckets.clear()

    def take(self, subject: str) -> bool:
        """Spend one token of ``subject``'s bucket; False when the quota is exhausted."""
        qps = self._qps
        if qps is None:
            return True
        capacity = max(1.0, qps)
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(subject, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * qps)
            if tokens < 1.0:
                self._buckets[subject] = (tokens, now)
                return False
            self._buckets[subject] = (tokens - 1.0, now)
            return True
