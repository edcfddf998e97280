"""The client link of a document and what the client does through it.

A link is a random token (256 bits) stored server-side, so it can be revoked and
regenerated; the URL carries no id. Drafts never get one. Through the link the client
accepts a quote ("bon pour accord": typed full name and a checkbox, recorded with the
time, IP address, user agent and the SHA-256 of the PDF as issued), refuses it, or
confirms an invoice with a promise to pay on a date (which pauses the automatic plan
until then). Every change writes its Event in the caller's transaction; nothing here
commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from extensions import db
from output.formatting import format_date, format_datetime, format_money  # French sentences only

from domain.billing import documents as docs
from domain.core import events
from domain.collections import reminders
from domain.portal.models import ClientResponse, DocumentLink, PortalAttempt
from domain.billing.models import Document
from domain.core.models import User
from domain.core.orm import utcnow
from domain.portal.models import RESPONSE_ACCEPT, RESPONSE_PROMISE, RESPONSE_REFUSE

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits, 43 characters
DEFAULT_LIFETIME = timedelta(days=365)
PROMISE_MAX_DAYS = 60  # a promise further away is a payment plan, to agree with the artisan
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
CLIENT_LABEL = "client, en ligne"


class PortalError(ValueError):
    """The client's request cannot be done; str(e) is a polite French sentence."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- links -------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token: what the database is searched by."""
    return hashlib.sha256(token.encode()).hexdigest()


def live_link(doc: Document) -> DocumentLink | None:
    """The document's link that is not revoked (it may have expired)."""
    return db.session.scalar(select(DocumentLink).where(DocumentLink.document_id == doc.id,
                                                        DocumentLink.revoked_at.is_(None)))


def can_have_link(doc: Document) -> bool:
    """Issued documents only: a draft is never reachable from outside."""
    return doc.is_issued


def ensure_link(doc: Document, actor=None, *, now: datetime | None = None,
                lifetime: timedelta | None = DEFAULT_LIFETIME) -> DocumentLink:
    """The document's live link, created on first use (an expired one is replaced).

    Two first uses at the same time agree on one link: the partial unique index lets only
    one live link exist, and the loser reads the winner's.
    """
    if not can_have_link(doc):
        raise PortalError("Un brouillon n'a pas de lien client : émettez d'abord le document.")
    now = now or utcnow()
    link = live_link(doc)
    if link is not None and link.is_live(now):
        return link
    if link is not None:  # expired: retire it so a fresh one can take its place
        link.revoked_at = now
        db.session.flush()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = DocumentLink(company_id=doc.company_id, document_id=doc.id, token=token, token_sha256=hash_token(token),
                        created_at=now, created_by_id=getattr(actor, "id", None),
                        expires_at=now + lifetime if lifetime else None)
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError:
        existing = live_link(doc)
        if existing is None:
            raise
        return existing
    events.record(doc.company_id, "link_created", document=doc, actor=actor, at=now,
                  actor_label="" if actor is not None else "automatique")
    return link


def revoke_link(doc: Document, actor, *, now: datetime | None = None) -> bool:
    """Stop the live link from working (True if there was one). The next e-mail creates a new link."""
    now = now or utcnow()
    link = live_link(doc)
    if link is None:
        return False
    link.revoked_at = now
    link.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    events.record(doc.company_id, "link_revoked", document=doc, actor=actor, at=now)
    return True


def regenerate_link(doc: Document, actor, *, now: datetime | None = None,
                    lifetime: timedelta | None = DEFAULT_LIFETIME) -> DocumentLink:
    """Revoke the current link and create a new one (the old URL stops working at once)."""
    now = now or utcnow()
    revoke_link(doc, actor, now=now)
    return ensure_link(doc, actor, now=now, lifetime=lifetime)


def resolve(token: str, *, now: datetime | None = None) -> DocumentLink | None:
    """The live link of an issued document for this token, else None.

    Unknown, malformed, revoked, expired and draft all give None: the caller answers
    them with one and the same page.
    """
    if not token or not _TOKEN_RE.match(token):
        return None
    now = now or utcnow()
    link = db.session.scalar(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .options(contains_eager(DocumentLink.document))
        .where(DocumentLink.token_sha256 == hash_token(token))
    )
    if link is None or not link.is_live(now) or not link.document.is_issued:
        return None
    if link.document.company_id != link.company_id:  # never true; a cheap guard against a bad row
        return None
    return link


# --- throttle ----------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    max_per_link: int = 10
    max_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)


