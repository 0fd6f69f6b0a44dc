"""What the product asks of Classroom: plain-data calls in, plain-data results out.

A ``Call`` names one Classroom v1 method by its discovery id (``"courses.students.create"``)
with its path parameters, query parameters and body. ``ClassroomClient.execute`` runs many
calls (batched, rate limited, retried) and answers one ``CallResult`` per call, in order;
an API error is data (``ApiErrorInfo``), never an exception. Calls in one ``execute`` may
run in any order (Google doesn't order batch parts either): put a call that depends on
another in a later ``execute``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from littlesis.classroom.counter import CallCounter

JsonDict = dict[str, Any]

ALREADY_EXISTS = "ALREADY_EXISTS"
NOT_FOUND = "NOT_FOUND"
TRANSPORT = "TRANSPORT"  # no HTTP answer at all (connection dropped, timeout): not a Google status


@dataclass(frozen=True, slots=True)
class Call:
    """One API call as data.

    ``retry_not_found``: a 404 may be the short delay after a user first appears in
    Classroom, so retry it (set by the builders of calls that look a user up; never on
    deletes, where 404 means "already gone").
    """

    method: str
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    fields: str | None = None
    retry_not_found: bool = False

    def with_query(self, **query: Any) -> Call:
        return Call(self.method, self.path, {**self.query, **query}, self.body, self.fields, self.retry_not_found)


@dataclass(frozen=True, slots=True)
class ApiErrorInfo:
    """A classified failure: HTTP status (0 = no answer), Google status, "@Reason", message."""

    status_code: int
    status: str
    reason: str | None
    message: str
    retryable: bool

    def describe(self) -> str:
        reason = f" @{self.reason}" if self.reason else ""
        return f"{self.status_code} {self.status}{reason}: {self.message}".strip()


@dataclass(frozen=True, slots=True)
class CallResult:
    """The final answer to one call after retries; ``error`` is None on success."""

    call: Call
    status_code: int
    body: JsonDict | None = None
    error: ApiErrorInfo | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def already_exists(self) -> bool:
        """409: for a create, the thing is there (maybe from our own retried request)."""
        return self.error is not None and self.error.status == ALREADY_EXISTS

    @property
    def not_found(self) -> bool:
        return self.error is not None and self.error.status_code == 404


class ClassroomClient(Protocol):
    """The seam between the product and Classroom; see ``google_client`` for the real one."""

    @property
    def counter(self) -> CallCounter:
        """Every logical call, attempt, retry and HTTP request made through this client."""
        ...

    def execute(self, calls: Sequence[Call]) -> list[CallResult]:
        """Run ``calls`` and return one result per call, in the same order."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
