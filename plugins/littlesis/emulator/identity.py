"""Who a request impersonates, read from its ``Authorization: Bearer`` token.

Real tokens are opaque; the emulator accepts three forms:
- a JWT (``header.payload.signature``, unverified) whose payload has ``sub`` (or ``email``);
- a bare e-mail address (``Bearer admin@district.example.org``), handy in tests;
- anything else: no identity, but the token itself still names its quota bucket.
Without a token the caller is anonymous: one shared quota bucket, and "me" means
``admin@<first seeded domain>``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping

ANONYMOUS = "anonymous"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _jwt_subject(token: str) -> str | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    subject = payload.get("sub") or payload.get("email")
    return subject if isinstance(subject, str) and "@" in subject else None


def caller(headers: Mapping[str, str]) -> tuple[str | None, str]:
    """(impersonated e-mail or None, quota bucket key)."""
    auth = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, token = auth.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, ANONYMOUS
    subject = _jwt_subject(token)
    if subject is None and _EMAIL.match(token):
        subject = token
    return (subject.lower(), subject.lower()) if subject else (None, token)
