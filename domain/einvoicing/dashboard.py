"""What the dashboard says about e-invoicing: invoices waiting to be transmitted, and the ones the
platform or the client stopped (213 Rejetée: to correct; 210 Refusée: refused; 207: disputed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from domain.billing.models import Document
from domain.core.models import Client, Company
from domain.einvoicing import rules
from domain.einvoicing.connection import settings_of
from domain.einvoicing.models import FAILED, QUEUED, SENDING, Transmission
from extensions import db
from output.platform.codes import Status


@dataclass(frozen=True)
class Attention:
    document_id: int
    number: str
    client: str
    what: str  # a_corriger | refusee | en_litige
    label: str
    reason: str


@dataclass(frozen=True)
class Board:
    connected: bool
    waiting: int
    failed: int
    attention: list[Attention]


WHAT = {Status.REJETEE: ("a_corriger", "à corriger"), Status.REFUSEE: ("refusee", "refusée par le client"),
        Status.EN_LITIGE: ("en_litige", "en litige")}


def board(company: Company, limit: int = 20) -> Board:
    """The e-invoicing block of the dashboard, in two queries."""
    row = settings_of(company)
    counts = dict(db.session.execute(
        select(Transmission.state, func.count(Transmission.id)).where(Transmission.company_id == company.id)
        .group_by(Transmission.state)).all())
    found = db.session.execute(
        select(Transmission, Document.number, Client.name).join(Document, Document.id == Transmission.document_id)
        .join(Client, Client.id == Document.client_id)
        .where(Transmission.company_id == company.id,
               or_(Transmission.status_code.in_(tuple(WHAT)), Transmission.ack_status == "Error",
                   Transmission.state == FAILED))
        .order_by(Transmission.status_at.desc().nulls_last(), Transmission.id.desc()).limit(limit)).all()
    attention = []
    for transmission, number, client in found:
        if transmission.status_code in WHAT:
            what, label = WHAT[transmission.status_code]
            reason = transmission.status_reason
        else:
            what, label = "a_corriger", "à corriger"
            details = transmission.ack_details or []
            reason = "; ".join(rules.reason_fr(d.get("reason_code", ""), d.get("reason", "")) for d in details[:2]) \
                or transmission.last_error
        attention.append(Attention(transmission.document_id, number or "", client, what, label, reason))
    return Board(connected=bool(row and row.connected),
                 waiting=int(counts.get(QUEUED, 0)) + int(counts.get(SENDING, 0)),
                 failed=int(counts.get(FAILED, 0)), attention=attention)
