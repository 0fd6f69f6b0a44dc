"""One settings object for every property test: reproducible in CI, sized to stay under a minute in total.

``derandomize`` makes hypothesis draw the same examples on every run (no database
needed, none written into the tree); ``deadline=None`` because a CI machine shared
by other jobs must not turn a slow example into a failure.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def examples(count: int) -> settings:
    return settings(max_examples=count, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
