"""Reading many paged lists at once: every list's next page goes out in the same batches.

Round one sends the first page of every list; each later round sends the next page of
the lists that still have a ``nextPageToken``. So N rosters of one page each cost N
calls in ceil(N/50) HTTP requests, and only long rosters cost more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from littlesis.classroom.calls import items_key
from littlesis.classroom.protocol import ApiErrorInfo, Call, ClassroomClient

JsonDict = dict[str, Any]


@dataclass(slots=True)
class ListResult:
    """Every item of one list, or the error that stopped it (``items`` then holds the pages read)."""

    call: Call
    items: list[JsonDict] = field(default_factory=list)
    error: ApiErrorInfo | None = None
    pages: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


def list_all(client: ClassroomClient, calls: Sequence[Call]) -> list[ListResult]:
    """Follow nextPageToken for every list call until done; one result per call, in order."""
    results = [ListResult(call) for call in calls]
    pending = {index: call for index, call in enumerate(calls)}
    while pending:
        order = list(pending)
        answers = client.execute([pending[i] for i in order])
        pending = {}
        for index, answer in zip(order, answers, strict=True):
            result = results[index]
            if answer.error is not None:
                result.error = answer.error
                continue
            body = answer.body or {}
            result.items.extend(body.get(items_key(answer.call.method)) or [])
            result.pages += 1
            token = body.get("nextPageToken")
            if token:
                pending[index] = answer.call.with_query(pageToken=token)
    return results
