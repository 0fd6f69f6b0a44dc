"""Counting what a client did, so a test (or a run report) can say how many calls a job cost.

- ``calls``: logical calls per method (what the job asked for, first attempts only);
- ``attempts``: calls sent per method, retries included (what the quota sees);
- ``retries``: attempts beyond the first;
- ``http_requests``: HTTP requests to the API (a batch of 50 is one), of which ``batches``;
- ``wire_requests``: requests put on the wire, including httplib2's silent resend of a
  request whose connection closed without an answer;
- ``other_http_requests``: anything else through our connections (a token refresh by
  AuthorizedHttp; googleapiclient fetches a batch's first token on a connection of its own);
- ``outcomes``: final results by "ok" or Google status.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class CallCounts:
    """A snapshot; subtract two to get what happened in between."""

    calls: Mapping[str, int] = field(default_factory=dict)
    attempts: Mapping[str, int] = field(default_factory=dict)
    outcomes: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0
    http_requests: int = 0
    batches: int = 0
    wire_requests: int = 0
    other_http_requests: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_attempts(self) -> int:
        return sum(self.attempts.values())

    def __sub__(self, before: CallCounts) -> CallCounts:
        def minus(now: Mapping[str, int], then: Mapping[str, int]) -> dict[str, int]:
            return {k: v - then.get(k, 0) for k, v in now.items() if v - then.get(k, 0)}

        return CallCounts(
            minus(self.calls, before.calls),
            minus(self.attempts, before.attempts),
            minus(self.outcomes, before.outcomes),
            self.retries - before.retries,
            self.http_requests - before.http_requests,
            self.batches - before.batches,
            self.wire_requests - before.wire_requests,
            self.other_http_requests - before.other_http_requests,
        )


class CallCounter:
    """Thread-safe counters; ``snapshot()`` reads them all at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._scalars: Counter[str] = Counter()

    def record_calls(self, methods: Iterable[str]) -> None:
        with self._lock:
            self._calls.update(methods)

    def record_attempts(self, methods: Iterable[str]) -> None:
        with self._lock:
            self._attempts.update(methods)

    def record_outcomes(self, outcomes: Iterable[str]) -> None:
        with self._lock:
            self._outcomes.update(outcomes)

    def add(self, name: str, amount: int = 1) -> None:
        """Bump one of retries, http_requests, batches, wire_requests, other_http_requests."""
        if name not in _SCALARS:
            raise ValueError(f"unknown counter {name!r}")
        with self._lock:
            self._scalars[name] += amount

    def snapshot(self) -> CallCounts:
        with self._lock:
            return CallCounts(
                MappingProxyType(dict(self._calls)),
                MappingProxyType(dict(self._attempts)),
                MappingProxyType(dict(self._outcomes)),
                **{name: self._scalars[name] for name in _SCALARS},
            )


_SCALARS = ("retries", "http_requests", "batches", "wire_requests", "other_http_requests")
