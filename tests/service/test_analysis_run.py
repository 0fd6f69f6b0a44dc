"""An analysis run end to end on a real store (SQLite file): plan, counts, details, states."""

from __future__ import annotations

from littlesis.core.job_files import read_job
from littlesis.service.analysis_run import run_analysis
from littlesis.store import actions, jobs, run_details, runs
from littlesis.store.cache import CacheSnapshot, replace_domain_cache
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.migrate import upgrade
from tests.conftest import ROOT

DEMO = ROOT / "include" / "job_configs" / "demo_generic.yaml"


def store(tmp_path):
    url = sqlite_url(tmp_path / "store.db")
    upgrade(url)
    return make_engine(url)


def test_a_never_filled_cache_is_filled_first_then_the_plan_is_stored(tmp_path):
    engine = store(tmp_path)
    filled = []

    def refresh():  # what the inventory does: make the domain's cache exactly what Classroom holds
        with session_scope(engine) as session:
            replace_domain_cache(session, "demo", CacheSnapshot())
        filled.append(True)

    outcome = run_analysis(read_job(DEMO), DEMO, engine, "demo", run_id="r1", refresh=refresh)
    assert filled == [True] and outcome.cache_refreshed
    summary = outcome.summary()
    assert summary["counts"] == {"create_course": 19, "add_student": 379, "invite_guardian": 61}
    assert summary["excluded"] == 2 and summary["rejected_rows"] == 1 and not summary["unsafe"]
    with session_scope(engine, readonly=True) as session:
        run = runs.require_run(session, "r1")
        assert run.state == "pending_review" and run.counts == summary["counts"]
        assert run.plan_checksum == outcome.plan.checksum()
        assert [s["name"] for s in run.sources] == ["roster"]
        assert jobs.get_job(session, "demo_generic").state == "pending_review"
        page = actions.page_actions(session, "r1", limit=2)
        assert page.total == 459 and page.items[0].kind == "create_course"
        assert page.items[0].payload["id"].startswith("d:") and page.items[0].decision == "proposed"
        assert {e.rule for e in run_details.list_excluded_classes(session, "r1")} == {
            "exclude: CourseName equals 'Health'"}
        (rejected,) = run_details.list_rejected_rows(session, "r1")
        assert (rejected.line, rejected.field, rejected.value) == (14, "student_email", "not-an-address")


def test_a_filled_cache_is_used_as_it_is(tmp_path):
    engine = store(tmp_path)
    with session_scope(engine) as session:
        replace_domain_cache(session, "demo", CacheSnapshot())

    def refresh():
        raise AssertionError("the cache was filled already")

    outcome = run_analysis(read_job(DEMO), DEMO, engine, "demo", run_id="r2", refresh=refresh)
    assert not outcome.cache_refreshed and outcome.cache_age is not None


def test_automatic_staging_stages_a_safe_plan_and_approves_it(tmp_path):
    from littlesis.service.staging import stage_all_allowed

    engine = store(tmp_path)
    outcome = run_analysis(read_job(DEMO), DEMO, engine, "demo", run_id="r3",
                           refresh=lambda: _empty_cache(engine))
    staging = stage_all_allowed(engine, "r3")
    assert (staging.staged, staging.held_for_review, staging.approved) == (459, 0, True)
    with session_scope(engine, readonly=True) as session:
        assert runs.require_run(session, "r3").state == "approved"
        assert actions.count_actions(session, "r3", by="decision") == {"staged": 459}
    assert outcome.counts["create_course"] == 19


def test_an_unsafe_plan_is_never_staged_automatically(tmp_path, write):
    from littlesis.service.staging import stage_all_allowed
    from littlesis.store.cache import CacheSnapshot

    engine = store(tmp_path)
    students = [f"s{i}@d.org" for i in range(10)]
    cache = CacheSnapshot(
        courses=[{"course_id": f"{n}", "name": "Algebra", "section": "Period 1", "room": "", "description_heading": "",
                  "description": "", "owner_id": "t@d.org", "course_state": "ACTIVE", "creation_time": None,
                  "update_time": None, "alternate_link": None} for n in range(4)],
        aliases=[{"course_id": f"{n}", "alias": f"d:C{n}"} for n in range(4)],
        teachers=[{"course_id": f"{n}", "user_id": "t@d.org", "email": "t@d.org"} for n in range(4)],
        students=[{"course_id": f"{n}", "user_id": s, "email": s} for n in range(4) for s in students],
    )
    with session_scope(engine) as session:
        replace_domain_cache(session, "d", cache)
    # Half of each class's rows are missing from tonight's export.
    write("roster.csv", "SchoolID,CourseID,SectionID,Year,CourseName,Period,Room,TeacherEmail,StudentEmail\n" + "".join(
        f"1,1,{n},2026,Algebra,1,,t@d.org,{s}\n" for n in range(4) for s in students[::2]))
    config = write("job.yaml", "id: cut\nname: Cut\nsource: {preset: generic, files: {roster: roster.csv}}\n"
                               "mapping: {class_alias: 'C{SectionID}'}\npreferences: {remove_students: true}\n"
                               "automation: {mode: automatic, schedule: '@daily'}\n")
    outcome = run_analysis(read_job(config), config, engine, "d", run_id="cut1")
    assert outcome.plan.safety.unsafe and outcome.counts == {"remove_student": 20}
    staging = stage_all_allowed(engine, "cut1")
    assert (staging.staged, staging.approved) == (0, False)
    assert staging.reasons == ["unsafe plan, waiting for a person: would remove 20 of 40 students (50.0%), "
                               "over the 10% limit",
                               "unsafe plan, waiting for a person: would change 4 of 4 courses (100.0%), "
                               "over the 25% limit"]
    with session_scope(engine, readonly=True) as session:
        assert actions.count_actions(session, "cut1", by="decision") == {"proposed": 20}
        assert runs.require_run(session, "cut1").state == "pending_review"


