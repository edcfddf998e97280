"""Delivery tracking: e-mail opens (pixel), link views, and the five-step lifecycle of a
document shown to the artisan: created → e-mail opened → link viewed → accepted → paid.

Opens are indicative only: mail clients that block images never count, and some
(privacy proxies, security scanners) load every image and count an open nobody made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.billing.models import Document, Kind
from domain.collections.models import Send
from domain.core import events
from domain.core.conditional import rows_changed
from domain.core.models import Event, User
from domain.core.orm import utcnow
from domain.portal import answers
from domain.portal import links as portal
from domain.portal.models import RESPONSE_ACCEPT, RESPONSE_PROMISE, RESPONSE_REFUSE, DocumentLink, DocumentTracking
from extensions import db

_COLUMNS = {
    "open": ("opens", "first_opened_at", "last_opened_at", "email_opened"),
    "view": ("views", "first_viewed_at", "last_viewed_at", "viewed"),
}


def _bump(doc: Document, what: str, now: datetime) -> bool:
    """Count one open or view of the document; True when it is the first one.

    Atomic: the count is `x = x + 1` and the first date a conditional UPDATE, so two hits
    at the same moment count twice and only one of them is "the first".
    """
    count, first, last, _ = _COLUMNS[what]
    table = DocumentTracking
    counted = rows_changed(
        update(table).where(table.document_id == doc.id)
        .values({count: getattr(table, count) + 1, last: now})
    )
    if not counted:
        try:
            with db.session.begin_nested():
                db.session.add(table(document_id=doc.id, company_id=doc.company_id,
                                     **{count: 1, first: now, last: now}))
            return True
        except IntegrityError:  # created by a concurrent hit in between: count on it
            rows_changed(update(table).where(table.document_id == doc.id)
                         .values({count: getattr(table, count) + 1, last: now}))
    return rows_changed(
        update(table).where(table.document_id == doc.id, getattr(table, first).is_(None)).values({first: now})
    ) == 1


def record_open(tracking_token: str, *, now: datetime | None = None) -> bool:
    """An e-mail's pixel was loaded: count it when the token is real and the company tracks opens.

    Returns True if something was counted (the pixel answers the same either way).
    """
    if not tracking_token or len(tracking_token) > 64:
        return False
    now = now or utcnow()
    row = db.session.execute(
        select(Send, Document).join(Document, Document.id == Send.document_id)
        .where(Send.tracking_token == tracking_token)
    ).first()
    if row is None:
        return False
    send, doc = row
    if not doc.company.open_tracking_enabled or not doc.is_issued or send.company_id != doc.company_id:
        return False
    if _bump(doc, "open", now):
        events.record(doc.company_id, "email_opened", document=doc, actor_label="client", at=now,
                      send_id=send.id, template=send.template_key)
    return True


def record_view(link: DocumentLink, *, now: datetime | None = None) -> None:
    """The client opened the document's page through its link."""
    now = now or utcnow()
    doc = link.document
    if _bump(doc, "view", now):
        events.record(doc.company_id, "viewed", document=doc, actor_label="client", at=now, channel="lien client")


def counters(doc: Document) -> DocumentTracking | None:
    """The document's open and view counters (None before the first one)."""
    return db.session.get(DocumentTracking, doc.id)


# --- the lifecycle panel -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str  # created | opened | viewed | accepted | paid
    label: str
    state: str  # done | todo | bad (refused) | off (tracking switched off)
    at: datetime | None = None
    detail: str = ""
    count: int | None = None


@dataclass(frozen=True)
class Lifecycle:
    doc: Document
    steps: list[Step]
    link: DocumentLink | None  # the live link (None: none yet, or revoked)
    tracking_enabled: bool
    response: object | None  # the client's ClientResponse behind step 4, if online

    @property
    def link_live(self) -> bool:
        return self.link is not None and self.link.is_live(utcnow())

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)


def _final_paid_at(quote: Document) -> datetime | None:
    """A quote is paid when its final invoice is paid in full."""
    return db.session.scalar(select(Document.paid_in_full_at).where(
        Document.company_id == quote.company_id, Document.quote_id == quote.id, Document.kind == Kind.FINAL,
        Document.issued_at.is_not(None), Document.paid_in_full_at.is_not(None)
    ).order_by(Document.paid_in_full_at.desc()).limit(1))