def throttled(link: DocumentLink | None, ip: str, action: str, throttle: Throttle,
              *, now: datetime | None = None) -> bool:
    """True when this IP or this link posted too often recently; else the attempt is recorded.

    Counted in the database (like logins), so the limit holds across gunicorn workers.
    """
    now = now or utcnow()
    since = now - throttle.window
    ip = (ip or "?")[:45]
    by_ip = db.session.scalar(select(func.count(PortalAttempt.id)).where(PortalAttempt.ip == ip,
                                                                         PortalAttempt.at >= since))
    if by_ip >= throttle.max_per_ip:
        return True
    if link is not None:
        by_link = db.session.scalar(select(func.count(PortalAttempt.id)).where(PortalAttempt.link_id == link.id,
                                                                               PortalAttempt.at >= since))
        if by_link >= throttle.max_per_link:
            return True
    db.session.add(PortalAttempt(link_id=link.id if link is not None else None, ip=ip, action=action, at=now))
    db.session.flush()
    return False


# --- what the client does ------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    response: ClientResponse | None
    changed: bool  # False: already done before (a second tap changes nothing)


def _locked_document(link: DocumentLink) -> Document:
    """The link's document, re-read and locked (PostgreSQL) so two taps are serialised."""
    return db.session.execute(
        select(Document).where(Document.id == link.document_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def decision(doc: Document) -> ClientResponse | None:
    """The client's accept or refuse recorded through the link, if any."""
    return db.session.scalar(select(ClientResponse).where(
        ClientResponse.document_id == doc.id, ClientResponse.kind.in_((RESPONSE_ACCEPT, RESPONSE_REFUSE))))


def latest_promise(doc: Document) -> ClientResponse | None:
    """The client's most recent promise to pay on an invoice."""
    return db.session.scalar(select(ClientResponse).where(
        ClientResponse.document_id == doc.id, ClientResponse.kind == RESPONSE_PROMISE)
        .order_by(ClientResponse.at.desc(), ClientResponse.id.desc()).limit(1))


def pdf_sha256(doc: Document) -> str:
    """SHA-256 of the stored bytes of the PDF as issued (frozen now if it never was)."""
    from domain.billing.printing import freeze_pdf, stored_pdf  # the frozen bytes live with the PDFs

    stored = stored_pdf(doc) or freeze_pdf(doc)
    return hashlib.sha256(stored.data).hexdigest()


def _clean_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    if len(name) < 2:
        raise PortalError("Indiquez votre prénom et votre nom.", field="full_name")
    return name[:120]


def _insert(response: ClientResponse) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(response)
        return True
    except IntegrityError:
        return False


def quote_open_for_answer(doc: Document, today: date) -> str | None:
    """None if the client can still accept or refuse this quote, else why not (French)."""
    if not doc.is_quote:
        return "Ce document n'est pas un devis."
    if doc.accepted_at is not None:
        return "Ce devis est déjà accepté."
    if doc.refused_at is not None:
        return "Ce devis a été refusé."
    if doc.validity_date is not None and doc.validity_date < today:
        return (f"Ce devis n'est plus valable depuis le {format_date(doc.validity_date)} : contactez l'entreprise "
                "pour qu'elle vous en propose un nouveau.")
    return None


def accept(link: DocumentLink, *, full_name: str, agreed: bool, ip: str, user_agent: str, today: date,
           now: datetime | None = None) -> Outcome:
    """"Bon pour accord": accept the quote, recorded with name, time, IP, user agent and PDF hash.

    Accepting twice is harmless: the second time changes nothing (changed=False).
    """
    now = now or utcnow()
    doc = _locked_document(link)
    if not doc.is_quote:
        raise PortalError("Ce document n'est pas un devis.")
    if doc.accepted_at is not None:
        return Outcome(decision(doc), False)
    name = _clean_name(full_name)
    if not agreed:
        raise PortalError("Cochez la case pour donner votre accord.", field="agree")
    reason = quote_open_for_answer(doc, today)
    if reason:
        raise PortalError(reason)
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=link.id, kind=RESPONSE_ACCEPT,
                              full_name=name, at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500],
                              pdf_sha256=pdf_sha256(doc))
    if not _insert(response):
        return Outcome(decision(doc), False)
    docs.accept_quote(doc, None, now=now, actor_label=f"{name} ({CLIENT_LABEL})", channel="lien client",
                      full_name=name, response_id=response.id, pdf_sha256=response.pdf_sha256)
    return Outcome(response, True)


