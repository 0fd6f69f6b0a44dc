"""Validation of the schedules a job may use (the subset Airflow accepts as cron)."""

from __future__ import annotations

PRESETS = frozenset({"@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually", "@midnight"})

_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
)


def cron_problem(expression: str) -> str | None:
    """None when ``expression`` is a valid 5-field cron or preset, else what is wrong."""
    text = expression.strip()
    if text.startswith("@"):
        return None if text in PRESETS else f"unknown schedule preset {text!r}"
    fields = text.split()
    if len(fields) != 5:
        return f"a cron schedule has 5 fields (minute hour day month weekday), this one has {len(fields)}"
    for raw, (label, low, high, names) in zip(fields, _FIELDS, strict=True):
        for item in raw.split(","):
            problem = _item_problem(item, low, high, names)
            if problem:
                return f"{label} field {raw!r}: {problem}"
    return None


def _item_problem(item: str, low: int, high: int, names: dict[str, int]) -> str | None:
    body, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return f"bad step {step!r}"
    if body == "*":
        return None
    bounds = body.split("-")
    if len(bounds) > 2:
        return f"bad range {body!r}"
    values = []
    for bound in bounds:
        value = names.get(bound.lower()) if not bound.isdigit() else int(bound)
        if value is None:
            return f"{bound!r} is not a number"
        if not low <= value <= high:
            return f"{value} is outside {low}-{high}"
        values.append(value)
    if len(values) == 2 and values[0] > values[1]:
        return f"range {body!r} runs backwards"
    return None