# Statuses that end the road for this invoice (XP Z12-012: 213 Rejetée, 210 Refusée) or hold it (207).
_BAD_STATUSES = (210, 213)


def _platform_step(doc: Document) -> Step | None:
    """The approved platform's latest status (a "platform_status" event written by domain.einvoicing),
    None when the invoice never went through a platform."""
    buyer = (doc.snapshot or {}).get("buyer") or {}
    if not doc.is_issued or not buyer.get("is_business"):
        return None  # only invoices to businesses go through a platform: no query for the others
    latest = db.session.scalar(select(Event).where(Event.document_id == doc.id, Event.kind == "platform_status")
                               .order_by(Event.at.desc(), Event.id.desc()).limit(1))
    if latest is None:
        return None
    code = int(latest.data.get("code", 0))
    state = "bad" if code in _BAD_STATUSES else ("todo" if code == 207 else "done")
    return Step("platform", f"Plateforme : {code} {latest.data.get('label', '')}", state, latest.at,
                latest.data.get("reason", ""))


def lifecycle(doc: Document) -> Lifecycle:
    """The five steps of one document, in a constant number of queries."""
    from output.formatting import format_date

    company = doc.company
    # By primary key: usually the user looking at the page, already in the session (no query).
    creator_user = db.session.get(User, doc.created_by_id) if doc.created_by_id else None
    creator = creator_user.name if creator_user else None
    steps = [Step("created", "Créé", "done", doc.created_at, f"par {creator}" if creator else "")]
    track = counters(doc) if doc.is_issued else None
    tracking_on = company.open_tracking_enabled
    if not tracking_on:
        steps.append(Step("opened", "E-mail ouvert", "off", detail="suivi des ouvertures désactivé"))
    elif track and track.opens:
        steps.append(Step("opened", "E-mail ouvert", "done", track.first_opened_at, count=track.opens))
    else:
        steps.append(Step("opened", "E-mail ouvert", "todo",
                          detail="envoyé, pas encore ouvert" if doc.sent_at else "pas encore envoyé"))
    if track and track.views:
        steps.append(Step("viewed", "Lien consulté", "done", track.first_viewed_at, count=track.views))
    else:
        steps.append(Step("viewed", "Lien consulté", "todo", detail="pas encore consulté"))

    response = None
    if doc.is_quote:
        response = answers.decision(doc)
        by = ""
        if response is not None and response.kind == RESPONSE_ACCEPT:
            by = f"en ligne par {response.full_name}"
        if doc.refused_at is not None:
            reason = doc.refusal_reason
            steps.append(Step("accepted", "Refusé par le client", "bad", doc.refused_at,
                              "en ligne" + (f" : {reason}" if reason else "") if response is not None
                              else (f"motif : {reason}" if reason else "")))
        elif doc.accepted_at is not None:
            steps.append(Step("accepted", "Accepté", "done", doc.accepted_at, by or "enregistré par l'entreprise"))
        else:
            steps.append(Step("accepted", "Accepté par le client", "todo", detail="en attente de réponse"))
        paid = _final_paid_at(doc)
        steps.append(Step("paid", "Payé intégralement", "done" if paid else "todo", paid,
                          "" if paid else "facture de solde non réglée"))
    elif doc.is_invoice:
        response = answers.latest_promise(doc)
        if response is not None:
            steps.append(Step("accepted", "Validée par le client", "done", response.at,
                              f"par {response.full_name}, paiement promis le {format_date(response.promised_day)}"))
        else:
            steps.append(Step("accepted", "Validée par le client", "todo", detail="pas encore validée en ligne"))
        steps.extend(step for step in (_platform_step(doc),) if step is not None)
        paid_at = doc.paid_in_full_at if doc.is_issued and doc.remaining_cents <= 0 else None
        steps.append(Step("paid", "Payée intégralement", "done" if paid_at else "todo", paid_at,
                          "" if paid_at else "reste à payer"))
    link = portal.live_link(doc) if doc.is_issued else None
    return Lifecycle(doc, steps, link, tracking_on, response)


def response_kind_label(kind: str) -> str:
    return {RESPONSE_ACCEPT: "Bon pour accord", RESPONSE_REFUSE: "Refus",
            RESPONSE_PROMISE: "Promesse de paiement"}[kind]
