"""The Classroom cache of one domain: replaced whole or course by course, read back as dicts.

Rows go in and come out as plain dicts whose keys are the column names (snake_case,
without ``domain``), so a replace followed by a read gives back exactly what went in.
Callers run these inside one ``session_scope``: the replace is then atomic, and a
reader sees either the old cache or the new one, never half of each.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, delete, func, select
from sqlalchemy.orm import Session

from littlesis.store.base import Base, table_of
from littlesis.store.cache_models import (
    CacheAlias,
    CacheCourse,
    CacheGuardian,
    CacheGuardianInvitation,
    CacheMeta,
    CacheStudent,
    CacheTeacher,
    CacheUser,
)
from littlesis.store.coltypes import utcnow
from littlesis.store.records import CacheMetaRecord
from littlesis.store.sqlutil import BULK_CHUNK, bulk_insert, chunked, record, upsert

Row = dict[str, Any]


@dataclass
class CacheSnapshot:
    """A domain (or some of its courses) as plain rows, one list per cache table."""

    courses: list[Row] = field(default_factory=list)
    aliases: list[Row] = field(default_factory=list)
    teachers: list[Row] = field(default_factory=list)
    students: list[Row] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    guardian_invitations: list[Row] = field(default_factory=list)
    guardians: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class _Part:
    table: Table
    key: tuple[str, ...]  # primary key without domain: required, and the read order
    columns: tuple[str, ...]


def _part(model: type[Base], *key: str) -> _Part:
    t = table_of(model)
    skip = {"domain", "refreshed_at"}
    return _Part(t, key, tuple(c.name for c in t.columns if c.name not in skip))


PARTS: dict[str, _Part] = {
    "courses": _part(CacheCourse, "course_id"),
    "aliases": _part(CacheAlias, "alias"),
    "teachers": _part(CacheTeacher, "course_id", "user_id"),
    "students": _part(CacheStudent, "course_id", "user_id"),
    "users": _part(CacheUser, "user_id"),
    "guardian_invitations": _part(CacheGuardianInvitation, "student_id", "invitation_id"),
    "guardians": _part(CacheGuardian, "student_id", "guardian_id"),
}
COURSE_PARTS = ("courses", "aliases", "teachers", "students")
GUARDIAN_PARTS = ("guardian_invitations", "guardians")
_META = table_of(CacheMeta)


def lock_domain(session: Session, domain: str) -> None:
    """Hold the domain's cache until the transaction ends, so two writers take turns.

    Two jobs' first analyses on two workers may fill an empty cache at the same moment: each
    deletes (nothing) then inserts the same courses, and on PostgreSQL the second insert fails on
    the first's keys. A transaction-scoped advisory lock makes the second wait, then replace the
    first's rows. SQLite already lets one writer at a time in.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended("littlesis cache " + domain, 0))))


def replace_domain_cache(
    session: Session, domain: str, snapshot: CacheSnapshot, *, now: datetime | None = None
) -> dict[str, int]:
    """Make the cache of ``domain`` exactly ``snapshot`` (a full refresh)."""
    lock_domain(session, domain)
    now = now or utcnow()
    for name, part in PARTS.items():
        session.execute(delete(part.table).where(part.table.c.domain == domain))
        _insert(session, domain, name, getattr(snapshot, name), now)
    _touch_meta(session, domain, now, full=True)
    return snapshot.counts()


def replace_courses(
    session: Session,
    domain: str,
    course_ids: Collection[str],
    snapshot: CacheSnapshot,
    *,
    now: datetime | None = None,
) -> dict[str, int]:
    """Targeted refresh: the given courses (row, aliases, teachers, students) become the snapshot's.

    A course id missing from ``snapshot.courses`` was deleted and leaves the cache. Users in
    the snapshot are upserted; guardian data is refreshed with :func:`replace_guardians`.
    """
    if snapshot.guardian_invitations or snapshot.guardians:
        raise ValueError("replace_courses doesn't take guardian rows: use replace_guardians")
    lock_domain(session, domain)
    wanted = set(course_ids)
    for name in COURSE_PARTS:
        strays = sorted({r.get("course_id") for r in getattr(snapshot, name)} - wanted, key=str)
        if strays:
            raise ValueError(f"{name} rows for courses outside course_ids: {strays[:5]}")
    now = now or utcnow()
    for name in COURSE_PARTS:
        _delete_where_in(session, domain, name, "course_id", wanted)
    # An alias moved from a course we did not refresh: Classroom says it is this course's now.
    _delete_where_in(session, domain, "aliases", "alias", {r["alias"] for r in snapshot.aliases})
    _delete_where_in(session, domain, "users", "user_id", {r["user_id"] for r in snapshot.users})
    for name in (*COURSE_PARTS, "users"):
        _insert(session, domain, name, getattr(snapshot, name), now)
    _touch_meta(session, domain, now, full=False)
    return {name: len(getattr(snapshot, name)) for name in (*COURSE_PARTS, "users")}


