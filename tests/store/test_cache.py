from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from littlesis.store.base import table_of
from littlesis.store.cache import (
    CacheSnapshot,
    cache_age,
    get_cache_meta,
    read_cache,
    replace_courses,
    replace_domain_cache,
    replace_guardians,
)
from littlesis.store.cache_models import CacheCourse
from littlesis.store.engine import session_scope

from .helpers import T0

DOMAIN = "district.example.org"


def _course(n: int, **extra: Any) -> dict[str, Any]:
    return {"course_id": f"{n}", "name": f"Algebra {n}", "section": "P1", "room": None,
            "description_heading": None, "description": "é ✓ 😀", "owner_id": f"t{n}", "course_state": "ACTIVE",
            "creation_time": "2026-08-20T12:00:00.123Z", "update_time": "2026-08-21T08:00:00Z",
            "alternate_link": f"https://classroom.google.com/c/{n}", **extra}


def snapshot(courses: int = 3, students: int = 4) -> CacheSnapshot:
    snap = CacheSnapshot()
    for n in range(courses):
        snap.courses.append(_course(n))
        snap.aliases.append({"course_id": f"{n}", "alias": f"d:S1-ALG-{n}-2026"})
        snap.teachers.append({"course_id": f"{n}", "user_id": f"t{n}", "email": f"t{n}@{DOMAIN}"})
        snap.users.append({"user_id": f"t{n}", "email": f"t{n}@{DOMAIN}", "given_name": "T", "family_name": f"{n}"})
        for s in range(students):
            snap.students.append({"course_id": f"{n}", "user_id": f"s{s}", "email": f"s{s}@{DOMAIN}"})
    for s in range(students):
        snap.users.append({"user_id": f"s{s}", "email": f"s{s}@{DOMAIN}", "given_name": "S", "family_name": f"{s}"})
        snap.guardian_invitations.append({"student_id": f"s{s}", "invitation_id": f"i{s}",
                                          "invited_email": f"parent{s}@example.com", "state": "PENDING",
                                          "creation_time": "2026-08-22T00:00:00Z"})
    snap.guardians.append({"student_id": "s0", "guardian_id": "g0", "invited_email": "parent0@example.com"})
    return snap


def _sorted(snap: CacheSnapshot) -> dict[str, list[dict[str, Any]]]:
    return {name: sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
            for name, rows in vars(snap).items()}


def test_full_replace_round_trips_and_leaves_other_domains_alone(engine):
    first, other = snapshot(), snapshot(courses=1)
    with session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, first, now=T0)
        replace_domain_cache(session, "other.example.org", other, now=T0)
    with session_scope(engine, readonly=True) as session:
        assert _sorted(read_cache(session, DOMAIN)) == _sorted(first)
        stamps = session.execute(select(table_of(CacheCourse).c.refreshed_at).distinct()).scalars().all()
    assert stamps == [T0]
    second = snapshot(courses=2, students=2)
    with session_scope(engine) as session:
        counts = replace_domain_cache(session, DOMAIN, second, now=T0 + timedelta(hours=1))
    assert counts["students"] == 4
    with session_scope(engine, readonly=True) as session:
        assert _sorted(read_cache(session, DOMAIN)) == _sorted(second)
        assert _sorted(read_cache(session, "other.example.org")) == _sorted(other)
        assert read_cache(session, "never.example.org").counts() == CacheSnapshot().counts()


def test_a_failed_replace_leaves_the_old_cache(engine):
    with session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, snapshot(), now=T0)
    broken = snapshot(courses=5)
    broken.students.append({"course_id": "1", "user_id": "s0", "email": "duplicate@x"})
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, broken, now=T0 + timedelta(hours=1))
    with session_scope(engine, readonly=True) as session:
        assert _sorted(read_cache(session, DOMAIN)) == _sorted(snapshot())
        assert get_cache_meta(session, DOMAIN).last_full_refresh_at == T0


def test_rows_are_checked_for_unknown_and_missing_fields(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match=r"unknown courses fields \['ownerId'\]"):
            replace_domain_cache(session, DOMAIN, CacheSnapshot(courses=[{"course_id": "1", "ownerId": "x"}]))
        with pytest.raises(ValueError, match="students row without user_id"):
            replace_domain_cache(session, DOMAIN, CacheSnapshot(students=[{"course_id": "1", "email": "a@b"}]))


