"""Errors as a page for people (the message, escaped, and a way back) and as JSON for scripts."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from littlesis.web.context import base_path
from littlesis.web.rendering import environment

TITLES = {400: "Can't do that", 401: "Please log in", 403: "Not allowed", 404: "Not found", 409: "Changed meanwhile",
          422: "Missing or malformed fields"}


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def error_response(request: Request, status_code: int, detail: object, headers: dict[str, str] | None = None
                   ) -> Response:
    if not wants_html(request):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    page = environment().get_template("error.html").render(
        base=base_path(request), static=lambda name: f"{base_path(request)}/static/{name}",
        status_code=status_code, title=TITLES.get(status_code, "Something went wrong"),
        detail=detail if isinstance(detail, str) else None, problems=detail if isinstance(detail, list) else [],
        login_url=base_path(request).rsplit("/littlesis", 1)[0] + "/auth/login",
    )
    return Response(page, status_code=status_code, media_type="text/html", headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def form_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return error_response(request, 422, problems)
