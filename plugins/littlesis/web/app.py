"""The review app factory: everything it talks to comes in through ``WebDependencies``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from littlesis.web import error_pages
from littlesis.web.deps import WebDependencies
from littlesis.web.headers import SecurityHeaders
from littlesis.web.memo import Memo
from littlesis.web.routes import clone, details, jobs, matches, review

STATIC = Path(__file__).with_name("static")


def create_app(deps: WebDependencies) -> FastAPI:
    """The app Airflow mounts at /littlesis. Creating it opens nothing: the store is reached on first use."""
    app = FastAPI(title="Little SIS Sync review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.littlesis = deps
    app.state.littlesis_memo = Memo()
    app.add_middleware(SecurityHeaders)
    # CSS and JS ship with the package: the pages work without internet, and need no login.
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (jobs, review, matches, details, clone):
        app.include_router(module.router)
    error_pages.install(app)
    return app
