"""Settings of the Classroom connection and the Google credentials they give (no Airflow here).

The extras follow the Google provider's ``google_cloud_platform`` connection: ``key_path``
or ``keyfile_dict`` (also with the legacy ``extra__google_cloud_platform__`` prefix; an
empty string counts as unset), ``scope``; plus ours: ``delegated_admin`` (the admin to
impersonate with domain-wide delegation), ``api_endpoint`` (e.g. an emulator), ``qps``
(default 20, Classroom's per-user quota) and ``concurrency`` (batches in flight, default 4:
with one, a server slower than half a second per batch would leave the quota unused).
An ``api_endpoint`` without a key needs no credentials: the bearer token is then the
admin's e-mail (or "emulator"), which the emulator uses as the caller and quota bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.auth.credentials import Credentials
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account

from littlesis.classroom.google_client import GOOGLE_ENDPOINT

CLASSROOM_SCOPES = (
    "https://www.googleapis.com/auth/classroom.courses",
    "https://www.googleapis.com/auth/classroom.rosters",
    "https://www.googleapis.com/auth/classroom.profile.emails",
    "https://www.googleapis.com/auth/classroom.guardianlinks.students",
)
DEFAULT_QPS = 20.0
DEFAULT_CONCURRENCY = 4
_LEGACY_PREFIX = "extra__google_cloud_platform__"


class ClassroomConfigError(ValueError):
    """The connection can't give a working client; the message names the connection and field."""


@dataclass(frozen=True, slots=True)
class ClassroomSettings:
    api_endpoint: str | None = None  # None: Google itself
    key_path: str | None = None
    keyfile_dict: Mapping[str, Any] | None = field(default=None, repr=False)
    delegated_admin: str | None = None
    qps: float = DEFAULT_QPS
    concurrency: int = DEFAULT_CONCURRENCY
    scopes: tuple[str, ...] = CLASSROOM_SCOPES
    conn_id: str = "littlesis_classroom"

    @property
    def endpoint(self) -> str:
        return self.api_endpoint or GOOGLE_ENDPOINT

    @property
    def emulated(self) -> bool:
        """An endpoint and no key: talk to it without Google credentials."""
        return self.api_endpoint is not None and self.key_path is None and self.keyfile_dict is None


def _field(extras: Mapping[str, Any], name: str) -> Any:
    """The provider's rule: the short name first, then the prefixed one; "" is unset."""
    value = extras[name] if name in extras else extras.get(_LEGACY_PREFIX + name)
    return None if value == "" else value


def _number(value: Any, name: str, conn_id: str, kind: type[float] | type[int]) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ClassroomConfigError(f"{conn_id}: extra {name}={value!r} is not a number") from None
    if number <= 0:
        raise ClassroomConfigError(f"{conn_id}: extra {name} must be positive, not {value!r}")
    return number


def settings_from_extras(extras: Mapping[str, Any], conn_id: str = "littlesis_classroom") -> ClassroomSettings:
    key_path, keyfile = _field(extras, "key_path"), _field(extras, "keyfile_dict")
    if key_path and keyfile:
        raise ClassroomConfigError(f"{conn_id}: key_path and keyfile_dict are mutually exclusive")
    if isinstance(keyfile, str):
        try:
            keyfile = json.loads(keyfile)
        except ValueError:
            raise ClassroomConfigError(f"{conn_id}: extra keyfile_dict is not valid JSON") from None
    if keyfile is not None and not isinstance(keyfile, dict):
        raise ClassroomConfigError(f"{conn_id}: extra keyfile_dict must be a JSON object")
    scope = _field(extras, "scope")
    scopes = tuple(s.strip() for s in str(scope).split(",") if s.strip()) if scope else CLASSROOM_SCOPES
    qps, concurrency = _field(extras, "qps"), _field(extras, "concurrency")
    endpoint = _field(extras, "api_endpoint")
    return ClassroomSettings(
        api_endpoint=(str(endpoint).rstrip("/") + "/") if endpoint else None,
        key_path=str(key_path) if key_path else None,
        keyfile_dict=keyfile,
        delegated_admin=_field(extras, "delegated_admin") or None,
        qps=DEFAULT_QPS if qps is None else _number(qps, "qps", conn_id, float),
        concurrency=DEFAULT_CONCURRENCY if concurrency is None else _number(concurrency, "concurrency", conn_id, int),
        scopes=scopes,
        conn_id=conn_id,
    )


def service_account_credentials(*, key_path: str | None = None, keyfile_dict: Mapping[str, Any] | None = None,
                                subject: str | None = None,
                                scopes: Sequence[str] = CLASSROOM_SCOPES) -> service_account.Credentials:
    """Service-account credentials impersonating ``subject``; nothing is fetched until first use."""
    if (key_path is None) == (keyfile_dict is None):
        raise ValueError("give exactly one of key_path and keyfile_dict")
    if key_path is not None:
        creds = service_account.Credentials.from_service_account_file(key_path, scopes=list(scopes))
    else:
        creds = service_account.Credentials.from_service_account_info(dict(keyfile_dict or {}), scopes=list(scopes))
    return creds.with_subject(subject) if subject else creds


def static_token(token: str) -> Credentials:
    """A bearer token sent as is and never refreshed (for an emulator)."""
    return oauth2_credentials.Credentials(token=token)


def credentials_for(settings: ClassroomSettings) -> Credentials:
    if settings.emulated:
        return static_token(settings.delegated_admin or "emulator")
    if settings.key_path is None and settings.keyfile_dict is None:
        raise ClassroomConfigError(
            f"{settings.conn_id}: set key_path or keyfile_dict (a service-account key with domain-wide "
            "delegation), or api_endpoint to use an emulator"
        )
    if not settings.delegated_admin:
        raise ClassroomConfigError(f"{settings.conn_id}: set delegated_admin, the admin e-mail to impersonate")
    try:
        return service_account_credentials(key_path=settings.key_path, keyfile_dict=settings.keyfile_dict,
                                           subject=settings.delegated_admin, scopes=settings.scopes)
    except (OSError, ValueError, KeyError) as exc:
        raise ClassroomConfigError(f"{settings.conn_id}: cannot load the service-account key: {exc}") from None
