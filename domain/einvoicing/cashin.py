"""212 Encaissée: what was cashed on an invoice whose VAT is due on receipts, once per payment.

Why: for services, VAT falls due when the price is received (CGI art. 269, 2-c), unless the
company opted for VAT on debits; the reform makes the seller report each receipt to the platform
as lifecycle status 212 "Encaissée" with the amount received per VAT rate and its date
(XP Z12-012; CGI art. 290 A; rule BR-FR-CDV-14 for the amounts per rate).

Once per payment: the "payment_recorded" event's subscriber inserts one CashReport per payment
(UNIQUE payment_id + kind) in the payment's own transaction; the row is sent by a background
worker with a trackingId and a CDAR message id derived from the payment, so a retry after a doubt
finds it on the platform instead of sending it again.

A cancelled payment (cheque bounced, typing mistake): if its 212 has not left yet, it is simply
dropped; once sent, a correcting 212 goes with the same amounts negated (the receipt is reversed
on the date of the cancellation), only after the first one was sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import aliased

from domain.billing.models import Document, Payment
from domain.core import events
from domain.core.clock import today_in
from domain.core.conditional import rows_changed
from domain.core.models import Event
from domain.core.orm import utcnow
from domain.einvoicing import rules, sending, work
from domain.einvoicing.models import CANCELLED, FAILED, QUEUED, SENT, CashReport, Transmission
from extensions import db
from output.platform import (
    Party,
    PlatformClient,
    build_status_message,
    flow_info_for_lifecycle,
    tracking_id,
)
from output.platform.codes import Status

log = logging.getLogger("encaisse.einvoicing")

PAYMENT = "payment"
CANCELLATION = "cancellation"


def rate_text(rate_bp: int) -> str:
    """2000 → "20.00" (basis points to the percentage the CDAR carries)."""
    return f"{rate_bp // 100}.{rate_bp % 100:02d}"


def amounts_by_rate(doc: Document, amount_cents: int) -> list[list]:
    """Split a receipt over the invoice's VAT rates in proportion to what each rate asks to be paid
    (TTC per rate, less the deposits deducted on a final invoice); largest remainder, so the parts
    add up to the amount exactly. [["20.00", cents], ...] in rate order."""
    due: dict[int, int] = {}
    for rate_bp, base, vat in doc.vat_breakdown or []:
        due[int(rate_bp)] = due.get(int(rate_bp), 0) + int(base) + int(vat)
    for deduction in doc.deductions or []:
        for rate_bp, base, vat in deduction.get("breakdown") or []:
            due[int(rate_bp)] = due.get(int(rate_bp), 0) - int(base) - int(vat)
    due = {rate: cents for rate, cents in due.items() if cents > 0}
    total = sum(due.values())
    if total <= 0:
        return []
    shares = {rate: amount_cents * cents // total for rate, cents in due.items()}
    left = amount_cents - sum(shares.values())
    by_remainder = sorted(due, key=lambda rate: (-(amount_cents * due[rate] % total), rate))
    for rate in by_remainder[:left]:
        shares[rate] += 1
    return [[rate_text(rate), shares[rate]] for rate in sorted(shares) if shares[rate]]


def _reported(doc: Document) -> bool:
    transmitted = db.session.scalar(select(Transmission.id).where(Transmission.document_id == doc.id))
    return transmitted is not None and rules.vat_on_receipts(doc, doc.company)


def on_payment_recorded(event: Event, doc: Document | None) -> None:
    """Subscriber of "payment_recorded": queue its 212 when the invoice's VAT is due on receipts."""
    if doc is None or not _reported(doc):
        return
    payment = db.session.get_one(Payment, event.data["payment_id"])
    amounts = amounts_by_rate(doc, payment.amount_cents)
    if not amounts:
        return
    db.session.add(CashReport(
        company_id=doc.company_id, document_id=doc.id, payment_id=payment.id, kind=PAYMENT,
        received_on=payment.paid_on, amounts=amounts, message_id=f"ENC-{doc.company_id}-{payment.id}-P",
        tracking_id=tracking_id("encaisse", doc.company_id, "payment", payment.id, PAYMENT),
        state=QUEUED, next_attempt_at=event.at, ack_details=[]))