def replace_guardians(
    session: Session,
    domain: str,
    student_ids: Collection[str],
    *,
    invitations: Iterable[Mapping[str, Any]] = (),
    guardians: Iterable[Mapping[str, Any]] = (),
    now: datetime | None = None,
) -> None:
    """The guardian invitations and guardians of the given students become exactly these."""
    lock_domain(session, domain)
    wanted = set(student_ids)
    rows = {"guardian_invitations": [dict(r) for r in invitations], "guardians": [dict(r) for r in guardians]}
    for name, part_rows in rows.items():
        strays = {r.get("student_id") for r in part_rows} - wanted
        if strays:
            raise ValueError(f"{name} rows for students outside student_ids: {sorted(strays, key=str)[:5]}")
        _delete_where_in(session, domain, name, "student_id", wanted)
        _insert(session, domain, name, part_rows, now or utcnow())
    _touch_meta(session, domain, now or utcnow(), full=False)


def cache_select(part: str, domain: str) -> Select[Any]:
    """The query behind one part of the cache, in key order (e.g. for ``pandas.read_sql``)."""
    p = PARTS[part]
    return (select(*(p.table.c[c] for c in p.columns)).where(p.table.c.domain == domain)
            .order_by(*(p.table.c[k] for k in p.key)))


def read_cache(session: Session, domain: str, *, course_ids: Collection[str] | None = None) -> CacheSnapshot:
    """The cache of ``domain`` as plain rows; with ``course_ids``, only those courses and their people."""
    if course_ids is None:
        return CacheSnapshot(**{name: _rows(session, cache_select(name, domain)) for name in PARTS})
    snapshot = CacheSnapshot()
    for name in COURSE_PARTS:
        getattr(snapshot, name).extend(_read_in(session, domain, name, "course_id", course_ids))
    members = {r["user_id"] for r in (*snapshot.teachers, *snapshot.students)}
    snapshot.users = _read_in(session, domain, "users", "user_id", members)
    students = {r["user_id"] for r in snapshot.students}
    for name in GUARDIAN_PARTS:
        getattr(snapshot, name).extend(_read_in(session, domain, name, "student_id", students))
    return snapshot


def get_cache_meta(session: Session, domain: str) -> CacheMetaRecord | None:
    row = session.execute(select(_META).where(_META.c.domain == domain)).first()
    return record(CacheMetaRecord, row) if row else None


def cache_age(session: Session, domain: str, *, now: datetime | None = None) -> timedelta | None:
    """Time since the last full refresh, or None when the domain was never fully read."""
    meta = get_cache_meta(session, domain)
    if meta is None or meta.last_full_refresh_at is None:
        return None
    return (now or utcnow()) - meta.last_full_refresh_at


def _insert(session: Session, domain: str, name: str, rows: Iterable[Mapping[str, Any]], now: datetime) -> None:
    part = PARTS[name]
    allowed = set(part.columns)
    extra = {"domain": domain, "refreshed_at": now} if name == "courses" else {"domain": domain}
    for batch in chunked(rows, BULK_CHUNK):
        values = []
        for row in batch:
            if unknown := set(row) - allowed:
                raise ValueError(f"unknown {name} fields {sorted(unknown)} (expected {', '.join(part.columns)})")
            if missing := [k for k in part.key if row.get(k) is None]:
                raise ValueError(f"{name} row without {', '.join(missing)}: {dict(row)!r}")
            values.append({**{c: row.get(c) for c in part.columns}, **extra})
        bulk_insert(session, part.table, values)


def _delete_where_in(session: Session, domain: str, name: str, column: str, keys: Collection[str]) -> None:
    table = PARTS[name].table
    for chunk in chunked(sorted(keys)):
        session.execute(delete(table).where(table.c.domain == domain, table.c[column].in_(chunk)))


def _read_in(session: Session, domain: str, name: str, column: str, keys: Collection[str]) -> list[Row]:
    table = PARTS[name].table
    rows: list[Row] = []
    for chunk in chunked(sorted(keys)):
        rows.extend(_rows(session, cache_select(name, domain).where(table.c[column].in_(chunk))))
    key = PARTS[name].key
    return sorted(rows, key=lambda r: tuple(r[k] for k in key))


def _rows(session: Session, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in session.execute(query)]


def _touch_meta(session: Session, domain: str, now: datetime, *, full: bool) -> None:
    values = {"last_refresh_at": now, **({"last_full_refresh_at": now} if full else {})}
    stmt = upsert(session, _META).values(domain=domain, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=[_META.c.domain], set_=values))
