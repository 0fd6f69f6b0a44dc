# ruff: noqa: F811  (the store's fixtures are imported below, and tests take them as arguments)
"""Inventory: the real client over HTTP against the emulator, into the store on SQLite and PostgreSQL.

The cache read back must equal what ``GET /_emulator/state`` says Classroom holds (see
``inventory_seed.expected_cache``), and the calls made must stay within the issue's budget:
courses.list pages + one aliases.list, teachers.list and students.list per course (more only
for rosters longer than a page) + the guardian lists.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from littlesis.classroom import ClassroomOps, GoogleClassroomClient, RetryPolicy, calls
from littlesis.classroom.credentials import static_token
from littlesis.classroom.inventory import full_refresh, refresh_courses, refresh_guardians
from littlesis.classroom.inventory_report import InventoryError
from littlesis.classroom.protocol import Call
from littlesis.core.classroom_state import ClassroomState
from littlesis.emulator import EmulatorServer
from littlesis.store.cache import cache_age, read_cache
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.migrate import upgrade
from tests.classroom.helpers import ADMIN, DOMAIN, OWNER, Hooks, kid
from tests.classroom.inventory_clients import AfterCourseList, RostersWithoutEmails
from tests.classroom.inventory_seed import district_seed, expected_cache, memberships_of, sorted_cache
from tests.store.conftest import (  # noqa: F401  (store fixtures: SQLite file and throwaway PostgreSQL)
    backend,
    engine,
    pg_admin,
    pg_database_factory,
    pg_store_url,
    store_url,
)

ROSTER_PAGE = 30  # the emulator's page cap for teachers and students (see emulator/paging.py)
PAGE = 1000  # courses, aliases and guardian lists: what the client asks for and the emulator allows
MEMBER_KINDS = ("teachers", "students")


def fast_retry() -> RetryPolicy:
    return RetryPolicy(base=0.0, cap=0.0, max_attempts=4, sleep=lambda _: None, rng=random.Random(3))


def cache_of(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with session_scope(engine, readonly=True) as session:
        return sorted_cache(vars(read_cache(session, DOMAIN)))


def projected(cache: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The cache with users in no course and guardian rows of students in no course left out: a targeted
    refresh never deletes those (users are upserted, guardians refreshed separately)."""
    members = {r["user_id"] for kind in MEMBER_KINDS for r in cache[kind]}
    students = {r["user_id"] for r in cache["students"]}
    out = dict(cache)
    out["users"] = [r for r in cache["users"] if r["user_id"] in members]
    for part in ("guardian_invitations", "guardians"):
        out[part] = [r for r in cache[part] if r["student_id"] in students]
    return out


def budget(state: dict[str, Any]) -> dict[str, int]:
    """The calls a full refresh of ``state`` may make, by method (guardians listed with studentId "-")."""
    courses = state["courses"]
    invitations = [g for g in state["guardianInvitations"] if g["state"] in ("PENDING", "COMPLETE")]
    return {
        "courses.list": max(1, math.ceil(len(courses) / PAGE)),
        "courses.aliases.list": sum(max(1, math.ceil(len(c["aliases"]) / PAGE)) for c in courses),
        "courses.teachers.list": sum(max(1, math.ceil(len(c["teachers"]) / ROSTER_PAGE)) for c in courses),
        "courses.students.list": sum(max(1, math.ceil(len(c["students"]) / ROSTER_PAGE)) for c in courses),
        "userProfiles.guardianInvitations.list": max(1, math.ceil(len(invitations) / PAGE)),
        "userProfiles.guardians.list": max(1, math.ceil(len(state["guardians"]) / PAGE)),
    }


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = sqlite_url(tmp_path / "store.db")
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def small(hooks: Hooks) -> dict[str, Any]:
    """40 courses / 900 memberships in the session emulator, guardians on some students; the state."""
    hooks.seed(district_seed(40, 900, domain=DOMAIN, guardians=12, seed=5))
    return hooks.state()


# the district: 2,000 courses / 50,000 memberships --------------------------------------------------


@pytest.fixture(scope="module")
def district() -> Iterator[tuple[str, dict[str, Any]]]:
    """An emulator of its own holding the district, with guardian invitations pending and accepted."""
    with EmulatorServer(seed=district_seed(2000, 50_000)) as server:
        hooks = Hooks(server.base_url)
        enrolled = sorted({m["emailAddress"] for c in hooks.state()["courses"] for m in c["students"]})
        with GoogleClassroomClient(server.base_url, credentials=static_token(ADMIN), retry=fast_retry()) as client:
            results = client.execute(
                [calls.create_guardian_invitation(email, f"invited{n}@family.example.net")
                 for n, email in enumerate(enrolled[::60])]
                + [calls.create_guardian_invitation(f"unenrolled@{DOMAIN}", "invited.x@family.example.net")])
        assert all(r.ok for r in results), [r.error for r in results if r.error]
        for result in results[:30]:
            hooks.accept_guardian_invitation(result.body["invitationId"])  # type: ignore[index]
        yield server.base_url, hooks.state()


