"""Inventory: read a Classroom domain into the store's cache, whole or course by course.

``full_refresh`` lists every course (all states, largest pages, minimal fields), then each
course's aliases, teachers and students (one call per course and kind, more only for rosters
longer than a page, all batched), and the guardian invitations and guardians of the students
seen (``studentId "-"``: a few pages for the domain, sent with the first courses.list page),
then replaces the domain's cache in one transaction. Members come with their profiles, so
users cost no calls unless a roster entry lacks its e-mail (then userProfiles.get, batched).

``refresh_courses`` re-reads given courses (ids or aliases) and replaces just those;
a course that is gone leaves the cache. ``refresh_guardians`` does the same for students.

One course that can't be read never fails the refresh: the error is in the report and that
part of the course keeps its previous cache rows. Only a course list that can't be read raises
``InventoryError``, before anything is written.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from littlesis.classroom import calls, inventory_guardians
from littlesis.classroom.inventory_guardians import GuardianRead, GuardianScope
from littlesis.classroom.inventory_report import InventoryError, RefreshError, RefreshReport
from littlesis.classroom.inventory_rows import MEMBER_KINDS, Row, SnapshotBuilder
from littlesis.classroom.operations import ClassroomOps
from littlesis.classroom.paging import list_all
from littlesis.classroom.protocol import ClassroomClient

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from littlesis.store.cache import CacheSnapshot

# The store (and so SQLAlchemy) is imported where it is used, not here: the classroom package must
# import without SQLAlchemy (tests/classroom/test_connection.py checks it in a fresh interpreter).

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


def as_ops(ops_or_client: ClassroomOps | ClassroomClient) -> ClassroomOps:
    return ops_or_client if isinstance(ops_or_client, ClassroomOps) else ClassroomOps(ops_or_client)


def full_refresh(ops_or_client: ClassroomOps | ClassroomClient, engine: Engine, domain: str, *,
                 guardian_scope: GuardianScope = "all", now: datetime | None = None) -> RefreshReport:
    """Make the cache of ``domain`` what Classroom holds now."""
    from littlesis.store.cache import read_cache, replace_domain_cache
    from littlesis.store.engine import session_scope

    if guardian_scope not in ("all", "per_student"):
        raise ValueError(f"guardian_scope must be 'all' or 'per_student', not {guardian_scope!r}")
    ops = as_ops(ops_or_client)
    report = RefreshReport(domain, "full", guardian_scope=guardian_scope)
    with _measured(ops, report):
        first = [calls.list_courses()]
        if guardian_scope == "all":
            first += inventory_guardians.domain_calls()
        listed = list_all(ops.client, first)
        if listed[0].error is not None:
            raise InventoryError(f"full refresh of {domain}: listing courses", listed[0].error)
        report.course_pages = listed[0].pages
        courses = {str(c["id"]): c for c in listed[0].items if c.get("id")}
        builder, kept_kinds = _read_courses(ops, courses, report)
        students = sorted(builder.student_ids())
        if guardian_scope == "all":
            guardian_results = listed[1:]
        else:
            guardian_results = list_all(ops.client, inventory_guardians.student_calls(students))
        guardians = inventory_guardians.interpret(guardian_results)
        report.guardians_enabled = guardians.enabled
        report.notes += guardians.notes
        with session_scope(engine) as session:
            previous = read_cache(session, domain) if kept_kinds or guardians.keep else None
            if previous is not None:
                _keep_previous_rosters(builder, previous, kept_kinds, report)
            snapshot = builder.build()
            if guardians.enabled:
                _add_guardians(snapshot, guardians, previous, report, asked=set(students) if
                               guardian_scope == "per_student" else None)
            _count(report, replace_domain_cache(session, domain, snapshot, now=now))
    log.info(report.summary())
    return report


def refresh_courses(ops_or_client: ClassroomOps | ClassroomClient, engine: Engine, domain: str,
                    course_refs: Iterable[str], *, now: datetime | None = None) -> RefreshReport:
    """Re-read the given courses (numeric ids or aliases such as "d:SIS-1") and replace them in the
    cache; a course that no longer exists is removed. A course that fails to read stays as cached."""
    from littlesis.store.cache import replace_courses
    from littlesis.store.engine import session_scope

    ops = as_ops(ops_or_client)
    refs = list(dict.fromkeys(course_refs))
    report = RefreshReport(domain, "courses", guardian_scope="none")
    with _measured(ops, report):
        if not refs:
            return report
        found, gone = _locate(ops, engine, domain, refs, report)
        builder, _ = _read_courses(ops, found, report, keep_failed=False)
        gone |= set(report.removed_courses)
        gone -= {row["course_id"] for row in builder.snapshot.courses}
        snapshot = builder.build()
        with session_scope(engine) as session:
            ids = {row["course_id"] for row in snapshot.courses} | gone
            _count(report, replace_courses(session, domain, ids, snapshot, now=now))
        report.removed_courses = sorted(gone)
    log.info(report.summary())
    return report


def refresh_guardians(ops_or_client: ClassroomOps | ClassroomClient, engine: Engine, domain: str,
                      students: Iterable[str], *, now: datetime | None = None) -> RefreshReport:
    """Re-read the guardian invitations and guardians of the given students (ids or e-mails):
    two calls per student. Students whose lists fail keep their cached rows."""
    from littlesis.store.cache import replace_guardians
    from littlesis.store.engine import session_scope

    ops = as_ops(ops_or_client)
    report = RefreshReport(domain, "guardians", guardian_scope="per_student")
    with _measured(ops, report):
        refs = list(dict.fromkeys(students))
        emails = [ref for ref in refs if "@" in ref]
        resolution = ops.resolve_user_ids(emails)
        report.errors += [RefreshError(email, "user", error) for email, error in resolution.errors.items()]
        ids = list(dict.fromkeys(resolution.ids[ref.lower()] if "@" in ref else ref for ref in refs
                                 if "@" not in ref or ref.lower() in resolution.ids))
        read = inventory_guardians.interpret(list_all(ops.client, inventory_guardians.student_calls(ids)))
        report.guardians_enabled = read.enabled
        report.notes += read.notes
        report.errors += read.errors
        if read.enabled:
            failed = {e.subject for e in read.errors if e.category != "gone"}
            write = set(ids) - failed
            invitations = [r for r in read.invitations if r["student_id"] in write]
            guardians = [r for r in read.guardians if r["student_id"] in write]
            with session_scope(engine) as session:
                replace_guardians(session, domain, write, invitations=invitations, guardians=guardians, now=now)
            report.guardian_invitations, report.guardians = len(invitations), len(guardians)
    log.info(report.summary())
    return report


# steps ---------------------------------------------------------------------


@contextmanager
def _measured(ops: ClassroomOps, report: RefreshReport) -> Iterator[None]:
    before = ops.client.counter.snapshot()
    started = time.perf_counter()
    try:
        yield
    finally:
        report.counts = ops.client.counter.snapshot() - before
        report.seconds = time.perf_counter() - started


def _locate(ops: ClassroomOps, engine: Engine, domain: str, refs: list[str],
            report: RefreshReport) -> tuple[dict[str, JsonDict], set[str]]:
    """courses.get of each ref -> (courses found by id, ids that are gone). Where an alias now names
    another course, or none, the course the cache has it on is read too: it lost the alias, or is gone."""
    from littlesis.store.cache import cache_select
    from littlesis.store.engine import session_scope

    aliases = [ref for ref in refs if ":" in ref]
    cached: list[str] = []
    if aliases:
        with session_scope(engine, readonly=True) as session:
            query = cache_select("aliases", domain)
            query = query.where(query.selected_columns["alias"].in_(aliases))
            cached = [str(row.course_id) for row in session.execute(query)]
    found: dict[str, JsonDict] = {}
    gone: set[str] = set()

    def get(refs: list[str]) -> None:
        for ref, result in ops.get_courses(refs).items():
            if result.ok and result.body and result.body.get("id"):
                found[str(result.body["id"])] = result.body
            elif result.not_found:
                if ":" not in ref:  # an alias that names nothing removes nothing by itself
                    gone.add(ref)
            elif result.error is not None:
                report.errors.append(RefreshError(ref, "course", result.error))

    get(refs)
    lost = [i for i in dict.fromkeys(cached) if i not in found and i not in gone and i not in refs]
    if lost:
        get(lost)
    return found, gone


def _read_courses(ops: ClassroomOps, courses: dict[str, JsonDict], report: RefreshReport, *,
                  keep_failed: bool = True) -> tuple[SnapshotBuilder, dict[str, list[str]]]:
    """Rosters of ``courses`` into a builder. A course whose lists answer 404 was deleted meanwhile
    (``report.removed_courses``); other failures go to ``report.errors`` and, with ``keep_failed``,
    the course stays with the failed kinds to be taken from the previous cache (else it is left out)."""
    builder = SnapshotBuilder()
    failed: dict[str, list[str]] = {}
    for course_id, roster in ops.list_rosters(courses).items():
        if any(error.status_code == 404 for error in roster.errors.values()):
            report.removed_courses.append(course_id)
            continue
        if roster.errors:
            report.errors += [RefreshError(course_id, kind, error) for kind, error in roster.errors.items()]
            if not keep_failed:
                continue
            failed[course_id] = sorted(roster.errors)
        builder.add_course(courses[course_id])
        builder.add_roster(roster)
    _look_up_profiles(ops, builder, report)
    return builder, failed


def _look_up_profiles(ops: ClassroomOps, builder: SnapshotBuilder, report: RefreshReport) -> None:
    """userProfiles.get (batched) for members whose roster entry had no e-mail address."""
    missing = builder.users_without_email()
    if not missing:
        return
    results = ops.execute([calls.get_user_profile(user_id) for user_id in missing])
    builder.fill_profiles({uid: r.body for uid, r in zip(missing, results, strict=True) if r.ok and r.body})
    report.errors += [RefreshError(uid, "user", r.error) for uid, r in zip(missing, results, strict=True)
                      if r.error is not None]
    report.notes.append(f"{len(missing)} members listed without an e-mail: looked up with userProfiles.get")


def _keep_previous_rosters(builder: SnapshotBuilder, previous: CacheSnapshot, kept_kinds: dict[str, list[str]],
                           report: RefreshReport) -> None:
    """Courses whose alias or roster list failed keep that part as the previous refresh saw it."""
    by_course: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for kind in ("aliases", *MEMBER_KINDS):
        for row in getattr(previous, kind):
            by_course[(kind, row["course_id"])].append(row)
    fresh_aliases = {row["alias"] for row in builder.snapshot.aliases}
    old_users = {row["user_id"]: row for row in previous.users}
    kept: dict[tuple[str, str], int] = {}
    for course_id, kinds in kept_kinds.items():
        for kind in kinds:
            rows = by_course.get((kind, course_id), [])
            if kind == "aliases":  # an alias Classroom now shows on another course is that course's
                rows = [row for row in rows if row["alias"] not in fresh_aliases]
            getattr(builder.snapshot, kind).extend(rows)
            for row in rows if kind in MEMBER_KINDS else ():
                if row["user_id"] not in builder.users and row["user_id"] in old_users:
                    builder.add_user(old_users[row["user_id"]])
            kept[(course_id, kind)] = len(rows)
    report.errors[:] = [replace(e, kept_rows=kept.get((e.subject, e.part), 0)) for e in report.errors]


def _add_guardians(snapshot: CacheSnapshot, read: GuardianRead, previous: CacheSnapshot | None,
                   report: RefreshReport, *, asked: set[str] | None) -> None:
    """Fresh guardian rows of the students in the snapshot, plus the previous rows of those whose lists
    failed (and, per student, of students only known from kept rosters, who were not asked). Rows of
    students in no course are left out: nothing else in the cache names them."""
    students = {row["user_id"] for row in snapshot.students}
    snapshot.guardian_invitations = [row for row in read.invitations if row["student_id"] in students]
    snapshot.guardians = [row for row in read.guardians if row["student_id"] in students]
    skipped = len(read.invitations) + len(read.guardians)
    skipped -= len(snapshot.guardian_invitations) + len(snapshot.guardians)
    if skipped:
        report.notes.append(f"{skipped} guardian rows of students in no course left out")
    kept: dict[tuple[str, str], int] = defaultdict(int)
    if previous is not None:
        for part in inventory_guardians.PARTS:
            keep = read.keep.get(part, set())
            unasked = students - asked if asked is not None else set()
            for row in getattr(previous, part):
                student = row["student_id"]
                if student in students and (keep is None or student in keep or student in unasked):
                    getattr(snapshot, part).append(row)
                    kept[("-" if keep is None else student, part)] += 1
    report.errors += [replace(e, kept_rows=kept.get((e.subject, e.part), 0)) for e in read.errors]


def _count(report: RefreshReport, counts: dict[str, int]) -> None:
    report.courses = counts.get("courses", 0)
    report.aliases = counts.get("aliases", 0)
    report.teachers = counts.get("teachers", 0)
    report.students = counts.get("students", 0)
    report.users = counts.get("users", 0)
    report.guardian_invitations = counts.get("guardian_invitations", 0)
    report.guardians = counts.get("guardians", 0)
