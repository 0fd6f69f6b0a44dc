"""The emulator without HTTP: one call in, one answer out, with quota, faults and journal.

``Emulator.call`` is what both a plain HTTP request and each batch part go through:
route -> query check -> quota -> faults -> handler (under the state lock) -> fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from littlesis.emulator import errors, fields, identity, routes
from littlesis.emulator.faults import FaultPlan
from littlesis.emulator.journal import Journal
from littlesis.emulator.paging import DEFAULT_PAGE_CAPS
from littlesis.emulator.quota import QuotaGate
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.seed import apply_seed
from littlesis.emulator.state import NEVER, ClassroomState

JsonDict = dict[str, Any]


@dataclass(slots=True)
class Outcome:
    """The answer to one call; ``body`` None means: drop the connection, answer nothing."""

    status: int
    body: JsonDict | None
    method_id: str | None = None
    fault: str | None = None
    delay: float = 0.0

    @property
    def dropped(self) -> bool:
        return self.body is None


def _error(exc: errors.ApiError, method_id: str | None = None, fault: str | None = None) -> Outcome:
    return Outcome(exc.status_code, exc.body(), method_id, fault)


@dataclass(slots=True)
class Settings:
    """How the emulator was started: what POST /_emulator/reset returns to."""

    seed: JsonDict | None = None
    faults: str | None = None
    fault_seed: int = 0
    latency_ms: int = 0
    quota_qps: float | None = None


class Emulator:
    def __init__(
        self, settings: Settings | None = None, page_caps: Mapping[str, tuple[int, int]] | None = None
    ) -> None:
        self.settings = settings or Settings()
        self.page_caps = dict(DEFAULT_PAGE_CAPS) | dict(page_caps or {})
        self.state = ClassroomState()
        self.journal = Journal()
        self.quota = QuotaGate(self.settings.quota_qps)
        self.faults = FaultPlan(self.settings.faults, self.settings.fault_seed)
        self.latency_ms = self.settings.latency_ms
        self.reset()

    # configuration and hooks ------------------------------------------------

    def reset(self) -> None:
        """Back to the start-up seed, faults, latency and quota; the journal is emptied."""
        with self.state.lock:
            self.state.clear()
            if self.settings.seed is not None:
                apply_seed(self.state, self.settings.seed, appeared_at=NEVER)
            self.set_faults(self.settings.faults, self.settings.fault_seed)
            self.latency_ms = self.settings.latency_ms
            self.quota.qps = self.settings.quota_qps
            self.journal.clear()

    def seed(self, data: Any) -> dict[str, int]:
        return apply_seed(self.state, data)

    def set_faults(self, spec: str | None, seed: int = 0) -> None:
        plan = FaultPlan(spec, seed)  # parse first: a bad spec leaves the old plan in place
        self.faults = plan
        self.state.user_grace_seconds = plan.user_not_found_seconds

    def record(self, http_method: str, target: str, method_id: str | None, status: int | None, fault: str | None,
               caller: str | None, delay: float, parts: list[JsonDict] | None = None) -> None:
        """Journal one HTTP request; ``status`` None means the connection was dropped."""
        entry: JsonDict = {
            "time": time.time(),
            "httpMethod": http_method,
            "path": target,
            "methodId": method_id,
            "status": status,
            "fault": fault,
            "caller": caller,
            "delayMs": round(delay * 1000),
        }
        if parts is not None:
            entry["parts"] = parts
        self.journal.record(entry)

    # calls ------------------------------------------------------------------

    def call(self, http_method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one API call. ``target`` is the path with its query; header names are lower case."""
        path, _, query_string = target.partition("?")
        http_method = (headers.get("x-http-method-override") or http_method).upper()
        found = routes.match(http_method, path)
        if found is None:
            return _error(errors.not_found(f"Method not found: {http_method} {path}"))
        route, params = found
        query = parse_qs(query_string, keep_blank_values=True)
        caller, bucket = identity.caller(headers)
        try:
            self._check_query(route, query)
            if not self.quota.take(bucket):
                return _error(errors.quota_exceeded(caller or bucket), route.method_id, "quota")
        except errors.ApiError as exc:
            return _error(exc, route.method_id)
        decision = self.faults.decide(route.method_id, path)
        fault = decision.label if decision else None
        delay = decision.latency_s if decision else 0.0
        if decision and decision.kind == "drop":
            return Outcome(0, None, route.method_id, fault, delay)
        if decision and decision.kind == "error":
            outcome = _error(errors.server_error(decision.code), route.method_id, fault)
            outcome.delay = delay
            return outcome
        request = ApiRequest(route.method_id, params, query, None, caller, self.page_caps)
        try:
            request.body = self._json_body(body)
            with self.state.lock:
                answer = route.handler(self.state, request)
            outcome = Outcome(200, fields.select(answer, request.one("fields")), route.method_id, fault, delay)
        except errors.ApiError as exc:
            outcome = _error(exc, route.method_id, fault)
            outcome.delay = delay
        except Exception as exc:  # an emulator bug: answer 500 rather than kill the whole batch
            bug = errors.ApiError(500, "INTERNAL", f"Internal error encountered. ({type(exc).__name__}: {exc})")
            outcome = _error(bug, route.method_id, fault)
        if decision and decision.kind == "apply_then_fail":
            outcome = _error(errors.unavailable(), route.method_id, fault)
            outcome.delay = delay
        elif decision and decision.kind == "apply_then_drop":
            outcome = Outcome(0, None, route.method_id, fault, delay)
        return outcome

    @staticmethod
    def _check_query(route: routes.Route, query: Mapping[str, list[str]]) -> None:
        for name in query:
            if name not in route.query and name not in routes.GLOBAL_QUERY:
                raise errors.unknown_query_parameter(name)
        alt = query.get("alt")
        if alt and alt[-1] != "json":
            raise errors.invalid_argument(f"Unsupported alt {alt[-1]!r}: the emulator answers JSON only.")
        for selection in query.get("fields", ()):
            fields.parse(selection)

    @staticmethod
    def _json_body(body: bytes) -> JsonDict | None:
        if not body.strip():
            return None
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise errors.invalid_argument("Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(data, dict):
            raise errors.invalid_argument("Invalid JSON payload received. Expected an object.")
        return data