def test_full_refresh_of_a_district_lands_in_the_cache_identical_to_the_emulator_state(
        district: tuple[str, dict[str, Any]], engine: Engine) -> None:
    base_url, state = district
    assert (len(state["courses"]), memberships_of(state)) == (2000, 50_000)
    with GoogleClassroomClient(base_url, credentials=static_token(ADMIN), retry=fast_retry(),
                               concurrency=2) as client:
        report = full_refresh(client, engine, DOMAIN)

    assert report.ok, report.errors
    assert report.calls == budget(state)
    assert report.counts.retries == 0 and report.counts.other_http_requests == 0
    assert report.http_requests <= math.ceil(report.total_calls / 50) + 6  # batches of 50, a few rounds
    assert report.guardians_enabled is True and report.guardian_scope == "all"
    expected = expected_cache(state)
    assert (report.courses, report.memberships) == (2000, 50_000)
    assert report.users == len(expected["users"])
    assert report.guardian_rows == len(expected["guardian_invitations"]) + len(expected["guardians"])
    assert any("students in no course" in note for note in report.notes)  # the unenrolled student's rows
    assert {r["state"] for r in expected["guardian_invitations"]} == {"PENDING", "COMPLETE"}
    cache = cache_of(engine)
    for part, rows in expected.items():
        assert cache[part] == rows, part
    with session_scope(engine, readonly=True) as session:
        age = cache_age(session, DOMAIN)
    assert age is not None and age.total_seconds() < 60


# targeted refresh -----------------------------------------------------------------------------------


def test_targeted_refresh_makes_the_cache_equal_the_state_again(
        small: dict[str, Any], engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, engine, DOMAIN)
    assert cache_of(engine) == expected_cache(small)
    by_alias = {a: c for c in small["courses"] for a in c["aliases"]}
    grown, renamed, deleted, shrunk = (by_alias[f"d:SIS-{i:05d}"] for i in (1, 2, 3, 4))
    moved_from, moved_to = by_alias["d:SIS-00006"], by_alias["d:SIS-00008"]
    changes = [
        calls.add_student("d:SIS-00001", kid(9001)),
        calls.patch_course(renamed["id"], {"name": "Renamed", "room": "B-12"}),
        Call("courses.delete", {"id": "d:SIS-00003"}),
        calls.remove_student("d:SIS-00004", shrunk["students"][0]["userId"]),
        calls.delete_alias(moved_from["id"], "d:SIS-00006"),
    ]
    assert all(r.ok for r in ops.execute(changes))
    assert ops.execute([calls.create_alias(moved_to["id"], "d:SIS-00006")])[0].ok
    state = hooks.state()
    assert cache_of(engine) != expected_cache(state)

    refs = ["d:SIS-00001", renamed["id"], "d:SIS-00003", "d:SIS-00004", "d:SIS-00006", "d:NO-SUCH", "999"]
    before = ops.client.counter.snapshot()
    report = refresh_courses(ops, engine, DOMAIN, refs)

    assert report.ok, report.errors
    assert sorted(report.removed_courses) == sorted([deleted["id"], "999"])
    assert projected(cache_of(engine)) == expected_cache(state)
    # courses.get: each ref, plus the cached course of each alias ref not named itself (SIS-3, SIS-6);
    # then 3 lists for each of the 5 live courses (grown, renamed, shrunk, moved_from, moved_to).
    assert (ops.client.counter.snapshot() - before).calls == {
        "courses.get": len(refs) + 2, "courses.aliases.list": 5, "courses.teachers.list": 5,
        "courses.students.list": sum(math.ceil(max(1, len(c["students"])) / ROSTER_PAGE) for c in state["courses"]
                                     if c["id"] in {grown["id"], renamed["id"], shrunk["id"], moved_from["id"],
                                                    moved_to["id"]})}
    assert report.courses == 5 and report.calls == (ops.client.counter.snapshot() - before).calls


def test_a_course_that_fails_to_read_in_a_targeted_refresh_stays_as_cached(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, sqlite_engine, DOMAIN)
    course = next(c for c in small["courses"] if "d:SIS-00002" in c["aliases"])
    assert ops.execute([calls.patch_course(course["id"], {"name": "Changed"})])[0].ok
    hooks.faults(spec=f"/v1/courses/{course['id']}/teachers=503")
    report = refresh_courses(ops, sqlite_engine, DOMAIN, [course["id"]])
    assert [(e.subject, e.part, e.category) for e in report.errors] == [(course["id"], "teachers", "unavailable")]
    assert cache_of(sqlite_engine) == expected_cache(small)  # untouched: still the old name


