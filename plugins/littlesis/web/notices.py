"""What a page says after a POST redirected to it: fixed sentences chosen by a key, filled with a number.

Only the key, a count and an id travel in the redirect's query string; the sentences live here,
so a crafted link can't make the page say anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SENTENCES = {
    "staged": "{n} actions staged.",
    "excluded": "{n} actions excluded.",
    "unstaged": "{n} actions set back to proposed.",
    "approved": "{n} staged actions approved for commit: the DAG's commit task applies them next.",
    "triggered": "Sync analysis started (run {ref}).",
    "triggered_paused": "Run {ref} was created, but the DAG is paused: it starts once the DAG is unpaused.",
    "linked": "The teacher's course will be linked to {ref}; the new-course alternative is excluded.",
    "created": "A new course will be created for {ref}; the teacher's course is left alone.",
    "cloned": "Created {ref}. Its DAG appears once Airflow has parsed the job config folder.",
    "no_runs": "{ref} has no analysis yet: run a sync analysis first.",
}
VERB_NOTICES = {"stage": "staged", "exclude": "excluded", "unstage": "unstaged"}


@dataclass(frozen=True)
class Notice:
    key: str
    text: str


def read(query: Mapping[str, str]) -> list[Notice]:
    key = query.get("notice", "")
    if key not in SENTENCES:
        return []
    raw = query.get("n", "")
    n = f"{int(raw):,}" if raw.isdigit() and len(raw) < 12 else "Some"
    return [Notice(key, SENTENCES[key].format(n=n, ref=query.get("ref", "")[:255] or "the job"))]


def query(key: str, *, n: int | None = None, ref: str | None = None) -> dict[str, object]:
    return {"notice": key, "n": n, "ref": ref}
