"""Classifying Classroom failures: HTTP status, Google status, "@Reason " prefix, retryable.

Google's error body is ``{"error": {"code", "message", "status", "details"?}}`` and
Classroom puts a machine-readable reason in front of the message (``"@IneligibleOwner
The new owner ..."``). Retryable: 429 (quota), 500/502/503/504, and no answer at all.
A 404 is retryable only where the caller says so (``Call.retry_not_found``).
"""

from __future__ import annotations

import json
from typing import Any

from littlesis.classroom.protocol import TRANSPORT, ApiErrorInfo

RETRYABLE_CODES = frozenset({429, 500, 502, 503, 504})
# 429s that waiting won't cure: retrying only burns quota.
TERMINAL_REASONS = frozenset({"UserInvitationQuotaExhausted"})
# Older Google APIs signal rate limits as 403 with these reasons (googleapiclient retries them too).
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})

_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ClassroomError(Exception):
    """Raised by helpers that can't return a partial answer (e.g. the course list)."""

    def __init__(self, what: str, error: ApiErrorInfo) -> None:
        super().__init__(f"{what}: {error.describe()}")
        self.error = error


def _detail_reason(error: dict[str, Any]) -> str | None:
    """The ErrorInfo reason (e.g. RATE_LIMIT_EXCEEDED) or a legacy errors[].reason."""
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return str(detail["reason"])
    for item in error.get("errors") or ():
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            return str(item["reason"])
    return None


def _is_retryable(status_code: int, reason: str | None, detail_reason: str | None) -> bool:
    if status_code in RETRYABLE_CODES:
        return reason not in TERMINAL_REASONS
    return status_code == 403 and detail_reason in RATE_LIMIT_REASONS


def classify(status_code: int, content: bytes | str | None) -> ApiErrorInfo:
    """An error answer (status and body) as ``ApiErrorInfo``; tolerates non-JSON bodies."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else (content or "")
    status, message, detail_reason = "", text.strip()[:500], None
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        status = str(error.get("status") or "")
        message = str(error.get("message") or "")
        detail_reason = _detail_reason(error)
    reason = None
    if message.startswith("@"):
        reason, _, message = message[1:].partition(" ")
    status = status or _STATUS_BY_CODE.get(status_code, "UNKNOWN")
    return ApiErrorInfo(status_code, status, reason or None, message, _is_retryable(status_code, reason,
                                                                                      detail_reason))


def transport_error(exc: BaseException) -> ApiErrorInfo:
    """No usable answer (dropped connection, timeout, unparsable batch): the call may or may not have run."""
    return ApiErrorInfo(0, TRANSPORT, None, f"{type(exc).__name__}: {exc}", True)
