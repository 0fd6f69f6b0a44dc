"""Talking to Google Classroom: a small batch-oriented protocol and its real implementation.

- ``protocol``: ``Call`` / ``CallResult`` / ``ApiErrorInfo`` and the ``ClassroomClient`` protocol;
- ``calls``: builders for every call the product makes (minimal fields, largest pages);
- ``google_client``: the google-api-python-client implementation (batches of <= 50,
  ``ratelimit`` token bucket, ``retry`` rounds with full-jitter backoff, ``errors`` classification,
  ``counter`` of calls and HTTP requests, ``counting_http``);
- ``paging`` (many lists read together), ``users`` (e-mail -> id cache), ``operations``
  (typed helpers over any client);
- ``credentials`` (connection extras -> Google credentials) and ``connection`` (the Airflow
  connection ``littlesis_classroom`` -> a client; the only module here importing Airflow).

Usage::

    from littlesis.classroom import calls, connect, ClassroomOps
    with connect() as client:
        ops = ClassroomOps(client)
        courses = ops.list_courses()
        results = client.execute([calls.add_student("d:SIS-1", "kid@district.example.org")])
"""

from littlesis.classroom.counter import CallCounter, CallCounts
from littlesis.classroom.errors import ClassroomError
from littlesis.classroom.google_client import GOOGLE_ENDPOINT, GoogleClassroomClient
from littlesis.classroom.operations import ClassroomOps, CourseRoster, Member
from littlesis.classroom.paging import ListResult, list_all
from littlesis.classroom.protocol import ApiErrorInfo, Call, CallResult, ClassroomClient
from littlesis.classroom.ratelimit import TokenBucket
from littlesis.classroom.retry import RetryPolicy


def connect(conn_id: str = "littlesis_classroom") -> GoogleClassroomClient:
    """The client of an Airflow connection (see ``connection.connect`` for the options)."""
    from littlesis.classroom.connection import connect as _connect

    return _connect(conn_id)


__all__ = [
    "GOOGLE_ENDPOINT",
    "ApiErrorInfo",
    "Call",
    "CallCounter",
    "CallCounts",
    "CallResult",
    "ClassroomClient",
    "ClassroomError",
    "ClassroomOps",
    "CourseRoster",
    "GoogleClassroomClient",
    "ListResult",
    "Member",
    "RetryPolicy",
    "TokenBucket",
    "connect",
    "list_all",
]
