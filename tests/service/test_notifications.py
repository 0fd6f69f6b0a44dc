"""Teacher digests: which events, to whom, and delivered through a real SMTP server on loopback."""

from __future__ import annotations

import json

import pytest

from littlesis.core.config import NotifyTeachers
from littlesis.core.notifications import AppliedAction, teacher_digests
from littlesis.service.notifications import send_digests
from tests.smtp_inbox import smtp_server

ALL = NotifyTeachers(created=True, updated=True, linked=True)


def act(kind, alias, teacher="t@d.org", status="done", state="ACTIVE", name=None):
    return AppliedAction(kind, alias, teacher, {}, status, name or f"Class {alias}", state)


def test_one_digest_per_teacher_with_the_enabled_events():
    digests = teacher_digests([
        act("create_course", "C1"), act("add_student", "C1"), act("add_student", "C1"),
        act("link_course", "C2", teacher="u@d.org"), act("add_student", "C3", teacher="u@d.org"),
        act("remove_student", "C3", teacher="u@d.org"),
    ], ALL)
    assert [(d.teacher, d.created, d.linked, d.updated) for d in digests] == [
        ("t@d.org", ["Class C1"], [], {"Class C1": 2}),
        ("u@d.org", [], ["Class C2"], {"Class C3": 2}),
    ]
    assert digests[0].subject == "Google Classroom: your classes were synced (1 created, 1 updated)"


def test_provisioned_failed_and_disabled_events_send_nothing():
    actions = [act("create_course", "C1", state="PROVISIONED"), act("add_student", "C1", state="PROVISIONED"),
               act("create_course", "C2", status="failed"), act("add_student", "C3", status="already_done"),
               act("link_course", "C4")]
    assert teacher_digests(actions, ALL)[0].linked == ["Class C4"]
    assert teacher_digests(actions, NotifyTeachers(created=True, updated=True, linked=False)) == []


@pytest.fixture
def smtp(monkeypatch):
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("AIRFLOW_CONN_LITTLESIS_SMTP", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "sync@district.example.org"}}))
        yield inbox


def test_digests_are_delivered_to_each_teacher_over_smtp(smtp):
    digests = teacher_digests([act("create_course", "C1", name="Algebra <I>"),
                               act("link_course", "C2", teacher="u@d.org", name="Bio")], ALL)
    assert send_digests(digests) == 2
    received = {tuple(rcpt): message for rcpt, message in smtp.messages}
    assert set(received) == {("t@d.org",), ("u@d.org",)}
    first = received[("t@d.org",)]
    assert first["Subject"] == "Google Classroom: your classes were synced (1 created)"
    assert first["From"] == "sync@district.example.org"
    body = next(part for part in first.walk() if part.get_content_type() == "text/html").get_content()
    assert "created: Algebra &lt;I&gt;" in body  # class names are escaped, never markup
