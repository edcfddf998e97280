"""E-mail over SMTP: one connection per batch, a timeout, and per-recipient refusals reported
instead of ignored.

A leaf like the rest of output/: the application builds one `Mailer` from its settings and
passes its `deliver` to the domain code that sends (see domain.collections.sending).
"""

from __future__ import annotations

import html
import logging
import smtplib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from pathlib import Path

import dkim

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    data: bytes


@dataclass
class Outgoing:
    """One message to send; `delivered` and `error` are filled by Mailer.deliver()."""

    recipients: list[str]
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    sender_name: str = ""  # shown as the sender (the company); the address is the platform's
    reply_to: str | None = None
    html_extra: str = ""  # appended to the HTML part (e.g. a tracking pixel)
    delivered: bool = False
    error: str = ""  # why it was not delivered (French)


Deliver = Callable[[list[Outgoing]], None]

# Signed headers: what a forwarder must not change without breaking the signature.
DKIM_HEADERS = [b"from", b"to", b"cc", b"reply-to", b"subject", b"date", b"message-id", b"mime-version",
                b"content-type"]

# RFC 5322 §2.1.1: a line is at most 998 characters, and strict servers refuse longer ones:
# break long lines at spaces before they are encoded.
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


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; `suppress` (tests, demo without a server) sends nothing and
    reports every message delivered, keeping a copy in `Mailer.outbox`."""

    server: str = "127.0.0.1"
    port: int = 25
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 10
    default_sender: str = "Encaisse <no-reply@encaisse.local>"
    suppress: bool = False
    # DKIM (RFC 6376), when a private key is configured: the selector's public key is
    # published at <selector>._domainkey.<domain> (see README › E-mail for a hosted service).
    dkim_selector: str = ""
    dkim_private_key: bytes = b""  # PEM
    dkim_domain: str = ""  # default: the sender address's domain

    @classmethod
    def from_config(cls, config: Mapping) -> SmtpSettings:
        """From Flask-style settings (MAIL_SERVER, MAIL_PORT, …; MAIL_SUPPRESS_SEND defaults to TESTING)."""
        return cls(
            server=config.get("MAIL_SERVER") or "127.0.0.1", port=int(config.get("MAIL_PORT") or 25),
            username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
            use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
            default_sender=config.get("MAIL_DEFAULT_SENDER") or cls.default_sender,
            suppress=bool(config.get("MAIL_SUPPRESS_SEND", config.get("TESTING", False))),
            dkim_selector=config.get("MAIL_DKIM_SELECTOR") or "",
            dkim_private_key=_pem(config.get("MAIL_DKIM_PRIVATE_KEY"), config.get("MAIL_DKIM_PRIVATE_KEY_FILE")),
            dkim_domain=config.get("MAIL_DKIM_DOMAIN") or "",
        )


class Mailer:
    """Sends `Outgoing` messages with the given settings."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.outbox: list[EmailMessage] = []  # what a suppressed mailer would have sent

    def build(self, item: Outgoing, sender: str) -> EmailMessage:
        """The MIME message: text and HTML alternatives, then the attachments.

        From: the company's name with the platform's own address (the only one our SPF and
        DKIM vouch for: sending "as" the artisan's address would fail DMARC at the client's
        mail provider); replies go to the company (Reply-To)."""
        msg = EmailMessage()
        display, address = parseaddr(sender)
        if item.sender_name:
            sender = formataddr((" ".join(item.sender_name.split()), address))
        for name, value in (("Subject", " ".join(item.subject.splitlines())), ("From", sender),
                            ("To", ", ".join(item.recipients)), ("Cc", ", ".join(item.cc)),
                            ("Reply-To", item.reply_to or "")):
            if any(c in value for c in "\r\n"):
                raise ValueError("en-tête invalide (retour à la ligne)")
            if value:
                msg[name] = value
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain=_domain_of(sender))
        msg.set_content(wrap_long_lines(item.body))
        msg.add_alternative(wrap_long_lines(
            '<!doctype html><html lang="fr"><body style="font-family:Arial,sans-serif;font-size:15px;color:#14213d">\n'
            + text_to_html(item.body) + "\n" + item.html_extra + "\n</body></html>"), subtype="html")
        for att in item.attachments:
            maintype, _, subtype = att.mimetype.partition("/")
            msg.add_attachment(att.data, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename)
        return msg

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        cls = smtplib.SMTP_SSL if s.use_ssl else smtplib.SMTP
        host = cls(s.server, s.port, timeout=s.timeout)
        if s.use_tls:
            host.starttls()
        if s.username and s.password:
            host.login(s.username, s.password)
        return host

    def deliver(self, items: list[Outgoing], *, sender: str | None = None) -> None:
        """Send every message over one SMTP connection; sets each item's `delivered` / `error` (French).

        A failure to connect marks every item failed; a refused recipient fails only its message.
        """
        sender = sender or self.settings.default_sender
        if not items:
            return
        if self.settings.suppress:
            for item in items:
                try:
                    self.outbox.append(self.build(item, sender))
                except ValueError as exc:
                    item.error = f"Le serveur d'e-mail a refusé l'envoi ({_reason(exc)})."
                else:
                    item.delivered = True
            return
        try:
            host = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            _fail_all(items, exc)
            return
        try:
            for item in items:
                self._send_one(host, item, sender)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            _fail_all(items, exc)  # connection lost: whatever was not handed over did not leave
        finally:
            try:
                host.quit()
            except (smtplib.SMTPException, OSError):
                host.close()

    def _dkim_signature(self, raw: bytes, envelope_from: str) -> bytes:
        domain = self.settings.dkim_domain or envelope_from.rpartition("@")[2]
        return dkim.sign(raw, self.settings.dkim_selector.encode(), domain.encode(), self.settings.dkim_private_key,
                         include_headers=DKIM_HEADERS)

    def _send_one(self, host: smtplib.SMTP, item: Outgoing, sender: str) -> None:
        try:
            msg = self.build(item, sender)
            envelope_from = parseaddr(sender)[1]
            to = [addr for _, addr in getaddresses([*item.recipients, *item.cc]) if addr]
            raw = msg.as_bytes(policy=SMTP)
            if self.settings.dkim_private_key:
                raw = self._dkim_signature(raw, envelope_from) + raw
            refused = host.sendmail(envelope_from, to, raw, mail_options=_mail_options(host, raw, [envelope_from, *to]))
        except smtplib.SMTPRecipientsRefused as exc:
            item.error = "Adresse refusée par le serveur : " + ", ".join(exc.recipients)
        except smtplib.SMTPServerDisconnected:
            raise
        except (smtplib.SMTPException, ValueError) as exc:
            item.error = f"Le serveur d'e-mail a refusé l'envoi ({_reason(exc)})."
        else:
            # Partly refused: the message left for the others; say who did not get it.
            item.delivered = True
            item.error = ("Adresse refusée par le serveur : " + ", ".join(refused)) if refused else ""


