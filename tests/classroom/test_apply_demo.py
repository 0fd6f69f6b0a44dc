"""The commit end to end: the demo district's plan from the real analysis, applied to an emulated domain
over real HTTP; the emulator then holds what the SIS asks for, and a new analysis plans nothing."""

from __future__ import annotations

import csv
import math

import pytest

from littlesis.store import audit, runs, synced
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from tests.classroom.apply_support import (
    DEMO,
    DEMO_CSV,
    analyze,
    assert_no_duplicates,
    classroom_view,
    commit,
    journal_methods,
    new_store,
    results,
    sis_view,
    stage,
    staged_counts,
    status_counts,
)
from tests.classroom.helpers import DOMAIN, Hooks

EMPTY_DOMAIN = {"domains": [DOMAIN], "auto_users": True, "guardians_enabled": True}
DEMO_COUNTS = {"create_course": 19, "add_student": 379, "invite_guardian": 61}
METHOD_OF = {"create_course": "courses.create", "add_student": "courses.students.create",
             "invite_guardian": "userProfiles.guardianInvitations.create"}
CHEMISTRY, ALGEBRA, STATISTICS, ROBOTICS = ("1000-103-10000-2026", "1000-100-20002-2026", "1000-117-10002-2026",
                                            "1000-150-90000-2026")
OLD_OWNER, NEW_OWNER = "ava.garcia.t0@district.example.org", "noah.kim.t9@district.example.org"
TEACHER_MIA = "mia.rossi.t2@district.example.org"
DROPPED = "liam.garcia1@district.example.org"


@pytest.fixture
def domain(hooks: Hooks) -> Hooks:
    hooks.reset()
    hooks.seed(EMPTY_DOMAIN)
    return hooks


@pytest.fixture
def engine(tmp_path):
    return new_store(tmp_path / "store.db")


def test_the_demo_district_lands_exactly_with_one_call_per_action(make_client, domain: Hooks, engine):
    outcome = analyze(engine, domain, DEMO, "r1")
    assert outcome.counts == DEMO_COUNTS
    stage(engine, "r1")
    domain.request("DELETE", "journal")
    client = make_client()

    report = commit(client, engine, "r1")

    # every staged action done, in one call each: no read before a write, no retry, no second try
    assert report.state == "committed" and report.reason is None
    assert report.counts == {kind: {"done": n} for kind, n in DEMO_COUNTS.items()}
    assert status_counts(engine, "r1") == {"done": sum(DEMO_COUNTS.values())}
    assert dict(report.calls.calls) == {METHOD_OF[k]: n for k, n in DEMO_COUNTS.items()}
    assert report.calls.total_attempts == sum(DEMO_COUNTS.values()) and report.calls.retries == 0
    assert report.calls.http_requests == sum(math.ceil(n / 50) for n in DEMO_COUNTS.values())
    methods = journal_methods(domain)
    assert sorted(set(methods)) == sorted(METHOD_OF.values())  # nothing read, nothing listed
    first = {m: methods.index(m) for m in METHOD_OF.values()}
    last = {m: len(methods) - 1 - methods[::-1].index(m) for m in METHOD_OF.values()}
    assert last["courses.create"] < first["courses.students.create"]  # courses exist before their rosters
    assert last["courses.students.create"] < first["userProfiles.guardianInvitations.create"]

    # Classroom now holds what the SIS asks for, once
    state = domain.state()
    assert classroom_view(state) == sis_view(DEMO)
    assert len(state["courses"]) == 19
    assert_no_duplicates(state)

    # each action says what happened; the run, the job's synced values and the audit trail are recorded
    create = next(a for a in results(engine, "r1").values() if a.kind == "create_course")
    assert create.result_reason.startswith("course ") and create.attempts == 1 and create.finished_at
    with session_scope(engine, readonly=True) as session:
        run = runs.require_run(session, "r1")
        assert (run.state, run.committed_at is not None) == ("committed", True)
        values = synced.read_synced_values(session, "demo_generic")
        (entry,) = audit.read_audit(session, run_id="r1", action="run.commit")
    assert len({a for a, _, _ in values}) == 19 and ("1000-103-10000-2026", "room", "R100") in values
    assert entry.actor == "tester@district.example.org"
    assert entry.detail["totals"] == {"done": 459} and entry.detail["calls"] == report.summary()["calls"]

    # a second analysis of the same data plans nothing, and a second commit of r1 sends nothing
    again = analyze(engine, domain, DEMO, "r2")
    assert again.plan.is_empty() and again.counts == {}
    rerun = commit(client, engine, "r1")
    assert rerun.calls.total_calls == 0 and rerun.already_final == 459 and rerun.state == "committed"


