"""Sending teacher digests through the Airflow SMTP provider's connection (``littlesis_smtp``)."""

from __future__ import annotations

from collections.abc import Sequence

from littlesis.core.notifications import Digest

SMTP_CONN_ID = "littlesis_smtp"
DEFAULT_SENDER = "Little SIS Sync <littlesis-sync@localhost>"


def send_digests(digests: Sequence[Digest], *, conn_id: str = SMTP_CONN_ID) -> int:
    """One e-mail per digest, over one SMTP session; returns how many were sent."""
    if not digests:
        return 0
    from airflow.providers.smtp.hooks.smtp import SmtpHook  # late: only runs that notify need it

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        sender = hook.from_email or DEFAULT_SENDER
        for digest in digests:
            hook.send_email_smtp(to=digest.teacher, subject=digest.subject, html_content=digest.html(),
                                 from_email=sender)
    return len(digests)