def on_payment_cancelled(event: Event, doc: Document | None) -> None:
    """Subscriber of "payment_cancelled": drop the 212 not sent yet, or queue its correction."""
    if doc is None:
        return
    payment_id = event.data["payment_id"]
    report = db.session.scalar(select(CashReport).where(CashReport.payment_id == payment_id,
                                                        CashReport.kind == PAYMENT))
    if report is None or report.state in (FAILED, CANCELLED):
        return  # nothing left the company: nothing to correct
    dropped = rows_changed(update(CashReport).where(CashReport.id == report.id, CashReport.state == QUEUED)
                           .values(state=CANCELLED, last_error="Paiement annulé avant l'envoi"))
    if dropped:
        return
    day = today_in(doc.company.timezone, event.at)
    db.session.add(CashReport(
        company_id=doc.company_id, document_id=doc.id, payment_id=payment_id, kind=CANCELLATION,
        received_on=day, amounts=[[rate, -cents] for rate, cents in report.amounts],
        message_id=f"ENC-{doc.company_id}-{payment_id}-C",
        tracking_id=tracking_id("encaisse", doc.company_id, "payment", payment_id, CANCELLATION),
        state=QUEUED, next_attempt_at=event.at, ack_details=[]))


def ready():
    """Claim conditions: the invoice was accepted by the platform (ack Ok), and a correction only
    once the report it corrects has left."""
    first = aliased(CashReport)
    return (
        exists().where(Transmission.document_id == CashReport.document_id, Transmission.ack_status == "Ok"),
        ~exists().where(and_(CashReport.kind == CANCELLATION, first.payment_id == CashReport.payment_id,
                             first.kind == PAYMENT, first.state != SENT)),
    )


def send_one(row: CashReport, client: PlatformClient, *, now: datetime | None = None) -> str:
    """Send one claimed 212 (or its correction); returns the new state. Commits."""
    now = now or utcnow()
    attempt = row.attempts
    doc = db.session.get_one(Document, row.document_id)
    company = doc.company
    buyer = (doc.snapshot or {}).get("buyer") or {}
    message = build_status_message(
        message_id=row.message_id, status=Status.ENCAISSEE, invoice_number=doc.issued_number,
        invoice_issue_date=doc.issued_on, seller=Party(company.siren, company.name),
        buyer=Party(buyer["siren"], buyer.get("name", "")) if len(buyer.get("siren") or "") == 9 else None,
        status_date=row.received_on, created_at=now,
        amounts_by_rate={rate: cents for rate, cents in row.amounts},
        invoice_type_code="381" if doc.is_credit_note else "380",
        reason="Annulation d'un encaissement" if row.kind == CANCELLATION else "")
    filename = f"CDV-212-{doc.issued_number}-{row.payment_id}{'-annulation' if row.kind == CANCELLATION else ''}.xml"
    info = flow_info_for_lifecycle(message, tracking=row.tracking_id, filename=filename)
    submitted = sending.submit(row, attempt, client, info, message, filename, now)
    if isinstance(submitted, str):
        return submitted
    if work.finish(row, attempt, state=SENT, flow_id=submitted.flow_id, submitted_at=submitted.submitted_at,
                   ack_status="Pending", sent_at=now, last_error=""):
        total = sum(cents for _, cents in row.amounts)
        events.record(doc.company_id, "cash_reported", document=doc, actor_label="plateforme", at=now,
                      amount_cents=total, payment_id=row.payment_id, report=row.kind,
                      received_on=row.received_on.isoformat(), amounts=row.amounts, flow_id=submitted.flow_id)
    db.session.commit()
    return SENT


def of_document(doc: Document) -> list[CashReport]:
    return list(db.session.scalars(select(CashReport).where(CashReport.document_id == doc.id)
                                   .order_by(CashReport.id)))