def test_only_the_staged_actions_are_sent(make_client, domain: Hooks, engine):
    """A reviewer stages three classes (creates and rosters) and one guardian invitation; the rest stays
    proposed, untouched by the commit."""
    analyze(engine, domain, DEMO, "r1")
    chosen = ["1000-103-10000-2026", "1000-100-20002-2026", "1000-109-30000-2026"]
    everything = results(engine, "r1").values()
    ids = [a.action_id for a in everything if a.alias in chosen and a.kind != "invite_guardian"]
    ids.append(next(a.action_id for a in everything if a.kind == "invite_guardian"))
    stage(engine, "r1", action_ids=ids)

    report = commit(make_client(), engine, "r1")

    assert report.state == "committed" and report.totals() == {"done": len(ids)}
    assert status_counts(engine, "r1", ActionFilter(decision="staged")) == {"done": len(ids)}
    assert status_counts(engine, "r1", ActionFilter(decision="proposed")) == {"pending": 459 - len(ids)}
    state = domain.state()
    assert sorted(a[2:] for c in state["courses"] for a in c["aliases"]) == sorted(chosen)
    assert len(state["guardianInvitations"]) == 1
    assert report.calls.total_calls == len(ids) == sum(staged_counts(engine, "r1").values())


def _demo_rows() -> list[dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _changed_district(tmp_path, robotics: list[dict[str, str]]):
    """The demo with one of every change: a new primary teacher, a dropped student, a room change, a
    guardian dropped, a class gone (archive_missing), and a new class a teacher already made by hand."""
    rows = _demo_rows()
    out = []
    for row in rows:
        alias = "-".join(row[k] for k in ("SchoolID", "CourseID", "SectionID", "Year"))
        if alias == CHEMISTRY:
            row["TeacherEmail"] = NEW_OWNER
            if row["StudentEmail"] == DROPPED:
                continue
        if alias == ALGEBRA:
            row["Room"] = "R999"
        if alias == STATISTICS:
            continue
        if row["StudentID"] == "100000":
            row["GuardianEmail"] = "parent.0@families.example.net"
        out.append(row)
    out += robotics
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(out)
    config = tmp_path / "job.yaml"
    text = DEMO.read_text(encoding="utf-8").replace("../demo/generic/roster.csv", str(roster))
    text = text.replace("remove_teachers: false", "remove_teachers: true")
    config.write_text(text.replace("preferences:\n", "preferences:\n  archive_missing: true\n"), encoding="utf-8")
    return config


def _robotics_rows() -> list[dict[str, str]]:
    rows = _demo_rows()
    students = list({r["StudentID"]: r for r in rows if r["CourseName"] == "Physics"}.values())[:6]
    return [{**r, "CourseID": "150", "CourseName": "Robotics", "SectionID": "90000", "Period": "9",
             "Room": "R900", "TeacherEmail": TEACHER_MIA} for r in students]


def test_every_kind_of_change_lands_and_the_next_analysis_plans_nothing(make_client, domain: Hooks, engine,
                                                                         tmp_path):
    analyze(engine, domain, DEMO, "r1")
    stage(engine, "r1")
    client = make_client()
    assert commit(client, engine, "r1").state == "committed"
    robotics = _robotics_rows()
    domain.seed({"courses": [{"name": "Robotics", "ownerEmail": TEACHER_MIA, "courseState": "ACTIVE",
                              "studentEmails": [r["StudentEmail"] for r in robotics[:5]]}]})
    config = _changed_district(tmp_path, robotics)

    second = analyze(engine, domain, config, "r2")
    # The old owner of Chemistry goes in the same plan, after the transfer that makes them removable.
    assert second.counts == {"link_course": 1, "update_course": 1, "add_teacher": 1, "change_owner": 1,
                             "remove_teacher": 1, "add_student": 1, "remove_student": 1,
                             "withdraw_guardian_invitation": 1, "archive_course": 1}
    stage(engine, "r2")
    domain.request("DELETE", "journal")
    report = commit(client, engine, "r2")

    assert report.state == "committed" and report.totals() == {"done": 9}
    assert report.calls.total_calls == 9  # one call each, the owner transfer included
    state = domain.state()
    view, wanted = classroom_view(state), sis_view(config)
    assert view["invitations"] == wanted["invitations"]
    assert view["classes"].pop(STATISTICS)["state"] == "ARCHIVED"
    linked, sis_linked = view["classes"].pop(ROBOTICS), wanted["classes"].pop(ROBOTICS)
    assert (linked["owner"], linked["students"]) == (sis_linked["owner"], sis_linked["students"])
    assert linked["section"] == ""  # a linked course keeps the teacher's own details
    chemistry = view["classes"][CHEMISTRY]
    assert chemistry["owner"] == NEW_OWNER and chemistry["teachers"] == {NEW_OWNER}
    assert OLD_OWNER not in chemistry["teachers"]
    assert view["classes"] == wanted["classes"]
    assert_no_duplicates(state)
    with session_scope(engine, readonly=True) as session:
        values = synced.read_synced_values(session, "demo_generic")
    assert (ROBOTICS, synced.LINKED_COURSE, next(c["id"] for c in state["courses"] if c["name"] == "Robotics")
            ) in values and (ALGEBRA, "room", "R999") in values
    assert analyze(engine, domain, config, "r3").plan.is_empty()
