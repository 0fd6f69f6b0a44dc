"""The demo's SMTP catcher keeps each message as an .eml file that `bin/littlesis demo mail` lists."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from littlesis.deploy.mailcatcher import MailFolder, received
from tests.conftest import ROOT
from tests.smtp_inbox import free_port


def digest(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "sync@district.example.org"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("plain version")
    message.add_alternative("<p>Your classes were <b>synced</b></p>", subtype="html")
    return message


def test_messages_sent_over_smtp_land_as_eml_files_and_are_listed(tmp_path):
    folder = tmp_path / "mail"
    controller = Controller(MailFolder(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", controller.port) as smtp:
            smtp.send_message(digest("ava@district.example.org", "Google Classroom: 1 created"))
            smtp.send_message(digest("mia@district.example.org", "Google Classroom: 2 linked"),
                              to_addrs=["mia@district.example.org", "copy@district.example.org"])
    finally:
        controller.stop()

    assert sorted(p.suffix for p in folder.iterdir()) == [".eml", ".eml"]  # no .partial left behind
    mails = received(folder)
    assert [(m.to, m.subject) for m in mails] == [
        ("ava@district.example.org", "Google Classroom: 1 created"),
        ("mia@district.example.org, copy@district.example.org", "Google Classroom: 2 linked"),
    ]
    assert mails[0].text().strip() == "plain version"

    env = {**os.environ, "LITTLESIS_DEMO_DIR": str(tmp_path), "LITTLESIS_PYTHON": sys.executable}
    listing = subprocess.run([str(ROOT / "bin" / "littlesis"), "demo", "mail"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(".eml  to ava@district.example.org: Google Classroom: 1 created")
