"""CSRF protection of every POST: a token tied to the session, compared in constant time.

The token is HMAC-SHA256(secret, the session's JWT) where the JWT is the ``_token`` cookie
Airflow's login sets. A page from another site can make the browser send that cookie, but it
can't read our pages to learn the token. A script authenticating with an ``Authorization:
Bearer`` header and no cookie needs no token: a browser can't be made to forge that header.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, status

from littlesis.web.context import deps_of

# Airflow's session cookie (airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN).
SESSION_COOKIE = "_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token_for(secret: bytes, session_jwt: str) -> str:
    return hmac.new(secret, session_jwt.encode("utf-8"), hashlib.sha256).hexdigest()


def session_token(request: Request, secret: bytes) -> str:
    """The token the pages of this session embed in their forms ("" for cookie-less script sessions)."""
    jwt = request.cookies.get(SESSION_COOKIE)
    return token_for(secret, jwt) if jwt else ""


def bearer_only(request: Request) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(credentials.strip()) and SESSION_COOKIE not in request.cookies


def check(request: Request, secret: bytes, sent: str | None) -> None:
    """Raise 403 unless ``sent`` is this session's token (or the request is a bearer-only script)."""
    if bearer_only(request):
        return
    jwt = request.cookies.get(SESSION_COOKIE)
    expected = token_for(secret, jwt) if jwt else None
    if expected is None or not sent or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "The form's CSRF token is missing or belongs to another session: reload the page and "
                            "try again.")


async def require_csrf(request: Request) -> None:
    """Route dependency for every POST: the token comes in the form field or the header."""
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    check(request, deps_of(request).csrf_secret(), sent)
