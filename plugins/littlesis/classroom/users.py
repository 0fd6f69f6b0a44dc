"""E-mail -> Classroom user id, each address asked of userProfiles.get once (batched), then remembered.

Roster listings feed the cache too (``remember``), so after an inventory most look-ups
cost nothing. Failures are not remembered: a user who doesn't exist yet may tomorrow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from littlesis.classroom import calls
from littlesis.classroom.protocol import ApiErrorInfo, ClassroomClient


@dataclass(slots=True)
class UserResolution:
    """Lower-cased e-mail -> user id for the addresses found, and the errors of the others."""

    ids: dict[str, str] = field(default_factory=dict)
    errors: dict[str, ApiErrorInfo] = field(default_factory=dict)


class UserDirectory:
    def __init__(self, client: ClassroomClient) -> None:
        self._client = client
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, email: str, user_id: str) -> None:
        with self._lock:
            self._ids[email.lower()] = user_id

    def cached(self, email: str) -> str | None:
        with self._lock:
            return self._ids.get(email.lower())

    def resolve(self, emails: Iterable[str]) -> UserResolution:
        wanted = list(dict.fromkeys(email.lower() for email in emails))
        resolution = UserResolution()
        missing = []
        for email in wanted:
            known = self.cached(email)
            if known is None:
                missing.append(email)
            else:
                resolution.ids[email] = known
        results = self._client.execute([calls.get_user_profile(email) for email in missing])
        for email, result in zip(missing, results, strict=True):
            user_id = (result.body or {}).get("id")
            if result.error is not None:
                resolution.errors[email] = result.error
            elif isinstance(user_id, str) and user_id:
                self.remember(email, user_id)
                resolution.ids[email] = user_id
        return resolution
