"""Helpers for the client tests: the emulator's test hooks over plain HTTP, and seeds."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

DOMAIN = "district.example.org"
ADMIN = f"admin@{DOMAIN}"
OWNER = f"owner@{DOMAIN}"


def kid(n: int) -> str:
    return f"kid{n}@{DOMAIN}"


class Hooks:
    """/_emulator/ state, seed, journal and faults."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + "_emulator/" + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                raise AssertionError(f"{method} {path}: {exc.code} {exc.read()!r}") from None

    def reset(self) -> None:
        self.request("POST", "reset")

    def seed(self, seed: dict[str, Any]) -> None:
        self.request("POST", "seed", seed)

    def state(self) -> dict[str, Any]:
        return self.request("GET", "state")

    def journal(self) -> list[dict[str, Any]]:
        return self.request("GET", "journal")["entries"]

    def faults(self, **settings: Any) -> None:
        self.request("POST", "faults", settings)

    def accept_guardian_invitation(self, invitation_id: str) -> None:
        self.request("POST", f"guardianInvitations/{invitation_id}:accept")

    def course(self, alias: str) -> dict[str, Any]:
        return next(c for c in self.state()["courses"] if alias in c["aliases"])

    def student_emails(self, alias: str) -> set[str]:
        return {m["emailAddress"] for m in self.course(alias)["students"]}

    def part_statuses(self) -> list[int | None]:
        """The status of every call received (batch parts one by one)."""
        statuses: list[int | None] = []
        for entry in self.journal():
            parts = entry.get("parts")
            statuses.extend(p["status"] for p in parts) if parts is not None else statuses.append(entry["status"])
        return statuses


def course_seed(alias: str, *, students: int = 0, teachers: int = 0, start: int = 0) -> dict[str, Any]:
    return {
        "name": f"Course {alias}",
        "ownerEmail": OWNER,
        "courseState": "ACTIVE",
        "aliases": [alias],
        "teacherEmails": [f"teacher{start + i}@{DOMAIN}" for i in range(teachers)],
        "studentEmails": [kid(start + i) for i in range(students)],
    }