def _mail_options(host: smtplib.SMTP, raw: bytes, addresses: list[str]) -> list[str]:
    """8BITMIME for an 8-bit body, SMTPUTF8 for a non-ASCII address, when the server offers them."""
    host.ehlo_or_helo_if_needed()
    options = []
    if not raw.isascii() and host.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not all(a.isascii() for a in addresses) and host.has_extn("smtputf8"):
        options.append("SMTPUTF8")
    return options


def _pem(value: str | bytes | None, path: str | None) -> bytes:
    if value:
        return value.encode() if isinstance(value, str) else value
    return Path(path).read_bytes() if path else b""


def _reason(exc: BaseException) -> str:
    """Why the SMTP exchange failed, in the artisan's words (the exception's name goes to the log,
    never to the screen: "ConnectionRefusedError" tells a plumber nothing)."""
    LOGGER.warning("smtp failure: %s: %s", exc.__class__.__name__, exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "identifiant ou mot de passe du serveur d'e-mail refusé"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"réponse {exc.smtp_code} du serveur"
    if isinstance(exc, ConnectionRefusedError):
        return "le serveur refuse la connexion"
    if isinstance(exc, TimeoutError):  # socket.timeout too
        return "le serveur ne répond pas à temps"
    if isinstance(exc, socket.gaierror):
        return "adresse du serveur d'e-mail introuvable"
    if isinstance(exc, ValueError):
        return "message mal formé"
    return "connexion impossible"


def _fail_all(items: list[Outgoing], exc: BaseException) -> None:
    message = (f"Le serveur d'e-mail est injoignable ({_reason(exc)}) : l'e-mail n'est pas parti. "
               "Réessayez dans un instant.")
    for item in items:
        if not item.delivered and not item.error:
            item.error = message


def _domain_of(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "encaisse.local"
