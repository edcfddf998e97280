"""Sending documents and reminders by e-mail, exactly once per form token or plan step.

This is the one domain module that commits, on purpose: an e-mail cannot be rolled back,
so a send is done in three steps.
1. Claim (transaction 1, committed): a `Send` row in status "sending". Its unique keys
   (company + form token, document + plan step) make a double tap or a concurrent run
   stop here: the twin finds the first row and does nothing.
2. Talk to the SMTP server (no transaction open).
3. Complete (transaction 2, committed): status "sent" with the level moved and the event
   written, or "failed" with the error, the level unchanged and, for an automatic step,
   the plan position given back so the next run retries it.
A crash between 1 and 3 leaves "sending": shown as uncertain, never re-sent by itself.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from domain.billing.models import Document
from domain.collections.models import Send
from domain.collections.reminders import TEMPLATE_LEVELS, ReminderError
from domain.core import clients as client_rules
from domain.core import events, verification
from domain.core.conditional import rows_changed
from domain.core.models import Client, Company
from domain.core.orm import utcnow
from domain.core.validators import InvalidValue, clean_email
from extensions import db
from output.mail import Deliver, Outgoing

log = logging.getLogger("encaisse.sending")

MAX_RECIPIENTS = 10
STALE_AFTER = timedelta(minutes=10)


@dataclass
class SendRequest:
    document: Document
    purpose: str  # "document" (invoice/quote sent) or "reminder"
    template_key: str
    recipients: list[str]
    subject: str
    body: str
    cc: list[str] = field(default_factory=list)
    idempotency_key: str | None = None
    plan_step: int | None = None
    previous_step: int | None = None  # plan position to restore if the send fails
    automatic: bool = False
    channel: str = "email"


@dataclass
class SendOutcome:
    send: Send
    ok: bool
    duplicate: bool = False
    message: str = ""
    # Read before the final commit: `send` is expired after it (each read would re-query).
    document_id: int | None = None
    template_key: str = ""


def clean_recipients(raw: list[str]) -> list[str]:
    """Valid, de-duplicated addresses (at least one)."""
    out: list[str] = []
    for address in raw:
        address = (address or "").strip()
        if not address:
            continue
        try:
            address = clean_email(address)
        except InvalidValue as exc:
            raise ReminderError(f"{address} : {exc}", field="recipients") from None
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    if not out:
        raise ReminderError("Choisissez au moins un destinataire (le client n'a peut-être pas d'adresse e-mail).",
                            field="recipients")
    if len(out) > MAX_RECIPIENTS:
        raise ReminderError(f"{MAX_RECIPIENTS} destinataires au plus.", field="recipients")
    return out


def recipients_for(raw: list[str], client: Client, company: Company, *, add_new: bool) -> list[str]:
    """The addresses a document or reminder may go to: the client's contacts and the company's
    own address. Another address is refused unless the artisan confirms it belongs to the
    client (`add_new`): it is then added to the client's contacts. A hosted Encaisse sends
    under the platform's address: it must not carry messages to arbitrary people."""
    out = clean_recipients(raw)
    known = {a.lower() for a in client.emails} | ({company.email.lower()} if company.email else set())
    unknown = [a for a in out if a.lower() not in known]
    if unknown and not add_new:
        raise ReminderError(f"{', '.join(unknown)} n'est pas une adresse de {client.name} : cochez « C'est une adresse "
                            "du client » pour l'ajouter à ses contacts et l'utiliser.", field="extra_recipient")
    for address in unknown:
        client_rules.add_contact(client, email=address, role="ajoutée lors d'un envoi")
    return out


def _claim(req: SendRequest, actor, now: datetime) -> tuple[Send | None, bool]:
    doc = req.document
    level = TEMPLATE_LEVELS.get(req.template_key) if req.purpose == "reminder" else None
    send = Send(
        company_id=doc.company_id, document_id=doc.id, purpose=req.purpose, channel=req.channel,
        template_key=req.template_key, level=level or None, plan_step=req.plan_step,
        idempotency_key=req.idempotency_key, recipients=req.recipients, cc=req.cc, subject=req.subject[:300],
        body=req.body, status="sending", attempts=1, automatic=req.automatic, created_at=now,
        created_by_id=getattr(actor, "id", None), tracking_token=secrets.token_urlsafe(24),
        previous_step=req.previous_step,
    )
    try:
        with db.session.begin_nested():
            db.session.add(send)
        return send, False
    except IntegrityError:
        existing = None
        if req.idempotency_key:
            existing = db.session.scalar(select(Send).where(Send.company_id == doc.company_id,
                                                            Send.idempotency_key == req.idempotency_key))
        if existing is None and req.plan_step is not None:
            existing = db.session.scalar(select(Send).where(Send.document_id == doc.id,
                                                            Send.plan_step == req.plan_step))
            if existing is not None and existing.status == "failed":
                # An automatic step that failed earlier: take it again (one retry per run).
                retried = rows_changed(
                    update(Send).where(Send.id == existing.id, Send.status == "failed")
                    .values(status="sending", attempts=Send.attempts + 1, subject=send.subject, body=send.body,
                            recipients=send.recipients, previous_step=req.previous_step, created_at=now)
                )
                db.session.refresh(existing)
                return existing, not retried
        return existing, True


