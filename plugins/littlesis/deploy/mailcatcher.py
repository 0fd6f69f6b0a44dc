"""A local SMTP server for the demo that keeps every e-mail as an ``.eml`` file instead of sending it.

    python -m littlesis.deploy.mailcatcher --port 8025 --dir .demo/mail

Each message lands in ``<dir>/<time>-<n>.eml`` (written whole, then renamed, so a reader never
sees half a file) with an ``X-Envelope-To`` header naming the SMTP recipients.
``bin/littlesis demo mail`` lists them.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from itertools import count
from pathlib import Path
from typing import Any


class MailFolder:
    """aiosmtpd's handler: writes each message it receives into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        self.save(list(envelope.rcpt_tos), bytes(envelope.content))
        return "250 OK"

    def save(self, recipients: list[str], content: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):04d}.eml"
        header = f"X-Envelope-To: {', '.join(recipients)}\r\n".encode()
        partial = self.folder / (name + ".partial")
        partial.write_bytes(header + content)
        return partial.replace(self.folder / name)


@dataclass(frozen=True)
class Received:
    path: Path
    to: str
    subject: str
    message: EmailMessage

    def text(self) -> str:
        """The body as it was written (the HTML of a digest, or its plain text)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return str(part.get_content()) if part is not None else ""


def received(folder: Path) -> list[Received]:
    """The kept messages, oldest first."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        assert isinstance(message, EmailMessage)
        mails.append(Received(path, str(message.get("X-Envelope-To", message.get("To", ""))),
                              str(message.get("Subject", "")), message))
    return mails


def serve(host: str, port: int, folder: Path, stop: threading.Event) -> None:
    from aiosmtpd.controller import Controller  # a test/demo dependency (requirements-dev.txt)

    controller = Controller(MailFolder(folder), hostname=host, port=port)
    controller.start()
    try:
        print(f"SMTP catcher listening on {host}:{port}, keeping mail in {folder}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m littlesis.deploy.mailcatcher", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, required=True, help="folder for the .eml files")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve(args.host, args.port, args.dir.resolve(), stop)
    except OSError as exc:
        print(f"mailcatcher: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
