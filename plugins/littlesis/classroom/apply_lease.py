"""The commit's lease on its Classroom domain: taken (or waited for), renewed by a heartbeat, released.

The store's lock is a lease: a holder that dies (kill -9) stops renewing and the next
commit takes over once it runs out. So the lease is kept short and renewed from a
background thread every third of its length, whatever the commit is waiting on
(a slow batch, a backoff), and once more before each wave. If a renewal finds the
lease gone (it expired and someone else took it), the commit stops before its next
wave with ``LeaseLost``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import Engine

from littlesis.store.errors import LockHeld
from littlesis.store.locks import acquire_lock, domain_lock_name, get_lock, release_lock, renew_lock

DEFAULT_LEASE = timedelta(minutes=2)


class CommitLocked(LockHeld):
    """Another commit holds the domain: nothing was sent, the run is untouched."""


class LeaseLost(RuntimeError):
    """Our lease ran out and another holder took it: stop writing at once."""


def holder_name(actor: str, run_id: str) -> str:
    """Unique per process and call: two commits never share a lease, not even of the same run."""
    return f"{actor}|{run_id}|{socket.gethostname()}:{os.getpid()}|{uuid.uuid4().hex[:8]}"


class DomainLease:
    def __init__(self, engine: Engine, domain: str, holder: str, *, ttl: timedelta = DEFAULT_LEASE,
                 wait: float = 0.0, poll: float = 0.2) -> None:
        if ttl.total_seconds() <= 0:
            raise ValueError("the lease must last a positive time")
        self.engine = engine
        self.name = domain_lock_name(domain)
        self.holder = holder
        self.ttl = ttl
        self.wait = wait
        self.poll = poll
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease, waiting up to ``wait`` seconds for a holder to finish; else CommitLocked."""
        deadline = time.monotonic() + self.wait
        while not acquire_lock(self.engine, self.name, self.holder, ttl=self.ttl):
            if time.monotonic() >= deadline:
                current = get_lock(self.engine, self.name)
                raise CommitLocked(self.name, current.holder if current else None,
                                   current.expires_at if current else None)
            time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())))
        self._thread = threading.Thread(target=self._beat, name=f"lease {self.name}", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Before each wave: still ours? (Renewing is one short write; it also answers that.)"""
        if not self.lost.is_set() and not renew_lock(self.engine, self.name, self.holder, ttl=self.ttl):
            self.lost.set()
        if self.lost.is_set():
            raise LeaseLost(f"lost the lease {self.name!r}: another commit may be writing to the domain")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if not self.lost.is_set():
            release_lock(self.engine, self.name, self.holder)

    def __enter__(self) -> DomainLease:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _beat(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                renewed = renew_lock(self.engine, self.name, self.holder, ttl=self.ttl)
            except Exception:  # a store hiccup: try again at the next beat, the lease still runs
                continue
            if not renewed:
                self.lost.set()
                return
