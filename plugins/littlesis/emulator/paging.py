"""List paging: page-size caps and opaque, signed, keyset page tokens.

A token names the last item of the previous page (a sequence number), not an
offset, so concurrent inserts and deletes neither skip nor repeat items. It is
bound to the request it came from: Google requires the next request to be
"otherwise identical", and a token replayed on another list is INVALID_ARGUMENT.
The HMAC key is random per process, so tokens can't be forged or guessed.

Page sizes (default when pageSize is 0 or absent, maximum; larger sizes are clamped):

================================  =======  =====
method                            default  max
================================  =======  =====
courses.list                      500      1000
courses.aliases.list              100      1000
courses.students.list             30       30
courses.teachers.list             30       30
invitations.list                  500      500
guardianInvitations.list          100      1000
guardians.list                    100      1000
================================  =======  =====

The discovery document only states the roster default (30) and the invitations
default (500); rosters are capped at their default, the conservative choice: a
client that follows nextPageToken works whatever Google's true cap is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from typing import TypeVar

from littlesis.emulator import errors
from littlesis.emulator.request import ApiRequest

T = TypeVar("T")

DEFAULT_PAGE_CAPS: dict[str, tuple[int, int]] = {
    "courses.list": (500, 1000),
    "courses.aliases.list": (100, 1000),
    "courses.students.list": (30, 30),
    "courses.teachers.list": (30, 30),
    "invitations.list": (500, 500),
    "userProfiles.guardianInvitations.list": (100, 1000),
    "userProfiles.guardians.list": (100, 1000),
}

_SECRET = secrets.token_bytes(32)
_NOT_PART_OF_IDENTITY = frozenset(
    {"pageToken", "pageSize", "fields", "alt", "prettyPrint", "key", "access_token", "oauth_token", "quotaUser",
     "$.xgafv", "callback", "upload_protocol", "uploadType"}
)


def _fingerprint(req: ApiRequest) -> str:
    query = sorted((k, tuple(v)) for k, v in req.query.items() if k not in _NOT_PART_OF_IDENTITY)
    material = json.dumps([req.method_id, sorted(req.params.items()), query], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _sign(payload: bytes) -> str:
    return hmac.new(_SECRET, payload, hashlib.sha256).hexdigest()[:20]


def encode_token(req: ApiRequest, last_key: int) -> str:
    payload = json.dumps({"q": _fingerprint(req), "k": last_key}, separators=(",", ":")).encode()
    raw = payload + b"|" + _sign(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(req: ApiRequest, token: str) -> int:
    invalid = errors.invalid_argument("Invalid page token.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, _, signature = raw.rpartition(b"|")
        if not hmac.compare_digest(_sign(payload).encode(), signature):
            raise invalid
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or data.get("q") != _fingerprint(req) or not isinstance(data.get("k"), int):
        raise invalid
    return int(data["k"])


def page_size(req: ApiRequest) -> int:
    default, maximum = req.page_caps.get(req.method_id) or DEFAULT_PAGE_CAPS[req.method_id]
    size = req.integer("pageSize")
    if size is not None and size < 0:
        raise errors.invalid_argument("pageSize must not be negative.")
    return default if not size else min(size, maximum)


def page(
    req: ApiRequest, items: Sequence[T], key: Callable[[T], int], *, newest_first: bool = False
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already in list order) and the token for the next, if any."""
    size = page_size(req)
    token = req.one("pageToken")
    start = 0
    if token:
        last = decode_token(req, token)
        start = len(items)
        for index, item in enumerate(items):
            k = key(item)
            if (k < last) if newest_first else (k > last):
                start = index
                break
    chosen = list(items[start : start + size])
    more = start + size < len(items)
    return chosen, (encode_token(req, key(chosen[-1])) if more and chosen else None)


def list_body(name: str, items: list[dict[str, object]], next_token: str | None) -> dict[str, object]:
    """Google omits empty lists and an absent nextPageToken."""
    body: dict[str, object] = {}
    if items:
        body[name] = items
    if next_token:
        body["nextPageToken"] = next_token
    return body