# what the core reads ------------------------------------------------------------------------------------


def test_classroom_state_from_the_cache_has_our_aliases_and_rosters(
        hooks: Hooks, engine: Engine, ops: ClassroomOps) -> None:
    hooks.seed({"courses": [
        {"name": "Algebra", "ownerEmail": OWNER, "courseState": "ACTIVE", "aliases": ["d:SIS-1", "p:imported-1"],
         "studentEmails": [kid(1), kid(2)], "teacherEmails": [f"co@{DOMAIN}"]},
        {"name": "Art", "ownerEmail": f"co@{DOMAIN}", "aliases": ["d:SIS-2"], "studentEmails": [kid(2)]},
        {"name": "Made by hand", "ownerEmail": OWNER, "studentEmails": [kid(3)]},
    ], "guardians": [{"studentEmail": kid(1), "guardianEmail": "Mum@Family.example.net"}]})
    state = hooks.state()
    ids = {c["name"]: c["id"] for c in state["courses"]}
    full_refresh(ops, engine, DOMAIN)
    with session_scope(engine, readonly=True) as session:
        classroom = ClassroomState.from_rows(vars(read_cache(session, DOMAIN)))

    assert sorted(map(tuple, classroom.aliases[["alias", "course_id"]].to_numpy().tolist())) == [
        ("SIS-1", ids["Algebra"]), ("SIS-2", ids["Art"])]
    assert sorted(map(tuple, classroom.students.to_numpy().tolist())) == sorted(
        [(ids["Algebra"], kid(1)), (ids["Algebra"], kid(2)), (ids["Art"], kid(2)), (ids["Made by hand"], kid(3))])
    assert sorted(map(tuple, classroom.teachers.to_numpy().tolist())) == sorted(
        [(ids["Algebra"], OWNER), (ids["Algebra"], f"co@{DOMAIN}"), (ids["Art"], f"co@{DOMAIN}"),
         (ids["Made by hand"], OWNER)])
    owners = dict(zip(classroom.courses["name"], classroom.courses["owner_email"], strict=True))
    assert owners == {"Algebra": OWNER, "Art": f"co@{DOMAIN}", "Made by hand": OWNER}
    assert classroom.course_of_alias().to_dict() == {"SIS-1": ids["Algebra"], "SIS-2": ids["Art"]}
    assert classroom.teacher_created()["name"].tolist() == ["Made by hand"]
    assert classroom.guardians.to_numpy().tolist() == [[kid(1), "mum@family.example.net"]]


# guardians --------------------------------------------------------------------------------------------


def test_guardians_disabled_records_no_guardian_rows_and_says_so(
        hooks: Hooks, sqlite_engine: Engine, ops: ClassroomOps) -> None:
    hooks.seed(district_seed(10, 200, domain=DOMAIN, guardians=5) | {"guardians_enabled": False})
    state = hooks.state()
    assert state["guardians"]  # linked before guardians were turned off; the API won't show them
    report = full_refresh(ops, sqlite_engine, DOMAIN)
    assert report.ok and report.guardians_enabled is False
    assert any("403" in note and "disabled" in note for note in report.notes)
    assert report.calls["userProfiles.guardians.list"] == report.calls["userProfiles.guardianInvitations.list"] == 1
    cache = cache_of(sqlite_engine)
    assert cache["guardians"] == cache["guardian_invitations"] == []
    assert {k: v for k, v in cache.items() if "guardian" not in k} == {
        k: v for k, v in expected_cache(state).items() if "guardian" not in k}


def test_guardians_per_student_cost_two_calls_per_student_and_read_the_same(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps) -> None:
    report = full_refresh(ops, sqlite_engine, DOMAIN, guardian_scope="per_student")
    students = {m["userId"] for c in small["courses"] for m in c["students"]}
    assert report.ok, report.errors
    assert report.calls["userProfiles.guardianInvitations.list"] == len(students)
    assert report.calls["userProfiles.guardians.list"] == len(students)
    assert cache_of(sqlite_engine) == expected_cache(small)


def test_a_student_whose_guardian_list_fails_keeps_the_cached_guardians(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, sqlite_engine, DOMAIN, guardian_scope="per_student")
    enrolled = {m["userId"] for c in small["courses"] for m in c["students"]}
    student = next(g["studentId"] for g in small["guardians"] if g["studentId"] in enrolled)
    linked = sum(g["studentId"] == student for g in small["guardians"])
    hooks.faults(spec=f"/v1/userProfiles/{student}/guardians=500")
    report = full_refresh(ops, sqlite_engine, DOMAIN, guardian_scope="per_student")
    assert [(e.subject, e.part, e.category, e.kept_rows) for e in report.errors] == [
        (student, "guardians", "unavailable", linked)]
    assert cache_of(sqlite_engine) == expected_cache(small)