def _complete(send: Send, doc: Document, actor, *, delivered: bool, error: str, now: datetime) -> None:
    actor_label = "relances automatiques" if send.automatic else ""
    common: dict[str, Any] = dict(send_id=send.id, template=send.template_key, recipients=send.recipients, cc=send.cc,
                  subject=send.subject, automatic=send.automatic, channel=send.channel, attachments=send.attachments)
    if delivered:
        send.status, send.sent_at, send.error = "sent", now, error  # error: partly refused recipients
        if send.purpose == "reminder":
            level = TEMPLATE_LEVELS.get(send.template_key, 0)
            if level > doc.reminder_level:
                doc.reminder_level = level
            doc.last_reminder_at = now
            if send.template_key == "formal_notice" and doc.formal_notice_at is None:
                doc.formal_notice_at = now  # Code civil 1344-1: interest runs for consumers from here
            events.record(doc.company_id, "reminder_sent", document=doc, actor=actor, actor_label=actor_label, at=now,
                          amount_cents=doc.remaining_cents, level=doc.reminder_level, result="envoyé",
                          refused=error, **common)
        else:
            first = doc.sent_at is None
            doc.sent_at = doc.sent_at or now
            events.record(doc.company_id, "email_sent", document=doc, actor=actor, actor_label=actor_label, at=now,
                          amount_cents=doc.net_cents if doc.is_invoice else doc.total_ttc_cents, first=first,
                          result="envoyé", refused=error, **common)
        return
    send.status, send.error = "failed", error
    if send.plan_step is not None:
        restore = send.previous_step if send.previous_step is not None else send.plan_step - 1
        db.session.execute(
            update(Document).where(Document.id == doc.id, Document.reminder_step_reached == send.plan_step)
            .values(reminder_step_reached=restore).execution_options(synchronize_session=False)
        )
    events.record(doc.company_id, "send_failed", document=doc, actor=actor, actor_label=actor_label, at=now,
                  level=TEMPLATE_LEVELS.get(send.template_key) if send.purpose == "reminder" else None,
                  result="échec", error=error, **common)


def record_delivered(send: Send, doc: Document, actor, *, now: datetime) -> None:
    """Complete a send known to have left (imports, demo data): level, dates and event as usual."""
    db.session.add(send)
    db.session.flush()
    _complete(send, doc, actor, delivered=True, error="", now=now)


AttachmentsFor = Callable[[Document, str], list]
HtmlExtraFor = Callable[[Send], str]


