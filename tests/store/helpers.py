"""Builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from littlesis.store.engine import session_scope
from littlesis.store.jobs import upsert_job
from littlesis.store.runs import create_run

T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
KINDS = ("create_course", "add_teacher", "add_student", "remove_student", "invite_guardian")


def make_run(engine: Engine, run_id: str = "run-1", job_id: str = "job-a", **run: Any) -> None:
    with session_scope(engine) as session:
        upsert_job(session, job_id=job_id, name=f"Job {job_id}", config_path=f"include/job_configs/{job_id}.yaml",
                   config_sha="a" * 64, automation_mode="review", now=T0)
        create_run(session, run_id=run_id, job_id=job_id, now=T0, **run)


def action(i: int, kind: str | None = None, **extra: Any) -> dict[str, Any]:
    """A plausible plan action; schools, teachers and kinds cycle so filters have something to find."""
    kind = kind or KINDS[i % len(KINDS)]
    alias = f"S{i % 7}-MATH{i % 100:03d}-{i % 3}-2026"
    return {
        "action_id": f"{i:016x}",
        "kind": kind,
        "alias": alias,
        "target": f"student{i}@district.example.org" if "student" in kind else alias,
        "payload": {"n": i},
        "reason": f"reason {i}",
        "position": i,
        "school": f"S{i % 7}",
        "teacher": f"teacher{i % 50}@district.example.org",
        **extra,
    }
