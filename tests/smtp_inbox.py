"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for notification tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[tuple[str, bool]] = []  # (login, whether its password was right), per AUTH

    @property
    def recipients(self) -> list[str]:
        return [rcpt for rcpts, _ in self.messages for rcpt in rcpts]

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def smtp_server(login: str | None = None, password: str | None = None) -> Iterator[tuple[Inbox, int]]:
    """(inbox, port) of a running server on 127.0.0.1; with ``login``, AUTH checks that login and password."""
    inbox = Inbox()
    options = {}
    if login is not None:
        def authenticate(server, session, envelope, mechanism, auth_data):  # aiosmtpd's authenticator hook
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == login \
                and auth_data.password.decode() == password
            inbox.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok))
            return AuthResult(success=ok)

        # Loopback only, so no TLS: the test server takes AUTH in the clear.
        options = {"authenticator": authenticate, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
