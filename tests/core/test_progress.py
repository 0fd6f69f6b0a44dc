"""Progress lines for task logs."""

from __future__ import annotations

from littlesis.core.progress import Progress


def test_done_total_rate_and_time_left():
    now = [100.0]
    progress = Progress("commit r1", 1000, clock=lambda: now[0])
    now[0] = 110.0
    assert progress.advance(200) == "commit r1: 200/1,000 (20%), 20.0/s, 10 s elapsed, about 40 s left"
    now[0] = 190.0
    assert progress.advance(600) == "commit r1: 800/1,000 (80%), 8.9/s, 1 min 30 s elapsed, about 22 s left"


def test_nothing_done_yet_has_no_estimate():
    now = [0.0]
    progress = Progress("refresh", 10, clock=lambda: now[0])
    now[0] = 3.0
    assert progress.line() == "refresh: 0/10 (0%), 0.0/s, 3 s elapsed, about unknown left"
