"""The HTTP side: a threading stdlib server speaking HTTP/1.1 with keep-alive.

``EmulatorServer`` owns one ``Emulator`` and serves it on 127.0.0.1 (port 0 picks a
free port). Use it as a context manager, or ``start()`` / ``stop()``::

    with EmulatorServer(seed={"domains": ["district.example.org"]}) as server:
        classroom = build("classroom", "v1", http=httplib2.Http(),
                          client_options={"api_endpoint": server.base_url}, static_discovery=True)
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from littlesis.emulator import batch, errors, hooks, identity
from littlesis.emulator.engine import Emulator, Settings

JsonDict = dict[str, Any]
BATCH_PATHS = ("/batch", "/batch/classroom/v1")
JSON = "application/json; charset=UTF-8"
Reply = tuple[int, str, bytes]  # status, content type, body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], engine: Emulator) -> None:
        self.engine = engine
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def sever_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections so they end."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClassroomEmulator/1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    timeout = 120  # idle keep-alive connections end eventually
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the journal is the log."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            self._dispatch()
        except Exception as exc:  # an emulator bug must not look like a dropped connection
            error = errors.ApiError(500, "INTERNAL", f"Internal error encountered. ({type(exc).__name__}: {exc})")
            self._send(500, JSON, _encode(error.body()))

    def _dispatch(self) -> None:
        engine = self.server.engine
        started = time.monotonic()
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        path = self.path.partition("?")[0]
        if path.startswith(hooks.PREFIX):
            hook_status, answer = hooks.handle(engine, self.command, self.path, body)
            self._send(hook_status, JSON, _encode(answer))
            return
        latency = engine.latency_ms / 1000.0
        if self.command == "POST" and path in BATCH_PATHS:
            self._batch(engine, headers, body, started, latency)
            return
        outcome = engine.call(self.command, self.path, headers, body)
        delay = latency + outcome.delay
        status = None if outcome.dropped else outcome.status
        engine.record(self.command, self.path, outcome.method_id, status, outcome.fault, _caller(headers), delay)
        self._reply(started, delay, None if outcome.body is None else (outcome.status, JSON, _encode(outcome.body)))

    def _batch(self, engine: Emulator, headers: Mapping[str, str], body: bytes, started: float,
               latency: float) -> None:
        """A batch request; faults aimed at "batch" act on the whole envelope."""
        decision = engine.faults.decide("batch", self.path.partition("?")[0])
        kind = decision.kind if decision else None
        delay = latency + (decision.latency_s if decision else 0.0)
        parts: list[JsonDict] = []
        reply: Reply | None = None  # None: drop the connection
        if kind == "error" and decision is not None:
            error = errors.server_error(decision.code)
            reply = (error.status_code, JSON, _encode(error.body()))
        elif kind != "drop":
            try:
                answer = batch.answer(engine, batch.parse(headers.get("content-type", ""), body), headers)
            except errors.ApiError as exc:
                reply = (exc.status_code, JSON, _encode(exc.body()))
            else:
                parts, delay = answer.journal_parts, delay + answer.delay
                if kind == "apply_then_fail":
                    reply = (503, JSON, _encode(errors.unavailable().body()))
                elif answer.body is not None and kind != "apply_then_drop":
                    reply = (200, answer.content_type, answer.body)
        engine.record(self.command, self.path, "batch", None if reply is None else reply[0],
                      decision.label if decision else None, _caller(headers), delay, parts)
        self._reply(started, delay, reply)

    def _reply(self, started: float, delay: float, reply: Reply | None) -> None:
        """Answer once ``delay`` has passed since the request arrived; no reply drops the connection."""
        remaining = started + delay - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        if reply is None:
            self.close_connection = True
        else:
            self._send(*reply)

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Vary", "Origin, X-Origin, Referer")
        self.end_headers()
        self.wfile.write(payload)


def _caller(headers: Mapping[str, str]) -> str | None:
    return identity.caller(headers)[0]


def _encode(body: JsonDict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class EmulatorServer:
    """A Classroom emulator on a background thread; ``start()`` returns its base URL."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: JsonDict | None = None,
        faults: str | None = None,
        fault_seed: int = 0,
        latency_ms: int = 0,
        quota_qps: float | None = None,
        page_caps: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self.host, self.port = host, port
        settings = Settings(seed=seed, faults=faults, fault_seed=fault_seed, latency_ms=latency_ms,
                            quota_qps=quota_qps)
        self.engine = Emulator(settings, page_caps)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> str:
        if self._httpd is None:
            self._httpd = _Server((self.host, self.port), self.engine)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="classroom-emulator",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.sever_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
