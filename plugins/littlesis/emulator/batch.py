"""POST /batch: a multipart/mixed body of ``application/http`` parts, answered in kind.

Each part is one API call (quota, faults and journal count it as such). Answers
carry ``Content-ID: <response-ID>`` for a request part ``Content-ID: <ID>``, which
is what google-api-python-client's BatchHttpRequest matches. More than 50 parts
(or none) refuses the whole batch with 400, before any part runs.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from littlesis.emulator import errors
from littlesis.emulator.engine import Emulator, Outcome

MAX_PARTS = 50
JsonDict = dict[str, Any]


@dataclass(slots=True)
class Part:
    content_id: str | None
    http_method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class BatchAnswer:
    body: bytes | None  # None: drop the connection
    content_type: str
    delay: float
    journal_parts: list[JsonDict]


def _boundary(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"')
    raise errors.invalid_argument("A batch request must be multipart/mixed with a boundary.")


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    """Split header lines from what follows the first blank line (CRLF or LF endings)."""
    crlf, lf = data.find(b"\r\n\r\n"), data.find(b"\n\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        return data[:crlf], data[crlf + 4 :]
    if lf != -1:
        return data[:lf], data[lf + 2 :]
    return data, b""


def _headers(lines: list[str]) -> dict[str, str]:
    """Header lines as a dict with lower-cased names."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _lines(head: bytes) -> list[str]:
    return head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")


def parse(content_type: str, body: bytes) -> list[Part]:
    delimiter = b"--" + _boundary(content_type).encode()
    parts: list[Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        mime_head, payload = _split_head(chunk.lstrip(b"\r\n"))
        mime_headers = _headers(_lines(mime_head))
        request_head, request_body = _split_head(payload)
        request_lines = _lines(request_head)
        headers = _headers(request_lines[1:])
        pieces = request_lines[0].strip().split(" ")
        if len(pieces) < 2:
            raise errors.invalid_argument("A batch part must hold an HTTP request line.")
        target = pieces[1]
        if target.startswith(("http://", "https://")):
            split = urlsplit(target)
            target = split.path + (f"?{split.query}" if split.query else "")
        length = headers.get("content-length")
        request_body = request_body[: int(length)] if length and length.isdigit() else request_body.rstrip(b"\r\n")
        content_id = mime_headers.get("content-id")
        parts.append(Part(content_id, pieces[0].upper(), target, headers, request_body))
    return parts


def _render_part(part: Part, outcome: Outcome) -> str:
    payload = json.dumps(outcome.body, separators=(",", ":"))
    phrase = HTTPStatus(outcome.status).phrase
    content_id = ""
    if part.content_id:
        content_id = f"Content-ID: <response-{part.content_id.strip().removeprefix('<').removesuffix('>')}>\r\n"
    return (
        f"Content-Type: application/http\r\n{content_id}\r\n"
        f"HTTP/1.1 {outcome.status} {phrase}\r\n"
        f"Content-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(payload.encode())}\r\n\r\n{payload}\r\n"
    )


def answer(engine: Emulator, parts: list[Part], outer_headers: Mapping[str, str]) -> BatchAnswer:
    """Run the parts in order and build the multipart answer."""
    if not parts:
        raise errors.invalid_argument("A batch request must contain at least one part.")
    if len(parts) > MAX_PARTS:
        raise errors.invalid_argument(f"A batch request may contain at most {MAX_PARTS} calls, not {len(parts)}.")
    boundary = "batch_" + secrets.token_hex(12)
    rendered: list[str] = []
    journal: list[JsonDict] = []
    delay = 0.0
    auth = {k: v for k, v in outer_headers.items() if k == "authorization"}
    for part in parts:
        outcome = engine.call(part.http_method, part.target, auth | part.headers, part.body)
        delay += outcome.delay
        journal.append(
            {
                "contentId": part.content_id,
                "httpMethod": part.http_method,
                "path": part.target,
                "methodId": outcome.method_id,
                "status": None if outcome.dropped else outcome.status,
                "fault": outcome.fault,
            }
        )
        if outcome.dropped:
            return BatchAnswer(None, "", delay, journal)
        rendered.append(f"--{boundary}\r\n" + _render_part(part, outcome))
    rendered.append(f"--{boundary}--\r\n")
    return BatchAnswer("".join(rendered).encode(), f"multipart/mixed; boundary={boundary}", delay, journal)
