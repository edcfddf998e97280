"""What the client answers through the link: accept a quote ("bon pour accord", with the time,
IP address, user agent and SHA-256 of the PDF as issued), refuse it, or promise to pay an
invoice by a date (which pauses the reminders). Each answer is recorded once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from domain.billing import documents as docs
from domain.billing.models import Document
from domain.collections import reminders
from domain.core import events
from domain.core.models import User
from domain.core.orm import utcnow
from domain.portal.links import PortalError
from domain.portal.models import (
    RESPONSE_ACCEPT,
    RESPONSE_PROMISE,
    RESPONSE_REFUSE,
    ClientResponse,
    DocumentLink,
)
from extensions import db
from output.formatting import format_date, format_datetime, format_money  # French sentences only

PROMISE_MAX_DAYS = 60  # a promise further away is a payment plan, to agree with the artisan
MAX_PROMISES = 2  # online; beyond, the client talks to the artisan (the reminders resume)
CLIENT_LABEL = "client, en ligne"


@dataclass(frozen=True)
class Outcome:
    response: ClientResponse | None
    changed: bool  # False: already done before (a second tap changes nothing)


def _locked_document(link: DocumentLink, *, quote: bool) -> Document:
    """The link's quote (or invoice), re-read and locked (PostgreSQL) so two taps are serialised."""
    doc = db.session.execute(
        select(Document).where(Document.id == link.document_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if quote and not doc.is_quote:
        raise PortalError("Ce document n'est pas un devis.")
    if not quote and not doc.is_invoice:
        raise PortalError("Ce document n'est pas une facture.")
    return doc


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

    stored = stored_pdf(doc) or freeze_pdf(doc, late=True)
    return hashlib.sha256(stored.data).hexdigest()


def clean_name(full_name: str) -> str:
    """The signer's name, spaces tidied (at least two characters, at most 120)."""
    name = " ".join((full_name or "").split())
    if len(name) < 2:
        raise PortalError("Indiquez votre prénom et votre nom.", field="full_name")
    return name[:120]


def insert_once(response: ClientResponse) -> bool:
    """Insert the answer; False when the unique index says the quote was already decided."""
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
    doc = _locked_document(link, quote=True)
    if doc.accepted_at is not None:
        return Outcome(decision(doc), False)
    name = clean_name(full_name)
    if not agreed:
        raise PortalError("Cochez la case pour donner votre accord.", field="agree")
    reason = quote_open_for_answer(doc, today)
    if reason:
        raise PortalError(reason)
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=link.id, kind=RESPONSE_ACCEPT,
                              full_name=name, at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500],
                              pdf_sha256=pdf_sha256(doc))
    if not insert_once(response):
        return Outcome(decision(doc), False)
    docs.accept_quote(doc, None, now=now, actor_label=f"{name} ({CLIENT_LABEL})", channel="lien client",
                      full_name=name, response_id=response.id, pdf_sha256=response.pdf_sha256)
    return Outcome(response, True)


def refuse(link: DocumentLink, *, reason: str, ip: str, user_agent: str, today: date,
           now: datetime | None = None) -> Outcome:
    """Refuse the quote, with an optional reason. Refusing twice changes nothing."""
    now = now or utcnow()
    doc = _locked_document(link, quote=True)
    if doc.refused_at is not None:
        return Outcome(decision(doc), False)
    why = quote_open_for_answer(doc, today)
    if why:
        raise PortalError(why)
    reason = (reason or "").strip()[:2000]
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=link.id, kind=RESPONSE_REFUSE,
                              reason=reason, at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500],
                              pdf_sha256=pdf_sha256(doc))
    if not insert_once(response):
        return Outcome(decision(doc), False)
    docs.refuse_quote(doc, None, reason=reason, now=now, actor_label=CLIENT_LABEL)
    return Outcome(response, True)


def promise_window(doc: Document, today: date) -> tuple[date, date]:
    """Dates a client may promise to pay on: from today up to PROMISE_MAX_DAYS ahead, and never
    beyond PROMISE_MAX_DAYS after the invoice's first promise (successive promises must not
    pause the reminders forever)."""
    last = today + timedelta(days=PROMISE_MAX_DAYS)
    first_at = db.session.scalar(select(func.min(ClientResponse.at)).where(
        ClientResponse.document_id == doc.id, ClientResponse.kind == RESPONSE_PROMISE))
    if first_at is not None:
        last = min(last, first_at.date() + timedelta(days=PROMISE_MAX_DAYS))
    return today, last


def promises_made(doc: Document) -> int:
    """How many promises to pay the client made online on this invoice."""
    return db.session.scalar(select(func.count(ClientResponse.id)).where(
        ClientResponse.document_id == doc.id, ClientResponse.kind == RESPONSE_PROMISE)) or 0


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
    doc = _locked_document(link, quote=False)
    if doc.remaining_cents <= 0:
        raise PortalError("Cette facture est déjà réglée : merci !")
    running = active_promise(doc, today)
    if running is not None:
        return Outcome(running, False)
    if promises_made(doc) >= MAX_PROMISES:
        raise PortalError("Vous avez déjà indiqué deux dates de paiement pour cette facture : pour en convenir d'une "
                          "autre, contactez directement l'entreprise.")
    name = clean_name(full_name)
    first, last = promise_window(doc, today)
    if last < first:
        raise PortalError("Le délai de paiement en ligne est épuisé pour cette facture : contactez directement "
                          "l'entreprise.")
    if pay_on is None:
        raise PortalError("Choisissez la date à laquelle vous pensez payer.", field="pay_on")
    if not first <= pay_on <= last:
        raise PortalError(f"Choisissez une date entre le {format_date(first)} et le {format_date(last)}.",
                          field="pay_on")
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
        lines = [f"Bonne nouvelle : {response.full_name} a donné son accord (« bon pour accord ») en ligne sur le "
                 f"{what}, le {when}.", f"Montant : {format_money(doc.total_ttc_cents)} TTC."]
    elif response.kind == RESPONSE_REFUSE:
        subject = f"Devis {doc.number} refusé"
        lines = [f"Le client a refusé en ligne le {what}, le {when}."]
        if response.reason:
            lines.append(f"Motif indiqué : {response.reason}")
    else:
        subject = f"Facture {doc.number} : paiement promis pour le {format_date(response.promised_day)}"
        lines = [f"{response.full_name} a validé en ligne la {what} le {when} et indique payer le "
                 f"{format_date(response.promised_day)}.", f"Reste à payer : {format_money(doc.remaining_cents)}.",
                 "Les relances automatiques de cette facture sont suspendues jusqu'à cette date."]
    lines += ["", f"Voir le document : {doc_url}", "", "— Encaisse"]
    return Notification(recipients, subject, "\n".join(lines))
