"""E-mails about people's accounts: address confirmation, password reset, security notices.

Plain-text templates in templates/email/ (the mailer adds an escaped HTML part). One message
per recipient, sent after the commit (no transaction waits on the SMTP server); a failure is
logged, never shown: these answers must not tell anyone whether an address has an account."""

from __future__ import annotations

from flask import render_template

from domain.core.accounts import security_log
from output.mail import Outgoing
from web.http import mailer


def send_account_mail(template: str, recipients: list[str], subject: str, **context) -> int:
    """Render templates/email/<template>.txt for each recipient and send; how many left."""
    items = [Outgoing(recipients=[to], subject=subject, body=render_template(f"email/{template}.txt", **context))
             for to in recipients]
    mailer().deliver(items)
    for item in items:
        if not item.delivered:
            security_log.warning("account mail not sent template=%s to=%s error=%s", template, item.recipients[0],
                                 item.error)
    return sum(item.delivered for item in items)
