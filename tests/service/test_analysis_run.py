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