def refuse(link: DocumentLink, *, reason: str, ip: str, user_agent: str, today: date,
           now: datetime | None = None) -> Outcome:
    """Refuse the quote, with an optional reason. Refusing twice changes nothing."""
    now = now or utcnow()
    doc = _locked_document(link)
    if not doc.is_quote:
        raise PortalError("Ce document n'est pas un devis.")
    if doc.refused_at is not None:
        return Outcome(decision(doc), False)
    why = quote_open_for_answer(doc, today)
    if why:
        raise PortalError(why)
    reason = (reason or "").strip()[:2000]
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=link.id, kind=RESPONSE_REFUSE,
                              reason=reason, at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500],
                              pdf_sha256=pdf_sha256(doc))
    if not _insert(response):
        return Outcome(decision(doc), False)
    docs.refuse_quote(doc, None, reason=reason, now=now, actor_label=CLIENT_LABEL)
    return Outcome(response, True)


def promise_window(doc: Document, today: date) -> tuple[date, date]:
    """Dates a client may promise to pay on: from today up to PROMISE_MAX_DAYS ahead."""
    return today, today + timedelta(days=PROMISE_MAX_DAYS)


def active_promise(doc: Document, today: date) -> ClientResponse | None:
    """The client's promise still running (its date not passed) on an unpaid invoice."""
    promise = latest_promise(doc)
    if promise is None or promise.promised_on is None or promise.promised_on < today:
        return None
    return promise


def promise(link: DocumentLink, *, full_name: str, pay_on: date | None, ip: str, user_agent: str, today: date,
            now: datetime | None = None) -> Outcome:
    """"Je valide, je vais payer le …": the invoice is acknowledged and the automatic plan pauses
    until that date. While a promise runs, a second one changes nothing."""
    now = now or utcnow()
    doc = _locked_document(link)
    if not doc.is_invoice:
        raise PortalError("Ce document n'est pas une facture.")
    if doc.remaining_cents <= 0:
        raise PortalError("Cette facture est déjà réglée : merci !")
    running = active_promise(doc, today)
    if running is not None:
        return Outcome(running, False)
    name = _clean_name(full_name)
    first, last = promise_window(doc, today)
    if pay_on is None:
        raise PortalError("Choisissez la date à laquelle vous pensez payer.", field="pay_on")
    if not first <= pay_on <= last:
        raise PortalError(f"Choisissez une date entre le {format_date(first)} et le {format_date(last)}.", field="pay_on")
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=link.id, kind=RESPONSE_PROMISE,
                              full_name=name, promised_on=pay_on, at=now, ip=(ip or "")[:45],
                              user_agent=(user_agent or "")[:500], pdf_sha256=pdf_sha256(doc))
    db.session.add(response)
    db.session.flush()
    events.record(doc.company_id, "client_promised", document=doc, actor_label=f"{name} ({CLIENT_LABEL})", at=now,
                  amount_cents=doc.remaining_cents, promised_on=pay_on.isoformat(), full_name=name,
                  response_id=response.id, channel="lien client")
    reminders.pause(doc, None, until=pay_on, reason=f"paiement promis par {name} pour le {format_date(pay_on)}")
    return Outcome(response, True)


# --- telling the artisan -------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    recipients: list[str]
    subject: str
    body: str


def notification_for(response: ClientResponse, doc: Document, *, doc_url: str) -> Notification | None:
    """The e-mail telling the artisan what the client just did (None when nobody has an address)."""
    company = doc.company
    recipients = [company.email] if company.email else list(db.session.scalars(
        select(User.email).where(User.company_id == company.id, User.is_active_user.is_(True)).order_by(User.id)))
    if not recipients:
        return None
    when = format_datetime(response.at, company.timezone)
    what = f"{doc.kind_label.lower()} {doc.number} ({doc.client.name})"
    if response.kind == RESPONSE_ACCEPT:
        subject = f"Devis {doc.number} accepté par {response.full_name}"
        lines = [f"Bonne nouvelle : {response.full_name} a donné son accord (« bon pour accord ») en ligne sur le {what}, "
                 f"le {when}.", f"Montant : {format_money(doc.total_ttc_cents)} TTC."]
    elif response.kind == RESPONSE_REFUSE:
        subject = f"Devis {doc.number} refusé"
        lines = [f"Le client a refusé en ligne le {what}, le {when}."]
        if response.reason:
            lines.append(f"Motif indiqué : {response.reason}")
    else:
        subject = f"Facture {doc.number} : paiement promis pour le {format_date(response.promised_on)}"
        lines = [f"{response.full_name} a validé en ligne la {what} le {when} et indique payer le "
                 f"{format_date(response.promised_on)}.", f"Reste à payer : {format_money(doc.remaining_cents)}.",
                 "Les relances automatiques de cette facture sont suspendues jusqu'à cette date."]
    lines += ["", f"Voir le document : {doc_url}", "", "— Encaisse"]
    return Notification(recipients, subject, "\n".join(lines))
