"""Process and store faults at a seeded point of the commit, and the faults the emulator journaled.

The point is counted in API calls the emulator has answered (a batch's parts one by
one), read from its journal: the same seed hits the same stage of the commit whatever
the machine's speed. Then a seeded delay of a few milliseconds, so a kill also lands
between an answer and the write of its result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from littlesis.emulator.journal import Journal
from tests.conftest import ROOT
from tests.reliability.fault_mix import CUT_WAIT_BUSY, FaultMix, Trigger
from tests.reliability.runner_commit import CommitSettings
from tests.reliability.stores import PgStores, SqliteStores

POLL = 0.002


class CallCount:
    """API calls the emulator has answered since it was created (or its journal emptied)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.seq = 0
        self.calls = 0

    def __call__(self) -> int:
        for entry in self.journal.since(self.seq):
            self.seq = entry["seq"]
            self.calls += len(entry.get("parts") or [entry])
        return self.calls

    def wait(self, trigger: Trigger, stop: Callable[[], bool]) -> bool:
        """Until the trigger's point (True), or ``stop()`` says the commit ended first (False)."""
        while self() < trigger.after_calls:
            if stop():
                return False
            time.sleep(POLL)
        time.sleep(trigger.delay)
        return not stop()


class StoreFault(threading.Thread):
    """Cuts the store's connections (PostgreSQL) or locks it (SQLite) at the trigger, once."""

    def __init__(self, mix: FaultMix, stores: SqliteStores | PgStores, url: str, calls: CallCount) -> None:
        super().__init__(name="store fault", daemon=True)
        self.mix, self.stores, self.url, self.calls = mix, stores, url, calls
        self.finished = threading.Event()  # set by the scenario when the first invocation ended
        self.injected: Counter[str] = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        trigger = self.mix.store_fault
        try:
            if trigger is None or not self.calls.wait(trigger, self.finished.is_set):
                return
            if isinstance(self.stores, PgStores):
                for _ in range(self.mix.cuts):
                    ended, busy = self.stores.cut_connections(self.url, wait_busy=CUT_WAIT_BUSY)
                    self.injected["db_cut"] += 1
                    self.injected["db_cut_mid_transaction"] += busy
                    self.injected["db_connections_terminated"] += ended
            else:
                self.injected["db_lock"] += 1
                self.stores.hold_write_lock(self.url, self.mix.lock_seconds)
        except BaseException as exc:  # reported by the scenario: a fault that failed to fire is a test bug
            self.error = exc


def run_child(settings: CommitSettings, trigger: Trigger | None, calls: CallCount) -> tuple[int, dict[str, Any]]:
    """The commit in a child process, killed with SIGKILL at ``trigger``; (its exit status, what it said:
    its last line of JSON, with its stderr as "stderr" when it failed)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}"}
    child = subprocess.Popen([sys.executable, "-m", "tests.reliability.commit_child", settings.to_json()],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if trigger is not None and calls.wait(trigger, lambda: child.poll() is not None):
            child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    said: dict[str, Any] = {}
    with contextlib.suppress(ValueError, IndexError):
        said = json.loads(out.strip().splitlines()[-1])
    if child.returncode:
        said["stderr"] = err[-3000:]
    return child.returncode, said


def journaled_faults(journal: Journal, mix: FaultMix) -> Counter[str]:
    """Faults the emulator answered with, by kind (from its journal)."""
    out: Counter[str] = Counter()
    for entry in journal.since(0):
        for item in [entry, *(entry.get("parts") or [])]:
            out.update(_fault_kinds(item, mix))
    return out


def _fault_kinds(item: dict[str, Any], mix: FaultMix) -> list[str]:
    kinds = []
    for label in (item.get("fault") or "").split(","):
        if label in ("quota", "429"):
            kinds.append("429_storm")
        elif label in ("500", "502", "503", "504"):
            kinds.append("5xx")
        elif label.startswith("latency"):
            kinds.append("latency_spike")
        elif label == "drop":
            kinds.append("dropped_connection")
        elif label.startswith("apply_then"):  # applied, then a 503 or a dropped connection
            kinds.append("apply_then_fail")
    if "user_not_found" in mix.kinds and item.get("status") == 404 and item.get("methodId", "").endswith("create"):
        kinds.append("user_not_found")  # a create refused because its user is still propagating
    return kinds