def test_targeted_refresh_replaces_only_the_given_courses(engine):
    with session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, snapshot(), now=T0)
    refreshed = CacheSnapshot(
        courses=[_course(1, name="Algebra 1 (renamed)")],
        # Alias of course 2 moved to course 1 in Classroom; course 0 was deleted.
        aliases=[{"course_id": "1", "alias": "d:S1-ALG-1-2026"}, {"course_id": "1", "alias": "d:S1-ALG-2-2026"}],
        teachers=[{"course_id": "1", "user_id": "t9", "email": f"t9@{DOMAIN}"}],
        students=[{"course_id": "1", "user_id": "s7", "email": f"s7@{DOMAIN}"}],
        users=[{"user_id": "s7", "email": f"s7@{DOMAIN}", "given_name": "New", "family_name": "Kid"},
               {"user_id": "s0", "email": f"s0@{DOMAIN}", "given_name": "Renamed", "family_name": "0"}],
    )
    later = T0 + timedelta(minutes=30)
    with session_scope(engine) as session:
        replace_courses(session, DOMAIN, ["0", "1"], refreshed, now=later)
    with session_scope(engine, readonly=True) as session:
        cache = read_cache(session, DOMAIN)
        only_one = read_cache(session, DOMAIN, course_ids=["1"])
        meta = get_cache_meta(session, DOMAIN)
    assert sorted(c["course_id"] for c in cache.courses) == ["1", "2"]
    assert {c["course_id"]: c["name"] for c in cache.courses}["1"] == "Algebra 1 (renamed)"
    assert sorted((a["alias"], a["course_id"]) for a in cache.aliases) == [
        ("d:S1-ALG-1-2026", "1"), ("d:S1-ALG-2-2026", "1")]
    assert sorted(s["user_id"] for s in cache.students if s["course_id"] == "2") == ["s0", "s1", "s2", "s3"]
    assert {u["user_id"]: u["given_name"] for u in cache.users}["s0"] == "Renamed"
    assert len(cache.guardian_invitations) == 4  # guardian data is refreshed separately
    assert [s["user_id"] for s in only_one.students] == ["s7"]
    assert [u["user_id"] for u in only_one.users] == ["s7"]  # t9 has no profile row in the cache
    assert (meta.last_full_refresh_at, meta.last_refresh_at) == (T0, later)


def test_targeted_refresh_refuses_rows_of_other_courses(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValueError, match="outside course_ids"):
            replace_courses(session, DOMAIN, ["1"], CacheSnapshot(students=[{"course_id": "2", "user_id": "s"}]))
        with pytest.raises(ValueError, match="replace_guardians"):
            replace_courses(session, DOMAIN, ["1"], CacheSnapshot(guardians=[{"student_id": "s", "guardian_id": "g"}]))


def test_replace_guardians_of_some_students(engine):
    with session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, snapshot(), now=T0)
        replace_guardians(session, DOMAIN, ["s0", "s1"],
                          invitations=[{"student_id": "s1", "invitation_id": "i9", "invited_email": "p@example.com",
                                        "state": "COMPLETE", "creation_time": None}],
                          guardians=[{"student_id": "s1", "guardian_id": "g1", "invited_email": "p@example.com"}])
        cache = read_cache(session, DOMAIN)
        with pytest.raises(ValueError, match="outside student_ids"):
            replace_guardians(session, DOMAIN, ["s0"], guardians=[{"student_id": "s3", "guardian_id": "g"}])
    assert sorted((i["student_id"], i["invitation_id"]) for i in cache.guardian_invitations) == [
        ("s1", "i9"), ("s2", "i2"), ("s3", "i3")]
    assert [(g["student_id"], g["guardian_id"]) for g in cache.guardians] == [("s1", "g1")]


def test_cache_age(engine):
    with session_scope(engine) as session:
        assert cache_age(session, DOMAIN) is None
        replace_courses(session, DOMAIN, ["1"], CacheSnapshot(courses=[_course(1)]), now=T0)
        assert cache_age(session, DOMAIN) is None  # never fully read
        replace_domain_cache(session, DOMAIN, snapshot(), now=T0)
        assert cache_age(session, DOMAIN, now=T0 + timedelta(hours=5)) == timedelta(hours=5)


def test_two_first_fills_of_one_domain_at_once_both_succeed(engine):
    """Two jobs' first analyses on two workers fill the same empty cache at the same moment."""
    import threading

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def fill() -> None:
        try:
            with session_scope(engine) as session:
                barrier.wait()
                replace_domain_cache(session, DOMAIN, snapshot(courses=40), now=T0)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    for _ in range(5):
        threads = [threading.Thread(target=fill) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        with session_scope(engine, readonly=True) as session:
            assert _sorted(read_cache(session, DOMAIN)) == _sorted(snapshot(courses=40))