def _commit_keeping_rows() -> None:
    """Commit without expiring the loaded rows: building the e-mails only reads what was just
    claimed and the documents' frozen content, and re-reading every document and send after
    each commit cost ~1 ms an e-mail in the daily run. Each document is re-read before its
    completion (send_all), so a change made meanwhile by someone else is seen there."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def send_all(requests: list[SendRequest], actor, *, deliver: Deliver, attachments_for: AttachmentsFor,
             html_extra_for: HtmlExtraFor | None = None, daily_quota: int | None = None,
             now: datetime | None = None) -> list[SendOutcome]:
    """Claim, deliver (the mailer's, passed in) over one SMTP connection, complete. Commits
    twice (see module doc).

    Each e-mail goes out as the company ("Plomberie Martin" <the platform's sender address>),
    with Reply-To the company's address. `daily_quota`: e-mails a company may send in 24 hours
    (a hosted Encaisse must not be anyone's bulk mailer); one over it fails like an SMTP
    refusal (the level and the plan step stay where they were)."""
    now = now or utcnow()
    quota_left = _QuotaLeft(daily_quota, now, {req.document.company_id for req in requests})
    claimed: list[tuple[SendRequest, Send | None, bool]] = []
    for req in requests:
        send, duplicate = _claim(req, actor, now)
        claimed.append((req, send, duplicate))
    _commit_keeping_rows()  # 1: the claims are visible to any twin before a byte goes out

    outgoing = []
    for req, send, duplicate in claimed:
        if duplicate or send is None:
            continue
        company = req.document.company
        item = Outgoing(recipients=list(send.recipients), cc=list(send.cc), subject=send.subject, body=send.body,
                        sender_name=company.name, reply_to=company.email or None,
                        html_extra=html_extra_for(send) if html_extra_for else "")
        if not verification.can_send_to_clients(company):
            item.error = verification.SENDING_BLOCKED  # a new account confirms its address first
            outgoing.append((req, send, item))
            continue
        if not quota_left.take(company.id):
            item.error = (f"Limite de {daily_quota} e-mails par 24 heures atteinte pour votre entreprise : "
                          "l'e-mail n'est pas parti. Réessayez demain ou contactez le support.")
            outgoing.append((req, send, item))
            continue
        try:
            with db.session.begin_nested():
                item.attachments = attachments_for(req.document, req.template_key)
        except Exception as exc:
            # A PDF over its bounds or a render failure: the claim must not stay "sending"
            # (it would be reported as uncertain although nothing left); it fails cleanly.
            log.exception("attachments failed for send %s", send.id)
            item.error = f"Les pièces jointes n'ont pas pu être préparées ({exc}) : l'e-mail n'est pas parti."
        send.attachments = [f.filename for f in item.attachments]
        outgoing.append((req, send, item))
    # Reading (or freezing) the attachments opened a transaction; end it before the SMTP
    # conversation, which can take seconds: on SQLite it would hold the write lock (every
    # other request waiting), on PostgreSQL a connection idle in transaction.
    _commit_keeping_rows()
    deliver([item for _, _, item in outgoing if not item.error])

    outcomes = []
    for req, send, item in outgoing:
        doc = db.session.get_one(Document, req.document.id)
        db.session.expire(doc)  # re-read (columns only) in transaction 2: its level and version as they are now
        _complete(send, doc, actor, delivered=item.delivered, error=item.error, now=now)
        outcomes.append(SendOutcome(send, item.delivered, False, item.error, send.document_id, send.template_key))
    for _req, send, duplicate in claimed:
        if duplicate and send is not None:
            outcomes.append(SendOutcome(send, send.status == "sent", True, "Déjà envoyé (double envoi évité).",
                                        send.document_id, send.template_key))
    db.session.commit()  # 2: status, level and event together
    return outcomes


class _QuotaLeft:
    """How many more e-mails each company may send: the quota minus what it sent (or is
    sending) in the last 24 hours, counted before this batch claims anything."""

    def __init__(self, quota: int | None, now: datetime, company_ids: set[int]) -> None:
        self.quota = quota
        self.left: dict[int, int] = {}
        if quota is not None:
            used = dict(db.session.execute(
                select(Send.company_id, func.count(Send.id))
                .where(Send.company_id.in_(company_ids), Send.channel == "email",
                       Send.status.in_(("sending", "sent")), Send.created_at >= now - timedelta(hours=24))
                .group_by(Send.company_id)).all())
            self.left = {cid: quota - used.get(cid, 0) for cid in company_ids}

    def take(self, company_id: int) -> bool:
        """One more e-mail for this company: False when it is over its quota."""
        if self.quota is None:
            return True
        self.left[company_id] -= 1
        return self.left[company_id] >= 0


def stale_sends(company_id: int, now: datetime | None = None) -> list[Send]:
    """Sends interrupted between claim and completion (crash): their outcome is unknown."""
    cutoff = (now or utcnow()) - STALE_AFTER
    return list(db.session.scalars(select(Send).where(Send.company_id == company_id, Send.status == "sending",
                                                      Send.created_at < cutoff)))


def sent_with_key(company_id: int, idempotency_key: str | None) -> Send | None:
    """The send already claimed with this form token (a double tap, a retry), if any."""
    if not idempotency_key:
        return None
    return db.session.scalar(select(Send).where(Send.company_id == company_id, Send.idempotency_key == idempotency_key))


def record_share(doc: Document, actor, *, channel: str, template_key: str, body: str,
                 now: datetime | None = None) -> Send:
    """A message shared through WhatsApp, SMS, Telegram or a copied link: recorded, not sent by us."""
    now = now or utcnow()
    send = Send(company_id=doc.company_id, document_id=doc.id, purpose="share", channel=channel,
                template_key=template_key, recipients=[], subject="", body=body, status="shared", attempts=0,
                created_at=now, sent_at=now, created_by_id=getattr(actor, "id", None))
    db.session.add(send)
    db.session.flush()
    events.record(doc.company_id, "shared", document=doc, actor=actor, at=now, channel=channel,
                  template=template_key, send_id=send.id)
    return send
