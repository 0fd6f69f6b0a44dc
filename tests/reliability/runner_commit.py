"""One invocation of the commit as a deployment configures it: the real client over HTTP, the store by URL.

The retry policy, rate limit, lease and owner-poll bounds are settings (short ones, so a
scenario takes seconds), the same in the test process and in the child that gets killed.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import Engine

from littlesis.classroom import GoogleClassroomClient, RetryPolicy, TokenBucket
from littlesis.classroom.apply import CommitReport, OwnerPoll, apply_run
from littlesis.classroom.credentials import static_token
from littlesis.store.engine import make_engine
from tests.classroom.helpers import ADMIN, DOMAIN

ACTOR = "reliability@district.example.org"


@dataclass(frozen=True)
class CommitSettings:
    store_url: str
    endpoint: str
    run_id: str
    seed: int  # of the retry jitter
    retry_base: float = 0.01
    retry_cap: float = 0.1
    retry_attempts: int = 6
    qps: float = 400.0  # the client's rate limit
    concurrency: int = 2
    wave_size: int = 40
    lease_seconds: float = 2.0
    owner_polls: int = 4
    owner_poll_base: float = 0.02

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CommitSettings:
        return cls(**json.loads(text))

    def client(self, invocation: int) -> GoogleClassroomClient:
        retry = RetryPolicy(base=self.retry_base, cap=self.retry_cap, max_attempts=self.retry_attempts,
                            rng=random.Random(f"{self.seed}-{invocation}"))
        return GoogleClassroomClient(self.endpoint, credentials=static_token(ADMIN), limiter=TokenBucket(self.qps),
                                     retry=retry, concurrency=self.concurrency)


def commit_once(settings: CommitSettings, engine: Engine | None = None, *, invocation: int = 0,
                lock_wait: float = 0.0) -> CommitReport:
    """apply_run of the scenario's run, as one person or DAG task would start it."""
    own_engine = engine is None
    engine = engine or make_engine(settings.store_url)
    client = settings.client(invocation)
    try:
        return apply_run(client, engine, settings.run_id, domain=DOMAIN, actor=ACTOR, wave_size=settings.wave_size,
                         lock_ttl=timedelta(seconds=settings.lease_seconds), lock_wait=lock_wait,
                         owner_poll=OwnerPoll(attempts=settings.owner_polls, base=settings.owner_poll_base, cap=0.2))
    finally:
        client.close()
        if own_engine:
            engine.dispose()