def test_refresh_guardians_of_some_students(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, sqlite_engine, DOMAIN)
    students = sorted({m["emailAddress"] for c in small["courses"] for m in c["students"]})[:3]
    invited = ops.execute([calls.create_guardian_invitation(s, f"new.{i}@family.example.net")
                           for i, s in enumerate(students)])
    assert all(r.ok for r in invited)
    report = refresh_guardians(ops, sqlite_engine, DOMAIN, [students[0], invited[1].body["studentId"],  # type: ignore[index]
                                                           invited[2].body["studentId"]])  # type: ignore[index]
    assert report.ok, report.errors
    assert report.calls["userProfiles.guardians.list"] == 3
    assert report.guardian_invitations >= 3
    assert cache_of(sqlite_engine) == expected_cache(hooks.state())


# users, failures, courses that disappear ------------------------------------------------------------------


def test_members_listed_without_emails_are_looked_up_once_each(
        small: dict[str, Any], sqlite_engine: Engine, client: GoogleClassroomClient) -> None:
    report = full_refresh(RostersWithoutEmails(client), sqlite_engine, DOMAIN)
    members = {m["userId"] for c in small["courses"] for kind in MEMBER_KINDS for m in c[kind]}
    assert report.ok, report.errors
    assert report.calls["userProfiles.get"] == len(members)
    assert cache_of(sqlite_engine) == expected_cache(small)


def test_with_emails_in_the_rosters_users_cost_no_calls(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps) -> None:
    report = full_refresh(ops, sqlite_engine, DOMAIN)
    assert "userProfiles.get" not in report.calls
    assert report.calls == budget(small)


def test_a_failing_course_keeps_its_previous_rows_and_never_fails_the_refresh(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, sqlite_engine, DOMAIN)
    before = cache_of(sqlite_engine)
    course = next(c for c in small["courses"] if len(c["students"]) > 3)
    assert ops.execute([calls.remove_student(course["id"], course["students"][0]["userId"])])[0].ok
    hooks.faults(spec=f"/v1/courses/{course['id']}/students=500;userProfiles.guardians.list=503")

    report = full_refresh(ops, sqlite_engine, DOMAIN)

    assert sorted((e.subject, e.part, e.category, e.kept_rows) for e in report.errors) == sorted([
        (course["id"], "students", "unavailable", len(course["students"])),
        ("-", "guardians", "unavailable", len(before["guardians"])),
    ])
    assert report.counts.retries > 0
    after = cache_of(sqlite_engine)
    assert after["students"] == before["students"]  # the removal isn't seen: the old roster stayed
    assert after["guardians"] == before["guardians"]
    hooks.faults(spec="")
    full_refresh(ops, sqlite_engine, DOMAIN)
    assert cache_of(sqlite_engine) == expected_cache(hooks.state())


def test_a_course_list_that_fails_raises_and_leaves_the_cache_alone(
        small: dict[str, Any], sqlite_engine: Engine, ops: ClassroomOps, hooks: Hooks) -> None:
    full_refresh(ops, sqlite_engine, DOMAIN)
    hooks.faults(spec="courses.list=503")
    with pytest.raises(InventoryError, match=r"full refresh of district.example.org: listing courses: 503"):
        full_refresh(ops, sqlite_engine, DOMAIN)
    assert cache_of(sqlite_engine) == expected_cache(small)


def test_a_course_deleted_while_the_refresh_reads_is_left_out(
        small: dict[str, Any], sqlite_engine: Engine, client: GoogleClassroomClient, hooks: Hooks) -> None:
    victim = small["courses"][0]["id"]

    def delete(inner: Any) -> None:
        assert inner.execute([Call("courses.delete", {"id": victim})])[0].ok

    report = full_refresh(AfterCourseList(client, delete), sqlite_engine, DOMAIN)
    assert report.ok and report.removed_courses == [victim]
    assert cache_of(sqlite_engine) == expected_cache(hooks.state())


def test_refresh_reports_are_plain_data(small: dict[str, Any], sqlite_engine: Engine,
                                        make_client: Callable[..., GoogleClassroomClient]) -> None:
    report = full_refresh(make_client(), sqlite_engine, DOMAIN)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["courses"] == len(small["courses"]) and data["errors"] == [] and data["calls"] == report.calls
    assert "40 courses" in report.summary() and report.courses_per_second > 0
    assert refresh_courses(make_client(), sqlite_engine, DOMAIN, []).total_calls == 0
