from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from littlesis.store.errors import LockHeld
from littlesis.store.locks import (
    acquire_lock,
    domain_lock_name,
    get_lock,
    hold_lock,
    release_lock,
    renew_lock,
)

from .helpers import T0

NAME = domain_lock_name("district.example.org")
TTL = timedelta(minutes=5)


def test_one_holder_at_a_time_until_release(engine):
    assert acquire_lock(engine, NAME, "commit-a", ttl=TTL, now=T0)
    assert not acquire_lock(engine, NAME, "commit-b", ttl=TTL, now=T0 + timedelta(minutes=1))
    assert acquire_lock(engine, NAME, "commit-a", ttl=TTL, now=T0 + timedelta(minutes=1))  # our own: extended
    assert get_lock(engine, NAME).expires_at == T0 + timedelta(minutes=6)
    assert not release_lock(engine, NAME, "commit-b")
    assert release_lock(engine, NAME, "commit-a")
    assert get_lock(engine, NAME) is None
    assert acquire_lock(engine, NAME, "commit-b", ttl=TTL, now=T0 + timedelta(minutes=2))


def test_an_expired_lease_is_taken_over_and_the_old_holder_loses_it(engine):
    assert acquire_lock(engine, NAME, "dead-worker", ttl=TTL, now=T0)
    assert not acquire_lock(engine, NAME, "commit-b", ttl=TTL, now=T0 + timedelta(minutes=4, seconds=59))
    assert acquire_lock(engine, NAME, "commit-b", ttl=TTL, now=T0 + timedelta(minutes=5))
    held = get_lock(engine, NAME)
    assert (held.holder, held.acquired_at) == ("commit-b", T0 + timedelta(minutes=5))
    assert not renew_lock(engine, NAME, "dead-worker", ttl=TTL)
    assert renew_lock(engine, NAME, "commit-b", ttl=TTL, now=T0 + timedelta(minutes=9))
    assert get_lock(engine, NAME).expires_at == T0 + timedelta(minutes=14)


def test_locks_of_different_domains_are_independent(engine):
    assert acquire_lock(engine, domain_lock_name("a.example.org"), "x", now=T0)
    assert acquire_lock(engine, domain_lock_name("b.example.org"), "y", now=T0)


def test_hold_lock_raises_when_taken_and_releases_after_the_block(engine):
    with hold_lock(engine, NAME, "commit-a"):
        with pytest.raises(LockHeld, match="held by 'commit-a'") as caught, hold_lock(engine, NAME, "commit-b"):
            pass
        assert caught.value.holder == "commit-a"
    assert get_lock(engine, NAME) is None


@pytest.mark.parametrize("expired", [False, True], ids=["free", "expired"])
def test_racing_threads_get_exactly_one_winner(engine, expired):
    if expired:
        assert acquire_lock(engine, NAME, "dead-worker", ttl=TTL, now=T0)
    contenders = 8
    barrier = threading.Barrier(contenders)
    winners: list[str] = []
    errors: list[BaseException] = []

    def contend(holder: str) -> None:
        try:
            barrier.wait()
            if acquire_lock(engine, NAME, holder, ttl=TTL, now=T0 + timedelta(hours=1)):
                winners.append(holder)
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"commit-{i}",)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(winners) == 1
    assert get_lock(engine, NAME).holder == winners[0]
