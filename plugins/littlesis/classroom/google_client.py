"""``ClassroomClient`` on google-api-python-client: batches, a shared rate limit, retries.

Each round of ``execute`` builds every request first (a malformed call raises before
anything is sent), splits them into batches that fit the rate limiter's burst (at most
50), takes one token per part, and sends each batch with
``BatchHttpRequest(batch_uri=endpoint + "batch")`` (``new_batch_http_request()`` would
ignore ``api_endpoint`` and post to Google). A lone call goes out as a plain request.
Batches run on up to ``concurrency`` threads, each with its own connection, so a slow
server doesn't leave the quota unused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPException
from typing import Any

import httplib2
from google.auth.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from littlesis.classroom.counter import CallCounter
from littlesis.classroom.counting_http import CountingHttp
from littlesis.classroom.errors import classify, transport_error
from littlesis.classroom.protocol import ApiErrorInfo, Call, CallResult
from littlesis.classroom.ratelimit import MAX_BATCH, TokenBucket
from littlesis.classroom.retry import RetryPolicy, run_with_retries

GOOGLE_ENDPOINT = "https://classroom.googleapis.com/"
# No usable answer: the connection dropped (after httplib2's own resend), timed out, or
# the batch answer couldn't be parsed. The calls may or may not have run.
_NO_ANSWER = (httplib2.HttpLib2Error, OSError, HTTPException, BatchError, KeyError, ValueError)


def _failed(call: Call, error: ApiErrorInfo) -> CallResult:
    return CallResult(call, error.status_code, None, error)


def _http_error(exc: HttpError) -> ApiErrorInfo:
    return classify(int(exc.resp.status), exc.content)


def _succeeded(call: Call, body: Any) -> CallResult:
    return CallResult(call, 200, body if isinstance(body, dict) else {})


class GoogleClassroomClient:
    """The real client. ``credentials`` None sends no Authorization header (an emulator)."""

    def __init__(
        self,
        endpoint: str = GOOGLE_ENDPOINT,
        *,
        credentials: Credentials | None = None,
        limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        counter: CallCounter | None = None,
        concurrency: int = 1,
        timeout: float = 60.0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        if concurrency < 1 or not 1 <= max_batch <= MAX_BATCH:
            raise ValueError(f"concurrency must be >= 1 and max_batch between 1 and {MAX_BATCH}")
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.batch_uri = self.endpoint + "batch"
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency
        self.batch_size = min(max_batch, limiter.max_batch) if limiter else max_batch
        self._counter = counter or CallCounter()
        self._credentials = credentials
        self._timeout = timeout
        self._lock = threading.Lock()
        self._local = threading.local()
        self._https: list[Any] = []
        self._pool: ThreadPoolExecutor | None = None
        self._methods: dict[str, Callable[..., HttpRequest]] = {}
        self._service = build("classroom", "v1", http=self._thread_http(),
                              client_options={"api_endpoint": self.endpoint}, static_discovery=True,
                              cache_discovery=False)

    @property
    def counter(self) -> CallCounter:
        return self._counter

    def execute(self, calls: Sequence[Call]) -> list[CallResult]:
        if not calls:
            return []
        return run_with_retries(list(calls), self._attempt, self.retry, self._counter)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            https, self._https = self._https, []
        if pool is not None:
            pool.shutdown(wait=True)
        for connection in https:
            connection.close()

    def __enter__(self) -> GoogleClassroomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # one round -------------------------------------------------------------

    def _attempt(self, calls: Sequence[Call], halvings: int = 0) -> list[CallResult]:
        """One try of every call; batches go out on the pool when there are several."""
        requests = [self._request(call) for call in calls]
        size = max(1, self.batch_size >> halvings)
        chunks = [range(start, min(start + size, len(calls))) for start in range(0, len(calls), size)]

        def send(chunk: range) -> list[CallResult]:
            return self._send([calls[i] for i in chunk], [requests[i] for i in chunk])

        if self.concurrency == 1 or len(chunks) == 1:
            answered = [send(chunk) for chunk in chunks]
        else:
            answered = list(self._executor().map(send, chunks))
        return [result for chunk_results in answered for result in chunk_results]

    def _send(self, calls: list[Call], requests: list[HttpRequest]) -> list[CallResult]:
        if self.limiter is not None:
            self.limiter.acquire(len(calls))
        self._counter.record_attempts(call.method for call in calls)
        http = self._thread_http()
        if len(calls) == 1:
            return [self._send_one(calls[0], requests[0], http)]
        return self._send_batch(calls, requests, http)

    def _send_one(self, call: Call, request: HttpRequest, http: Any) -> CallResult:
        try:
            return _succeeded(call, request.execute(http=http, num_retries=0))
        except HttpError as exc:
            return _failed(call, _http_error(exc))
        except _NO_ANSWER as exc:
            return _failed(call, transport_error(exc))

    def _send_batch(self, calls: list[Call], requests: list[HttpRequest], http: Any) -> list[CallResult]:
        answers: dict[str, CallResult] = {}

        def on_answer(request_id: str, response: Any, exception: HttpError | None) -> None:
            call = calls[int(request_id)]
            answers[request_id] = _succeeded(call, response) if exception is None else _failed(
                call, _http_error(exception))

        batch = BatchHttpRequest(callback=on_answer, batch_uri=self.batch_uri)
        for index, request in enumerate(requests):
            batch.add(request, request_id=str(index))
        self._counter.add("batches")
        whole: ApiErrorInfo | None = None
        try:
            batch.execute(http=http)
        except BatchError as exc:  # an HttpError subclass: the answer wasn't a usable multipart
            whole = transport_error(exc)
        except HttpError as exc:  # the batch envelope itself failed (e.g. 503): every part did
            whole = _http_error(exc)
        except _NO_ANSWER as exc:
            whole = transport_error(exc)
        missing = whole or transport_error(RuntimeError("the batch answer had no part for this call"))
        return [answers.get(str(i)) or _failed(call, missing) for i, call in enumerate(calls)]

    # plumbing --------------------------------------------------------------

    def _request(self, call: Call) -> HttpRequest:
        kwargs: dict[str, Any] = {**call.path, **call.query}
        if call.body is not None:
            kwargs["body"] = dict(call.body)
        if call.fields:
            kwargs["fields"] = call.fields
        try:
            return self._method(call.method)(**kwargs)
        except TypeError as exc:
            raise ValueError(f"bad call {call.method}: {exc}") from None

    def _method(self, method_id: str) -> Callable[..., HttpRequest]:
        """The discovery method for "courses.students.create"; resources are cached (building one is slow)."""
        with self._lock:
            method = self._methods.get(method_id)
            if method is None:
                *resources, name = method_id.split(".")
                node: Any = self._service
                try:
                    for resource in resources:
                        node = getattr(node, resource)()
                    method = self._methods[method_id] = getattr(node, name)
                except AttributeError:
                    raise ValueError(f"unknown Classroom method {method_id!r}") from None
            return method

    def _thread_http(self) -> Any:
        """Each thread gets its own connection: httplib2.Http is not thread-safe."""
        http = getattr(self._local, "http", None)
        if http is None:
            http = CountingHttp(self._counter, self.endpoint, timeout=self._timeout)
            if self._credentials is not None:
                http = AuthorizedHttp(self._credentials, http=http)
            self._local.http = http
            with self._lock:
                self._https.append(http)
        return http

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="classroom-batch")
            return self._pool
