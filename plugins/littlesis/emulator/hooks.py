"""Test hooks under /_emulator/ (outside the Classroom API, never journaled).

- ``GET  /_emulator/state``    everything: users, courses (aliases, teachers, students), invitations,
                               guardianInvitations, guardians
- ``POST /_emulator/reset``    back to the start-up seed, faults, latency and quota; journal emptied
- ``POST /_emulator/seed``     body = seed JSON (see seed.py), added to the current data
- ``GET  /_emulator/journal``  ``?since=SEQ``: the calls received since that sequence number
- ``DELETE /_emulator/journal`` empty the journal
- ``GET|POST /_emulator/faults`` read or set ``{"spec": SPEC, "seed": N, "latencyMs": N, "quotaQps": Q}``
                               (keys left out keep their value; ``quotaQps: null`` turns the quota off)
- ``POST /_emulator/guardianInvitations/{invitationId}:accept`` the guardian accepts
- ``GET  /_emulator/health``
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote

from littlesis.emulator import errors, guardians
from littlesis.emulator.engine import Emulator
from littlesis.emulator.faults import FaultSpecError
from littlesis.emulator.seed import SeedError

JsonDict = dict[str, Any]
PREFIX = "/_emulator/"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_argument("The body is not JSON.") from None


def _faults(engine: Emulator, body: bytes) -> JsonDict:
    data = _json(body)
    if not isinstance(data, dict):
        raise errors.invalid_argument("Expected {spec, seed, latencyMs, quotaQps}.")
    try:
        if "spec" in data or "seed" in data:
            engine.set_faults(data.get("spec", engine.faults.spec), int(data.get("seed", engine.faults.seed)))
        if "latencyMs" in data:
            engine.latency_ms = max(0, int(data["latencyMs"]))
        if "quotaQps" in data:
            engine.quota.qps = None if data["quotaQps"] is None else float(data["quotaQps"])
    except (FaultSpecError, TypeError, ValueError) as exc:
        raise errors.invalid_argument(str(exc)) from None
    return _describe(engine)


def _describe(engine: Emulator) -> JsonDict:
    return engine.faults.describe() | {"latencyMs": engine.latency_ms, "quotaQps": engine.quota.qps}


def handle(engine: Emulator, http_method: str, target: str, body: bytes) -> tuple[int, JsonDict]:
    """(status, JSON answer) for a hook request; unknown hooks are 404."""
    path, _, query_string = target.partition("?")
    name = path[len(PREFIX) :]
    query = parse_qs(query_string)
    try:
        if (http_method, name) == ("GET", "state"):
            return 200, engine.state.dump()
        if (http_method, name) == ("POST", "reset"):
            engine.reset()
            return 200, {"reset": True}
        if (http_method, name) == ("POST", "seed"):
            try:
                return 200, {"seeded": engine.seed(_json(body))}
            except SeedError as exc:
                raise errors.invalid_argument(str(exc)) from None
        if (http_method, name) == ("GET", "journal"):
            since = int(query.get("since", ["0"])[0] or 0)
            return 200, {"entries": engine.journal.since(since)}
        if (http_method, name) == ("DELETE", "journal"):
            engine.journal.clear()
            return 200, {}
        if name == "faults" and http_method in ("GET", "POST"):
            return 200, _describe(engine) if http_method == "GET" else _faults(engine, body)
        if http_method == "POST" and name.startswith("guardianInvitations/") and name.endswith(":accept"):
            invitation_id = unquote(name.removeprefix("guardianInvitations/").removesuffix(":accept"))
            with engine.state.lock:
                return 200, guardians.accept_invitation(engine.state, invitation_id)
        if (http_method, name) == ("GET", "health"):
            return 200, {"ok": True}
    except errors.ApiError as exc:
        return exc.status_code, exc.body()
    except ValueError as exc:
        return 400, errors.invalid_argument(str(exc)).body()
    return 404, errors.not_found(f"No emulator hook {http_method} {path}").body()
