"""Deterministic fault injection, configured by a compact SPEC string.

Grammar (whitespace ignored)::

    SPEC    := RULE (";" RULE)*
    RULE    := TARGET "=" ACTION ["@" PROB] ["x" COUNT]
             | "user_not_found=" SECONDS
    TARGET  := a glob over method ids ("courses.students.create", "courses.*", "*"; a leading
               "classroom." is ignored), "batch" (the batch envelope itself), or a glob over
               the URL path starting with "/" ("/v1/courses/*/students")
    ACTION  := 429 | 500 | 502 | 503 | 504       answer that error instead of calling
             | drop                              close the connection without an answer
             | latency:MS                        add MS milliseconds before answering
             | apply_then_fail                   do the call, then answer 503
             | apply_then_drop                   do the call, then close the connection
    PROB    := probability in [0, 1] that a matching call gets the fault (default 1)
    COUNT   := the rule fires at most COUNT times (default: no limit)

Example: ``courses.students.create=429@0.1;*=503@0.05;*=drop@0.02;*=latency:300@0.1;
*=apply_then_fail@0.05;user_not_found=2.0``.

Rules are tried in order for every call (every batch part is a call). Latency rules
add up; of the other kinds the first rule that fires wins. "*" matches API methods
only: faults for whole batches name "batch". A part that draws ``drop`` drops the
whole batch connection (parts before it have been applied). ``user_not_found=S``
makes a user answer NOT_FOUND for S seconds after the emulator first sees it (users
of the startup seed excepted). Draws come from ``random.Random(seed)``, so a
sequential client sees the same faults on every run.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

_ERROR_CODES = frozenset({429, 500, 502, 503, 504})
_TERMINAL = ("error", "drop", "apply_then_fail", "apply_then_drop")


class FaultSpecError(ValueError):
    """The SPEC string doesn't follow the grammar."""


@dataclass(slots=True)
class FaultRule:
    target: str
    kind: str  # "error", "drop", "latency", "apply_then_fail", "apply_then_drop"
    probability: float = 1.0
    code: int = 0
    latency_ms: int = 0
    remaining: int | None = None

    def matches(self, method_id: str, path: str) -> bool:
        if self.target.startswith("/"):
            return fnmatch.fnmatchcase(path, self.target)
        if method_id == "batch":
            return self.target == "batch"
        return fnmatch.fnmatchcase(method_id, self.target)

    def describe(self) -> str:
        action = {"error": str(self.code), "latency": f"latency:{self.latency_ms}"}.get(self.kind, self.kind)
        text = f"{self.target}={action}@{self.probability:g}"
        return text + (f"x{self.remaining}" if self.remaining is not None else "")


@dataclass(slots=True)
class FaultOutcome:
    """What the faults decided for one call."""

    kind: str | None = None  # one of _TERMINAL, or None
    code: int = 0
    latency_s: float = 0.0
    labels: list[str] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        return ",".join(self.labels) or None


def _parse_action(action: str) -> tuple[str, int, int]:
    """(kind, code, latency_ms)"""
    if action.isdigit():
        code = int(action)
        if code not in _ERROR_CODES:
            raise FaultSpecError(f"unsupported error code {code}; use one of {sorted(_ERROR_CODES)}")
        return "error", code, 0
    if action.startswith("latency:"):
        try:
            latency = int(action.partition(":")[2])
        except ValueError:
            raise FaultSpecError(f"bad latency {action!r}; use latency:MS") from None
        if latency < 0:
            raise FaultSpecError("latency must not be negative")
        return "latency", 0, latency
    if action in ("drop", "apply_then_fail", "apply_then_drop"):
        return action, 0, 0
    raise FaultSpecError(f"unknown fault action {action!r}")


_RULE = re.compile(
    r"^(?P<target>[^=]+)=(?P<action>[a-z_]+(?::-?\d+)?|\d+)(?:@(?P<prob>[0-9.eE+-]+))?(?:x(?P<count>\d+))?$"
)


def _parse_rule(text: str) -> FaultRule:
    found = _RULE.match(text)
    if found is None:
        raise FaultSpecError(f"rule {text!r} is not TARGET=ACTION[@PROB][xCOUNT]")
    try:
        probability = float(found["prob"]) if found["prob"] else 1.0
    except ValueError:
        raise FaultSpecError(f"bad probability in {text!r}") from None
    if not 0.0 <= probability <= 1.0:
        raise FaultSpecError(f"probability in {text!r} must be between 0 and 1")
    kind, code, latency = _parse_action(found["action"])
    remaining = int(found["count"]) if found["count"] else None
    return FaultRule(found["target"].removeprefix("classroom."), kind, probability, code, latency, remaining)


def parse_spec(spec: str | None) -> tuple[list[FaultRule], float]:
    """The rules of ``spec`` and its user_not_found window in seconds."""
    rules: list[FaultRule] = []
    grace = 0.0
    for raw in (spec or "").replace(" ", "").replace("\n", "").split(";"):
        if not raw:
            continue
        if raw.startswith("user_not_found="):
            try:
                grace = float(raw.partition("=")[2])
            except ValueError:
                raise FaultSpecError(f"bad seconds in {raw!r}") from None
            if grace < 0:
                raise FaultSpecError("user_not_found seconds must not be negative")
            continue
        rules.append(_parse_rule(raw))
    return rules, grace


class FaultPlan:
    """The active rules and the seeded random source they draw from."""

    def __init__(self, spec: str | None = None, seed: int = 0) -> None:
        self.spec = spec or ""
        self.seed = seed
        self.rules, self.user_not_found_seconds = parse_spec(spec)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def decide(self, method_id: str, path: str) -> FaultOutcome | None:
        """The faults for one call, or None for a clean call (the common, fast case)."""
        if not self.rules:
            return None
        outcome = FaultOutcome()
        with self._lock:
            for rule in self.rules:
                if rule.remaining == 0 or not rule.matches(method_id, path):
                    continue
                if rule.kind != "latency" and outcome.kind is not None:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                if rule.kind == "latency":
                    outcome.latency_s += rule.latency_ms / 1000.0
                else:
                    outcome.kind, outcome.code = rule.kind, rule.code
                outcome.labels.append(rule.describe().partition("@")[0].partition("=")[2])
        return outcome if outcome.labels else None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "spec": self.spec,
                "seed": self.seed,
                "rules": [rule.describe() for rule in self.rules],
                "userNotFoundSeconds": self.user_not_found_seconds,
            }
