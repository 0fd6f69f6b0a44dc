"""One API call as the handlers see it: path parameters, query, JSON body and caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from littlesis.emulator import errors

JsonDict = dict[str, Any]


@dataclass(slots=True)
class ApiRequest:
    method_id: str  # e.g. "courses.students.create"
    params: dict[str, str]  # decoded path parameters
    query: Mapping[str, list[str]]
    body: JsonDict | None = None
    caller: str | None = None  # impersonated user's e-mail, when the token names one
    page_caps: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def many(self, name: str) -> list[str]:
        return list(self.query.get(name, ()))

    def integer(self, name: str) -> int | None:
        raw = self.one(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise errors.invalid_argument(
                f'Invalid value at \'{name}\' (TYPE_INT32), "{raw}"'
            ) from None
