"""Bugs the fault seeds found, each kept as a regression test that replays the seed that showed it."""

from __future__ import annotations

from littlesis.store.audit import read_audit
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from tests.classroom.apply_support import results
from tests.reliability.scenario import RUN_ID, run_scenario
from tests.reliability.stores import SqliteStores


def test_seed_1_an_update_sends_only_the_fields_the_sis_changed(sqlite_stores: SqliteStores, tmp_path):
    """Two courses changing different fields (one renamed, one moved) gave each update the other's field as
    NaN: pandas 3 reads a column of strings and None as strings with NaN for the gaps, the planner's
    ``is not None`` kept them, and Classroom refused the patch ("Invalid value at 'room'")."""
    outcome = run_scenario(1, sqlite_stores, tmp_path)

    engine = make_engine(sqlite_url(tmp_path / "store.db"))  # the scenario's SQLite store stays in tmp_path
    updates = [a for a in results(engine, RUN_ID).values() if a.kind == "update_course"]
    engine.dispose()
    assert len({a.payload["updateMask"] for a in updates}) > 1  # the seed changes different fields
    for action in updates:
        course = action.payload["course"]
        assert sorted(course) == action.payload["updateMask"].split(",")
        assert all(isinstance(value, str) for value in course.values()), course
        assert action.status == "done", action.result_reason
    assert outcome.violations == []


def test_seed_17_a_user_still_unknown_after_the_retries_is_sent_again_by_the_rerun(sqlite_stores: SqliteStores,
                                                                                    tmp_path):
    """New students and teachers answer NOT_FOUND for a while after they appear (user_not_found=0.59 s in
    this seed, longer than the retries last). The commit recorded those 404s as final failures, so no rerun
    ever enrolled them; now they are "not found yet", which a rerun sends again."""
    outcome = run_scenario(17, sqlite_stores, tmp_path)

    assert "user_not_found" in outcome.mix.kinds and outcome.injected["user_not_found"] > 0
    assert outcome.commits >= 2  # the first commit left users not found yet; a rerun enrolled them
    assert outcome.violations == []


def test_seed_24_an_owner_transfer_waits_for_its_new_owner_and_removals_wait_for_the_transfer(
        sqlite_stores: SqliteStores, tmp_path):
    """A 429 storm made the new owner's add_teacher run out of retries; the transfer was sent all the same,
    refused (@IneligibleOwner) and recorded as final, and the old owner's removal after it refused too
    (an owner can't be removed). Reruns added the teacher but never moved the course. Now both are held
    back as "not sent" until the action they need went through, and the rerun finishes them."""
    outcome = run_scenario(24, sqlite_stores, tmp_path)

    engine = make_engine(sqlite_url(tmp_path / "store.db"))
    with session_scope(engine, readonly=True) as session:
        ends = read_audit(session, run_id=RUN_ID, action="run.commit", limit=100)
    engine.dispose()
    first = ends[-1].detail  # newest first
    held = [f["reason"] for f in first["failures"] if f["kind"] in ("change_owner", "remove_teacher")]
    assert any(r.startswith("not sent: ") and " is not a teacher of " in r for r in held), first["failures"]
    assert all(r.startswith(("not sent: ", "retries exhausted")) for r in held)  # no refusal made final
    assert outcome.commits >= 2 and outcome.violations == []


def test_seed_123_a_link_whose_check_ran_out_of_retries_is_checked_again_by_the_rerun(sqlite_stores: SqliteStores,
                                                                                      tmp_path):
    """The link's alias was already there (the first try was applied, its answer lost), and the read that
    tells whose course holds it met a 429 storm: the link was recorded as a final failure, so no rerun
    looked again. Now a check that ran out of retries is "retries exhausted", which a rerun re-opens."""
    outcome = run_scenario(123, sqlite_stores, tmp_path)

    engine = make_engine(sqlite_url(tmp_path / "store.db"))
    with session_scope(engine, readonly=True) as session:
        ends = read_audit(session, run_id=RUN_ID, action="run.commit", limit=100)
    engine.dispose()
    links = [f["reason"] for e in ends for f in e.detail["failures"] if f["kind"] == "link_course"]
    assert any(r.startswith("retries exhausted") and "(reading d:" in r for r in links), links
    assert outcome.violations == []
