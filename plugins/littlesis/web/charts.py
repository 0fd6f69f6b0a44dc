"""The little bar chart on a job card: changes planned by each recent run, oldest on the left."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from littlesis.store.records import RunRecord

WIDTH = 120
HEIGHT = 32
GAP = 2
MIN_VISIBLE = 1.5  # a run that planned something never draws as an invisible bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    changes: int
    run_id: str
    state: str


def run_bars(runs_newest_first: Sequence[RunRecord], slots: int = 12) -> list[Bar]:
    """One bar per run (at most ``slots``), heights relative to the busiest run shown."""
    runs = list(reversed(runs_newest_first[:slots]))
    if not runs:
        return []
    totals = [sum(run.counts.values()) for run in runs]
    top = max(totals) or 1
    width = (WIDTH - GAP * (slots - 1)) / slots
    bars = []
    for i, (run, total) in enumerate(zip(runs, totals, strict=True)):
        height = 0.0 if total == 0 else max(MIN_VISIBLE, HEIGHT * total / top)
        bars.append(Bar(x=round(i * (width + GAP), 2), y=round(HEIGHT - height, 2), width=round(width, 2),
                        height=round(height, 2), changes=total, run_id=run.run_id, state=run.state))
    return bars
