"""The client of the Airflow connection ``littlesis_classroom``, found the way Airflow finds it.

``airflow.sdk.Connection.get`` looks in the environment first
(``AIRFLOW_CONN_LITTLESIS_CLASSROOM``, JSON or URI), then the configured secrets backends;
outside a task it needs no metadata database when the variable is set, so the CLI works
without Airflow running. This is the only module of ``littlesis.classroom`` that imports Airflow.
"""

from __future__ import annotations

from littlesis.classroom.counter import CallCounter
from littlesis.classroom.credentials import (
    ClassroomConfigError,
    ClassroomSettings,
    credentials_for,
    settings_from_extras,
)
from littlesis.classroom.google_client import GoogleClassroomClient
from littlesis.classroom.ratelimit import TokenBucket, shared_bucket
from littlesis.classroom.retry import RetryPolicy

CONN_ID = "littlesis_classroom"
CONN_TYPE = "google_cloud_platform"


def load_settings(conn_id: str = CONN_ID) -> ClassroomSettings:
    from airflow.sdk import Connection  # late: Airflow is slow to import and core must stay free of it
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        raise ClassroomConfigError(
            f"connection {conn_id!r} isn't defined; set AIRFLOW_CONN_{conn_id.upper()} or add it in Airflow"
        ) from None
    if conn.conn_type and conn.conn_type.replace("-", "_") != CONN_TYPE:
        raise ClassroomConfigError(f"{conn_id}: conn_type must be {CONN_TYPE}, not {conn.conn_type!r}")
    return settings_from_extras(conn.extra_dejson, conn_id)


def connect(
    conn_id: str = CONN_ID,
    *,
    settings: ClassroomSettings | None = None,
    retry: RetryPolicy | None = None,
    counter: CallCounter | None = None,
    limiter: TokenBucket | None = None,
) -> GoogleClassroomClient:
    """A client for the connection; clients acting as the same admin share one rate limiter."""
    settings = settings or load_settings(conn_id)
    credentials = credentials_for(settings)
    if limiter is None:
        limiter = shared_bucket(f"{settings.endpoint}|{settings.delegated_admin or ''}", settings.qps)
    return GoogleClassroomClient(settings.endpoint, credentials=credentials, limiter=limiter, retry=retry,
                                 counter=counter, concurrency=settings.concurrency)
