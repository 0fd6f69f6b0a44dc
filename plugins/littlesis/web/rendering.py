"""Server-side HTML: Jinja2 templates from this package, autoescaped, with a few display filters.

Every value from a CSV or from Classroom reaches the page through autoescaping, so a class
named ``<script>`` is shown as those characters, never run. Nothing is marked safe except the
SVG the templates draw themselves from numbers.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from littlesis.store.records import ActionRecord
from littlesis.web import csrf
from littlesis.web.context import base_path, deps_of, link

JOB_STATE_LABELS = {
    "awaiting_analysis": "Awaiting analysis",
    "analyzing": "Analyzing",
    "pending_review": "Analyzed, pending review",
    "in_review": "In review",
    "committing": "Committing staged actions",
    "failed": "Failed",
}


def label(value: str | None) -> str:
    """``add_student`` -> ``Add student``."""
    return (value or "").replace("_", " ").strip().capitalize()


# Where an action names the person (or course) it is about, when that isn't its target.
SUBJECT_FIELDS = ("userId", "invitedEmailAddress", "ownerId")


def subject(action: ActionRecord) -> str:
    """Who or what an action is about: the student of an ``add_student`` (its target is the course);
    nothing for a new course (the class column names it)."""
    if action.kind == "create_course":
        return ""
    for name in SUBJECT_FIELDS:
        value = action.payload.get(name)
        if isinstance(value, str) and value:
            return value
    return action.target or ""


def number(value: int | float | None) -> str:
    if value is None:
        return "\u2013"  # en dash
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def when(value: datetime | None) -> str:
    if value is None:
        return "\u2013"  # en dash
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@pass_context
def ago(context: Context, value: datetime | None) -> str:
    """"3 h ago" / "in 2 d" against the app's clock (the page's ``now``)."""
    if value is None:
        return ""
    now: datetime = context["now"]
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = (now - aware).total_seconds()
    amount = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if amount >= size:
            text = f"{int(amount // size)} {unit}"
            break
    else:
        text = "moments"
    return f"{text} ago" if seconds >= 0 else f"in {text}"


@functools.cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("littlesis.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(label=label, n=number, when=when, ago=ago, subject=subject)
    env.globals["job_state_labels"] = JOB_STATE_LABELS
    return env


def render(request: Request, template: str, user_name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    deps = deps_of(request)
    page = environment().get_template(template).render(
        base=base_path(request),
        url=functools.partial(link, request),
        static=lambda name: f"{base_path(request)}/static/{name}",
        csrf_token=csrf.session_token(request, deps.csrf_secret()),
        user_name=user_name,
        now=deps.clock(),
        **context,
    )
    return HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})
