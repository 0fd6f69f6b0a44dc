"""Google API errors as the emulator renders them.

Google's JSON error body is ``{"error": {"code", "message", "status"}}``. Classroom
puts a machine-readable reason in front of the message as ``"@Reason "``, e.g.
``"@CourseMemberLimitReached ..."``; clients match on that prefix.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

_NOT_FOUND_TEXT = "Requested entity was not found."
_EXISTS_TEXT = "Requested entity already exists"


class ApiError(Exception):
    """An API answer that is not 2xx; ``reason`` becomes the "@Reason " message prefix."""

    def __init__(
        self,
        status_code: int,
        status: str,
        message: str,
        reason: str | None = None,
        details: list[JsonDict] | None = None,
    ) -> None:
        self.status_code = status_code
        self.status = status
        self.reason = reason
        self.text = message
        self.details = details
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"@{self.reason} {self.text}" if self.reason else self.text

    def body(self) -> JsonDict:
        error: JsonDict = {"code": self.status_code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(message: str = "Request contains an invalid argument.") -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def failed_precondition(reason: str | None, message: str) -> ApiError:
    return ApiError(400, "FAILED_PRECONDITION", message, reason)


def permission_denied(message: str = "The caller does not have permission", reason: str | None = None) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message, reason)


def not_found(message: str = _NOT_FOUND_TEXT) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def already_exists(reason: str | None = None, message: str = _EXISTS_TEXT) -> ApiError:
    return ApiError(409, "ALREADY_EXISTS", message, reason)


def resource_exhausted(message: str = "Resource has been exhausted (e.g. check quota).") -> ApiError:
    return ApiError(429, "RESOURCE_EXHAUSTED", message)


def quota_exceeded(subject: str) -> ApiError:
    """The per-user rate quota, shaped like Google's (an ErrorInfo detail with RATE_LIMIT_EXCEEDED)."""
    message = (
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'classroom.googleapis.com' for consumer 'project_number:0'."
    )
    details: list[JsonDict] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {"service": "classroom.googleapis.com", "quota_limit": "PerUserRequestsPerMinute",
                         "user": subject},
        }
    ]
    return ApiError(429, "RESOURCE_EXHAUSTED", message, details=details)


def internal() -> ApiError:
    return ApiError(500, "INTERNAL", "Internal error encountered.")


def unavailable() -> ApiError:
    return ApiError(503, "UNAVAILABLE", "The service is currently unavailable.")


def server_error(code: int) -> ApiError:
    """A 5xx (or 429) answer for fault injection."""
    if code == 429:
        return resource_exhausted()
    if code == 500:
        return internal()
    if code == 502:
        return ApiError(502, "UNAVAILABLE", "Bad Gateway")
    if code == 504:
        return ApiError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")
    return unavailable()


def unknown_query_parameter(name: str) -> ApiError:
    return invalid_argument(f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.')


def unknown_body_field(name: str, schema: str) -> ApiError:
    return invalid_argument(f"Invalid JSON payload received. Unknown name \"{name}\" at '{schema}': Cannot find field.")
