"""An httplib2.Http that counts its requests, including the ones httplib2 resends by itself.

httplib2 silently sends a request a second time when the connection closes without an
answer (a stale keep-alive, or a server that dropped it). That resend can apply a write
twice (a create then answers 409), so it is worth counting: ``wire_requests`` counts
every send on a connection, ``http_requests`` every request we made.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import httplib2

from littlesis.classroom.counter import CallCounter

_active: ContextVar[CallCounter | None] = ContextVar("littlesis_wire_counter", default=None)


def _count_send() -> None:
    counter = _active.get()
    if counter is not None:
        counter.add("wire_requests")


class _CountingHTTPConnection(httplib2.HTTPConnectionWithTimeout):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _count_send()
        super().request(*args, **kwargs)


class _CountingHTTPSConnection(httplib2.HTTPSConnectionWithTimeout):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _count_send()
        super().request(*args, **kwargs)


_CONNECTIONS: dict[str, type] = {"http": _CountingHTTPConnection, "https": _CountingHTTPSConnection}


class CountingHttp(httplib2.Http):
    """Counts requests to ``api_prefix`` as API requests and everything else as other."""

    def __init__(self, counter: CallCounter, api_prefix: str, *, timeout: float = 60.0) -> None:
        super().__init__(timeout=timeout)
        self.counter = counter
        self.api_prefix = api_prefix

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = httplib2.DEFAULT_MAX_REDIRECTS, connection_type: Any = None) -> Any:
        self.counter.add("http_requests" if uri.startswith(self.api_prefix) else "other_http_requests")
        if connection_type is None:
            connection_type = _CONNECTIONS.get(uri.partition(":")[0].lower())
        token = _active.set(self.counter)
        try:
            return super().request(uri, method, body, headers, redirections, connection_type)
        finally:
            _active.reset(token)
