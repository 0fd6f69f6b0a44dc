from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from littlesis.store.base import table_of
from littlesis.store.coltypes import as_utc
from littlesis.store.engine import make_engine, normalize_url, session_scope, sqlite_url
from littlesis.store.models import Job, Run


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "s.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    engine.dispose()


def test_urls_from_airflow_connections_are_normalised():
    assert normalize_url("postgres://u:p@db:5432/ls").drivername == "postgresql+psycopg2"
    assert normalize_url("postgresql://u@db/ls").drivername == "postgresql+psycopg2"
    assert normalize_url("sqlite:////tmp/x.db").drivername == "sqlite"
    with pytest.raises(ValueError, match="unsupported store database 'mysql'"):
        normalize_url("mysql://u@db/ls")


def _job(job_id: str = "j1") -> dict[str, object]:
    return {"job_id": job_id, "name": "J", "config_path": "j.yaml", "config_sha": "0" * 64,
            "automation_mode": "manual", "state": "awaiting_analysis", "updated_at": datetime.now(UTC)}


def test_session_scope_commits_or_rolls_back(engine):
    jobs = table_of(Job)
    with session_scope(engine) as session:
        session.execute(insert(jobs), _job("kept"))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.execute(insert(jobs), _job("dropped"))
        raise RuntimeError("boom")
    with session_scope(engine, readonly=True) as session:
        assert session.execute(select(jobs.c.job_id)).scalars().all() == ["kept"]


def test_foreign_keys_and_checks_are_enforced(engine):
    runs = table_of(Run)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.execute(insert(runs), {
            "run_id": "r", "job_id": "missing", "created_at": datetime.now(UTC), "state": "created", "unsafe": False,
            "unsafe_reasons": [], "counts": {}, "sources": [], "approval": "none"})
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.execute(insert(table_of(Job)), {**_job(), "state": "bogus"})


def test_timestamps_come_back_aware_in_utc(engine):
    paris = timezone(timedelta(hours=2))
    when = datetime(2026, 5, 1, 14, 30, 15, 123456, tzinfo=paris)
    with session_scope(engine) as session:
        session.execute(insert(table_of(Job)), {**_job(), "updated_at": when})
    with session_scope(engine) as session:
        stored = session.execute(text("SELECT updated_at FROM ls_jobs")).scalar_one()
        back = session.execute(select(table_of(Job).c.updated_at)).scalar_one()
    assert back == when and back.tzinfo == UTC
    assert str(stored).startswith("2026-05-01 12:30:15")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        as_utc(datetime(2026, 1, 1))
