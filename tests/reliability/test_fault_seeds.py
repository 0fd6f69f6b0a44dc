"""Twenty seeded fault scenarios per store backend: a district's day committed through faults, then rerun.

Each seed draws a district plan (``district_scenario``) and a fault mix (``fault_mix``: 429
storms, 5xx, latency spikes, dropped connections, writes applied then failed, new users
not found yet, SIGKILL of the commit process, the store's connections cut on PostgreSQL
or its write lock held on SQLite). After the reruns, ``properties`` must all hold. A
failure prints the seed, its faults and what broke; replay one seed with
``pytest tests/reliability -k 'sqlite-7'``. ``make soak SEEDS=500`` runs many more.
"""

from __future__ import annotations

import pytest

from tests.reliability.scenario import run_scenario
from tests.reliability.stores import PgStores, SqliteStores

SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_faulty_commit_rerun_until_it_ends_leaves_classroom_as_the_plan_intends(
        stores: SqliteStores | PgStores, seed: int, tmp_path):
    outcome = run_scenario(seed, stores, tmp_path)

    assert outcome.violations == [], outcome.describe()
    assert outcome.injected, f"no fault fired: {outcome.describe()}"
    assert len(outcome.actions) >= 6, f"a thin plan: {dict(outcome.actions)}"
