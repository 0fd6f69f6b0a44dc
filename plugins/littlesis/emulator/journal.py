"""Every HTTP request the emulator received, with its method id, status and faults.

Bounded (oldest entries fall off) so a long demo run can't grow without limit;
``seq`` numbers keep counting, so ``since`` works across the bound.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

JsonDict = dict[str, Any]


class Journal:
    def __init__(self, max_entries: int = 200_000) -> None:
        self._entries: deque[JsonDict] = deque(maxlen=max_entries)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, entry: JsonDict) -> None:
        with self._lock:
            entry["seq"] = next(self._seq)
            self._entries.append(entry)

    def since(self, seq: int = 0) -> list[JsonDict]:
        with self._lock:
            return [e for e in self._entries if e["seq"] > seq]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
