"""Synced values: what a job last wrote, per class and field; the classes a job owns."""

from __future__ import annotations

from littlesis.store.engine import session_scope
from littlesis.store.jobs import upsert_job
from littlesis.store.synced import forget_aliases, job_aliases, read_synced_values, record_synced_values


def test_record_read_overwrite_and_forget(engine):
    with session_scope(engine) as session:
        upsert_job(session, job_id="j", name="J", config_path="j.yaml", config_sha="x", automation_mode="manual")
        record_synced_values(session, "j", "run1", [("C1", "course_name", "Algebra"), ("C1", "section", "P1"),
                                                    ("C2", "linked_course", "123")])
    with session_scope(engine) as session:
        record_synced_values(session, "j", "run2", [("C1", "course_name", "Algebra II")])
        assert read_synced_values(session, "j") == [
            ("C1", "course_name", "Algebra II"), ("C1", "section", "P1"), ("C2", "linked_course", "123")]
        assert job_aliases(session, "j") == {"C1", "C2"}
        forget_aliases(session, "j", ["C2"])
        assert job_aliases(session, "j") == {"C1"}
