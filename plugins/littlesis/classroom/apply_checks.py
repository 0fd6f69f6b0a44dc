"""Second looks for the two answers one call can't settle: a link whose alias exists, an owner not yet eligible.

- link_course answered 409: the alias exists. If it is on the course we meant to link
  (our own earlier try, whose answer was lost) the link is already done; on any other
  course it is a real conflict, recorded with both course ids. One ``courses.get`` of
  the alias per conflict.
- change_owner answered @IneligibleOwner (the co-teacher added a moment ago is not
  visible to the transfer yet), or answered but still shows the old owner: poll with a
  bound and a capped exponential backoff (``OwnerPoll``; its sleep is injectable). Each
  round reads the courses (``courses.get``): a course that shows the new owner is done;
  an ineligible one is patched again. After the last round it fails with the last error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from littlesis.classroom import calls
from littlesis.classroom.apply_actions import (
    ALREADY_DONE,
    DONE,
    FAILED,
    TRANSLATORS,
    Verdict,
    describe,
    failure,
    is_ineligible_owner,
)
from littlesis.classroom.protocol import CallResult, ClassroomClient
from littlesis.classroom.users import UserDirectory
from littlesis.store.records import ActionRecord


@dataclass(slots=True)
class OwnerPoll:
    """How long an owner transfer may take to become possible: ``attempts`` rounds, waiting
    ``min(cap, base * 2**(round - 1))`` seconds before each."""

    attempts: int = 5
    base: float = 1.0
    cap: float = 16.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.base < 0 or self.cap < 0:
            raise ValueError("attempts, base and cap must not be negative")

    def delay(self, round_: int) -> float:
        return min(self.cap, self.base * 2 ** (round_ - 1))


def settle_links(client: ClassroomClient, conflicts: Sequence[tuple[ActionRecord, CallResult]]) -> list[Verdict]:
    """Verdicts for link_course actions that answered 409, in order."""
    reads = client.execute([calls.get_course(str(action.payload["alias"])) for action, _ in conflicts])
    verdicts = []
    for (action, first), read in zip(conflicts, reads, strict=True):
        alias, wanted = action.payload["alias"], str(action.payload["courseId"])
        attempts = first.attempts + read.attempts
        conflict = describe(first.error) if first.error else "409"
        if read.ok and str((read.body or {}).get("id")) == wanted:
            verdicts.append(Verdict(ALREADY_DONE, f"alias {alias} is already on course {wanted}", attempts))
        elif read.ok:
            other = (read.body or {}).get("id", "?")
            verdicts.append(Verdict(FAILED, f"{conflict}: {alias} is on course {other}, not {wanted}", attempts))
        else:  # says "retries exhausted" when the read ran out of them: a rerun reads it again
            verdicts.append(Verdict(FAILED, f"{failure(read).reason} (reading {alias} after: {conflict})", attempts))
    return verdicts


class OwnerTransfers:
    """Settles change_owner answers; learns user ids from this commit's roster answers."""

    def __init__(self, client: ClassroomClient, directory: UserDirectory, poll: OwnerPoll) -> None:
        self.client = client
        self.directory = directory
        self.poll = poll

    def settle(self, answered: Sequence[tuple[ActionRecord, CallResult]], verdicts: Sequence[Verdict]
               ) -> list[Verdict]:
        """Final verdicts for one wave of change_owner actions (``verdicts`` from their translator)."""
        out = list(verdicts)
        waiting: dict[int, CallResult] = {}  # index -> last answer (ineligible, or patched but not effective)
        for i, ((action, result), verdict) in enumerate(zip(answered, verdicts, strict=True)):
            not_yet = not self._effective(action, result) if verdict.status == DONE else is_ineligible_owner(result)
            if not_yet:
                waiting[i] = result
        attempts = {i: answered[i][1].attempts for i in waiting}
        for round_ in range(1, self.poll.attempts + 1):
            if not waiting:
                break
            self.poll.sleep(self.poll.delay(round_))
            order = list(waiting)
            actions = [answered[i][0] for i in order]
            ids = self.directory.resolve(_owner(a) for a in actions).ids
            reads = self.client.execute([calls.get_course(str(a.target)) for a in actions])
            repatch = []
            for i, action, read in zip(order, actions, reads, strict=True):
                attempts[i] += read.attempts
                owner_id = ids.get(_owner(action).lower())
                if read.ok and owner_id and (read.body or {}).get("ownerId") == owner_id:
                    out[i] = Verdict(DONE, f"owner is now {_owner(action)} (seen after {round_} polls)", attempts[i])
                    del waiting[i]
                elif not waiting[i].ok:  # still ineligible at the last try: ask again
                    repatch.append(i)
            answers = self.client.execute([TRANSLATORS["change_owner"].call(answered[i][0]) for i in repatch])
            for i, answer in zip(repatch, answers, strict=True):
                attempts[i] += answer.attempts
                if answer.ok and self._effective(answered[i][0], answer):
                    out[i] = Verdict(DONE, f"owner is now {_owner(answered[i][0])} (after {round_} polls)",
                                     attempts[i])
                    del waiting[i]
                elif answer.ok or is_ineligible_owner(answer):
                    waiting[i] = answer
                else:
                    out[i] = Verdict(FAILED, failure(answer).reason, attempts[i])
                    del waiting[i]
        for i, last in waiting.items():
            why = describe(last.error) if last.error else "the course still shows the previous owner"
            out[i] = Verdict(FAILED, f"{why} (transfer not effective after {self.poll.attempts} polls)", attempts[i])
        return out

    def _effective(self, action: ActionRecord, result: CallResult) -> bool:
        """False only when we know the new owner's id and the answer names someone else."""
        wanted = self.directory.cached(_owner(action))
        shown = (result.body or {}).get("ownerId")
        return not (result.ok and wanted and shown and shown != wanted)


def _owner(action: ActionRecord) -> str:
    return str(action.payload.get("ownerId", ""))
