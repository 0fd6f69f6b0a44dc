"""Lease locks in the store: one commit per Classroom domain at a time, across processes and hosts.

A lock is a row. Taking it is one atomic statement on both backends: an INSERT that
does nothing on conflict, else an UPDATE that only matches an expired lease (or our
own). A holder that dies stops renewing, so its lease runs out and the next commit
takes over. Each call runs in its own short transaction, which is why these
functions take the Engine rather than a caller's Session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update

from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.engine import session_scope
from littlesis.store.errors import LockHeld
from littlesis.store.models import Lock
from littlesis.store.records import LockRecord
from littlesis.store.sqlutil import record, rowcount, upsert

_T = table_of(Lock)
DEFAULT_TTL = timedelta(minutes=10)


def domain_lock_name(domain: str) -> str:
    """The lock every commit to one Classroom domain takes."""
    return f"commit:{domain}"


def acquire_lock(
    engine: Engine, name: str, holder: str, *, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
) -> bool:
    """Take the lease (or extend our own); False when someone else holds an unexpired one."""
    now = now or utcnow()
    lease = {"holder": holder, "acquired_at": now, "expires_at": now + ttl}
    with session_scope(engine) as session:
        inserted = session.execute(
            upsert(session, _T).values(name=name, **lease).on_conflict_do_nothing(index_elements=[_T.c.name])
        )
        if rowcount(inserted) == 1:
            return True
        taken = session.execute(
            update(_T).where(_T.c.name == name, or_(_T.c.expires_at <= now, _T.c.holder == holder)).values(**lease)
        )
        return rowcount(taken) == 1


def renew_lock(
    engine: Engine, name: str, holder: str, *, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None
) -> bool:
    """Push our lease's expiry out; False when it is no longer ours (it expired and was taken)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        stmt = update(_T).where(_T.c.name == name, _T.c.holder == holder).values(expires_at=now + ttl)
        return rowcount(session.execute(stmt)) == 1


def release_lock(engine: Engine, name: str, holder: str) -> bool:
    """Give the lease back; False when it was not ours to give."""
    with session_scope(engine) as session:
        return rowcount(session.execute(delete(_T).where(_T.c.name == name, _T.c.holder == holder))) == 1


def get_lock(engine: Engine, name: str) -> LockRecord | None:
    with session_scope(engine, readonly=True) as session:
        row = session.execute(select(_T).where(_T.c.name == name)).first()
        return record(LockRecord, row) if row else None


@contextmanager
def hold_lock(engine: Engine, name: str, holder: str, *, ttl: timedelta = DEFAULT_TTL) -> Iterator[None]:
    """Hold the lease for a block, or raise LockHeld at once; long holders call renew_lock."""
    if not acquire_lock(engine, name, holder, ttl=ttl):
        current = get_lock(engine, name)
        raise LockHeld(name, current.holder if current else None, current.expires_at if current else None)
    try:
        yield
    finally:
        release_lock(engine, name, holder)
