"""E-mail through Flask-Mail to the configured SMTP server, with a timeout, one connection
per batch, and per-recipient refusals reported instead of ignored."""

from __future__ import annotations

import html
import smtplib
from dataclasses import dataclass, field

from flask import current_app
from flask_mail import Connection, Message, sanitize_address, sanitize_addresses


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    data: bytes


@dataclass
class Outgoing:
    """One message to send; `result` is filled by deliver()."""

    recipients: list[str]
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    html_extra: str = ""  # appended to the HTML part (e.g. a tracking pixel)
    delivered: bool = False
    error: str = ""  # why it was not delivered (French)


class _Connection(Connection):
    """Flask-Mail's connection with a socket timeout (a hung server must not hang a request)."""

    def configure_host(self):
        timeout = current_app.config.get("MAIL_TIMEOUT", 10)
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def send_checked(self, message: Message) -> dict:
        """Send and return the recipients the server refused ({} when all accepted)."""
        if message.has_bad_headers():
            raise ValueError("en-tête invalide (retour à la ligne)")
        refused = {}
        if self.host is not None:
            refused = self.host.sendmail(
                sanitize_address(message.sender), list(sanitize_addresses(message.send_to)), message.as_bytes(),
                message.mail_options, message.rcpt_options,
            )
        return refused


# RFC 5322 §2.1.1: a line is at most 998 characters. Flask-Mail sends UTF-8 bodies as
# 8bit without re-wrapping, and strict servers refuse longer lines: break them at spaces.
MAX_LINE = 900


def wrap_long_lines(text: str, limit: int = MAX_LINE) -> str:
    """Break lines longer than `limit` at spaces (hard-cut a word longer than the limit)."""
    out = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        out.append(line)
    return "\n".join(out)


def text_to_html(body: str) -> str:
    """Plain text body as simple, escaped HTML paragraphs, one per line of source."""
    paragraphs = [html.escape(p).replace("\n", "<br>\n") for p in body.split("\n\n")]
    return "\n".join(f"<p>{p}</p>" for p in paragraphs)


def _build(item: Outgoing, sender: str) -> Message:
    msg = Message(subject=item.subject.replace("\r", " ").replace("\n", " "), recipients=item.recipients,
                  cc=item.cc or None, body=wrap_long_lines(item.body), sender=sender, reply_to=item.reply_to)
    msg.html = wrap_long_lines(
        '<!doctype html><html lang="fr"><body style="font-family:Arial,sans-serif;font-size:15px;color:#14213d">\n'
        + text_to_html(item.body) + "\n" + item.html_extra + "\n</body></html>"
    )
    for att in item.attachments:
        msg.attach(att.filename, att.mimetype, att.data)
    return msg


def deliver(items: list[Outgoing], *, sender: str | None = None) -> None:
    """Send every message over one SMTP connection; sets each item's `delivered` / `error` (French).

    A failure to connect marks every item failed; a refused recipient fails only its message.
    """
    sender = sender or current_app.config["MAIL_DEFAULT_SENDER"]
    state = current_app.extensions["mail"]
    try:
        with _Connection(state) as conn:
            for item in items:
                try:
                    refused = conn.send_checked(_build(item, sender))
                except smtplib.SMTPRecipientsRefused as exc:
                    item.error = "Adresse refusée par le serveur : " + ", ".join(exc.recipients)
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    item.error = f"Le serveur d'e-mail a refusé l'envoi ({exc.__class__.__name__})."
                else:
                    # Partly refused: the message left for the others; say who did not get it.
                    item.delivered = True
                    item.error = ("Adresse refusée par le serveur : " + ", ".join(refused)) if refused else ""
    except (smtplib.SMTPException, OSError) as exc:
        # Connection lost or never made: whatever was not handed over did not leave.
        message = ("Le serveur d'e-mail est injoignable : l'e-mail n'est pas parti. Réessayez dans un instant "
                   f"({exc.__class__.__name__}).")
        for item in items:
            if not item.delivered and not item.error:
                item.error = message
