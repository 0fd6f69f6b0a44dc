"""Figures of a plan worth keeping between requests: per kind, per decision, the schools and teachers.

Counting a filtered plan of 100,000 actions reads every matching row; paging through it, or
reloading after a decision, needn't do that again. Keys name everything a figure depends on
(the run, its plan checksum, the filter, and for anything about decisions the run's decisions
version), so a changed plan or a new decision makes a new key and nothing stale is served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """A small least-recently-used map, safe to share between the server's threads."""

    def __init__(self, size: int = 512) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                found: T = self._entries[key]
                return found
        value = compute()  # outside the lock: two threads may compute the same figure once each
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