def _empty_cache(engine):
    with session_scope(engine) as session:
        replace_domain_cache(session, "demo", CacheSnapshot())


def test_automatic_staging_keeps_what_a_person_excluded_from_the_last_commit(tmp_path):
    """Run N: a person stages part and excludes one action; run N+1 (the same plan proposed again)
    stages the rest automatically, but not the excluded one."""
    from littlesis.service.staging import stage_all_allowed
    from littlesis.store import decisions
    from littlesis.store.filters import ActionFilter

    engine = store(tmp_path)
    person = "reviewer@district.example.org"
    run_analysis(read_job(DEMO), DEMO, engine, "demo", run_id="n", refresh=lambda: _empty_cache(engine))
    with session_scope(engine) as session:
        creates = [a.action_id for a in actions.iter_actions(session, "n", ActionFilter(kind="create_course"))]
        decisions.stage_actions(session, "n", actor=person, action_ids=creates[:2])
        decisions.exclude_actions(session, "n", actor=person, action_ids=creates[2:3])
        decisions.approve_run(session, "n", actor=person)
        runs.set_run_state(session, "n", "committed")  # (what the commit ends with)

    run_analysis(read_job(DEMO), DEMO, engine, "demo", run_id="n1")  # the cache never saw the commit
    staging = stage_all_allowed(engine, "n1")
    assert staging.approved and staging.staged == 458
    assert staging.reasons == ["1 actions excluded in run n stay excluded"]
    with session_scope(engine, readonly=True) as session:
        assert actions.count_actions(session, "n1", by="decision") == {"staged": 458, "excluded": 1}
        (kept_out,) = actions.iter_actions(session, "n1", ActionFilter(decision="excluded"))
        assert kept_out.action_id == creates[2] and kept_out.decided_by == "automatic staging"
        assert runs.require_run(session, "n1").approval == "partial"


def test_matches_found_beforehand_plan_the_same_and_stale_ones_are_dropped(tmp_path):
    """What match_teacher_classes hands analyze: the same plan as matching inside it; a match whose
    course another job linked meanwhile is not used (the class gets a course of its own)."""
    import dataclasses
    import json
    import urllib.request

    from littlesis.core.analysis import analyze, teacher_matches
    from littlesis.core.preview import preview
    from littlesis.emulator import EmulatorServer
    from littlesis.service.analysis_run import analysis_input, classroom_state, read_classroom
    from tests.classroom.apply_support import cache_of

    seed = json.loads((ROOT / "include" / "demo" / "classroom_seed.json").read_text())
    with EmulatorServer(seed=seed) as server, urllib.request.urlopen(server.base_url + "_emulator/state") as answer:
        cache = cache_of(json.loads(answer.read()))
    engine = store(tmp_path)
    with session_scope(engine) as session:
        replace_domain_cache(session, "demo", cache)
    job = read_job(DEMO)
    scoped = preview(job, DEMO)
    view = read_classroom(engine, "demo", job.id)

    matches = teacher_matches(analysis_input(job, scoped, view))
    assert list(matches["decision"]) == ["link"] * 3
    inside = analyze(analysis_input(job, scoped, view))
    beforehand = analyze(analysis_input(job, scoped, view, matches))
    assert beforehand.checksum() == inside.checksum() and beforehand.counts()["link_course"] == 3

    taken = matches.iloc[0]
    cache.aliases.append({"alias": "d:another_job_class", "course_id": taken["course_id"]})
    moved_on = dataclasses.replace(view, state=classroom_state(cache))
    replanned = analyze(analysis_input(job, scoped, moved_on, matches))
    assert replanned.counts()["link_course"] == 2
    assert taken["alias"] in set(replanned.actions.loc[replanned.actions["kind"] == "create_course", "alias"])
