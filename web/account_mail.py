"""E-mails about people's accounts: address confirmation, password reset, security notices.

Plain-text templates in templates/email/ (the mailer adds an escaped HTML part), one message
per recipient, always after the commit (no transaction waits on the SMTP server). A failure is
logged, never shown: these answers must not tell anyone whether an address has an account.

Answers to anonymous requests (sign-up, forgotten password) send after the response has gone
(`deliver_after`): whether an e-mail left or not, and how long the SMTP server took, cannot be
read from the response time either."""

from __future__ import annotations

from flask import current_app, render_template

from domain.core.accounts import MailLimits, security_log
from output.mail import Outgoing
from web.http import mailer


def mail_limits() -> MailLimits:
    """The account e-mail limits and link lifetimes from the settings."""
    cfg = current_app.config
    return MailLimits(per_address=int(cfg["ACCOUNT_MAILS_PER_ADDRESS"]), signups_per_ip=int(cfg["SIGNUP_MAX_PER_IP"]),
                      window=cfg["ACCOUNT_LIMITS_WINDOW"], verify_lifetime=cfg["EMAIL_VERIFICATION_LIFETIME"],
                      reset_lifetime=cfg["PASSWORD_RESET_LIFETIME"])


def compose(template: str, recipients: list[str], subject: str, **context) -> list[Outgoing]:
    """One message per recipient from templates/email/<template>.txt."""
    body = render_template(f"email/{template}.txt", **context)
    return [Outgoing(recipients=[to], subject=subject, body=body) for to in recipients]


def deliver(items: list[Outgoing], deliver_with=None) -> int:
    """Send; log what did not leave; how many left."""
    (deliver_with or mailer().deliver)(items)
    for item in items:
        if not item.delivered:
            security_log.warning("account mail not sent to=%s error=%s", item.recipients[0], item.error)
    return sum(item.delivered for item in items)


def send_account_mail(template: str, recipients: list[str], subject: str, **context) -> int:
    """Render and send now (the caller has committed); how many left."""
    return deliver(compose(template, recipients, subject, **context))


def deliver_after(response, items: list[Outgoing]):
    """Send once the response has been handed to the client (WSGI close); returns the response."""
    if items:
        send = mailer().deliver
        response.call_on_close(lambda: deliver(items, send))
    return response
