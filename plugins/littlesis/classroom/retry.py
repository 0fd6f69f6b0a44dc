"""Re-sending retryable calls in rounds, with capped full-jitter exponential backoff.

Batch parts are not retried by google-api-python-client, so each round sends every
pending call once (``send`` batches them), keeps the final answers and re-sends the
retryable failures after ``uniform(0, min(cap, base * 2**round))`` seconds. A call
that is still failing after ``max_attempts`` ends as a failed result, never an exception.
After a round in which a call got no answer at all, later rounds send batches half as
big (``send``'s ``halvings``): one dropped part loses its whole batch, so a flaky link
needs small batches to get through.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from littlesis.classroom.counter import CallCounter
from littlesis.classroom.protocol import TRANSPORT, Call, CallResult

# (calls, halvings) -> one answer per call; batches are max_batch >> halvings parts at most.
SendRound = Callable[[Sequence[Call], int], list[CallResult]]


@dataclass(slots=True)
class RetryPolicy:
    """``retry_user_not_found`` is the switch for ``Call.retry_not_found`` (a 404 right after a
    user first appears); ``sleep`` and ``rng`` are injectable so tests needn't wait."""

    base: float = 1.0
    cap: float = 32.0
    max_attempts: int = 7
    retry_user_not_found: bool = True
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base < 0 or self.cap < 0:
            raise ValueError("max_attempts must be >= 1, base and cap >= 0")

    def delay(self, failed_attempts: int) -> float:
        """Full jitter: a uniform draw below the capped exponential."""
        return self.rng.uniform(0.0, min(self.cap, self.base * 2 ** (failed_attempts - 1)))

    def should_retry(self, result: CallResult) -> bool:
        error = result.error
        if error is None or result.attempts >= self.max_attempts:
            return False
        if error.retryable:
            return True
        return error.status_code == 404 and result.call.retry_not_found and self.retry_user_not_found


def run_with_retries(calls: Sequence[Call], send: SendRound, policy: RetryPolicy,
                     counter: CallCounter) -> list[CallResult]:
    """Every call's final result, in order; ``send`` makes one attempt of each call it is given."""
    counter.record_calls(call.method for call in calls)
    final: list[CallResult | None] = [None] * len(calls)
    pending = list(range(len(calls)))
    attempt, halvings = 1, 0
    while pending:
        answers = send([calls[i] for i in pending], halvings)
        again: list[int] = []
        for index, answer in zip(pending, answers, strict=True):
            answer = replace(answer, attempts=attempt)
            if policy.should_retry(answer):
                again.append(index)
            else:
                final[index] = answer
        if any(a.error is not None and a.error.status == TRANSPORT for a in answers):
            halvings += 1
        if again:
            counter.add("retries", len(again))
            policy.sleep(policy.delay(attempt))
        pending, attempt = again, attempt + 1
    results = [result for result in final if result is not None]
    counter.record_outcomes("ok" if r.error is None else r.error.status for r in results)
    return results
