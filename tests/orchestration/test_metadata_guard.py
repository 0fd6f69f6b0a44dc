"""The guard that stops task code from using Airflow's metadata database (no Airflow run needed)."""

from __future__ import annotations

import threading

import pytest
from airflow import settings
from airflow.utils import session as session_module

from littlesis.orchestration import tasks
from littlesis.orchestration.metadata_guard import MetadataDbAccess, guarded, no_metadata_db


def test_the_orm_session_raises_inside_the_block_and_is_restored_after() -> None:
    before = (settings.Session, session_module.create_session)
    with no_metadata_db():
        with pytest.raises(MetadataDbAccess, match="metadata database"), session_module.create_session():
            pass
        with pytest.raises(MetadataDbAccess):
            settings.Session()
    assert (settings.Session, session_module.create_session) == before


def test_other_threads_are_not_blocked() -> None:
    seen: list[object] = []
    with no_metadata_db():
        thread = threading.Thread(target=lambda: seen.append(session_module.create_session))
        thread.start()
        thread.join()
        # Another thread reaches the stand-in, which hands it the real create_session.
        assert len(seen) == 1


def test_every_task_body_is_guarded() -> None:
    for step in ("load_csv", "apply_rules", "match_teacher_classes", "analyze", "commit", "refresh_cache",
                 "record_failure"):
        assert getattr(tasks, step).__wrapped__ is not None, step

    @guarded
    def body() -> None:
        with session_module.create_session():
            pass

    with pytest.raises(MetadataDbAccess):
        body()
