"""Payments: record (partial or full), cancel with a reason. Never edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update

from domain.billing.models import Document, Payment, PaymentMethod
from domain.core import events
from domain.core.conditional import rows_changed
from domain.core.errors import UserError
from domain.core.orm import utcnow
from extensions import db
from output.formatting import format_date, format_money

EARLIEST_PAYMENT_DAYS = 366  # how long before its invoice a payment may be dated


class PaymentError(UserError):
    """A payment refused; str(e) is French, `field` the form field concerned."""


@dataclass(frozen=True)
class PaymentInput:
    amount_cents: int
    paid_on: date
    method: str
    reference: str = ""


def record_payment(invoice: Document, actor, data: PaymentInput, *, today: date,
                   now: datetime | None = None) -> Payment:
    """Record money received on an issued invoice; refuses 0, overpayment and future dates.

    The balance check and the running sum are one conditional UPDATE, so two payments
    recorded at the same moment can never together exceed what is due.
    """
    now = now or utcnow()
    if not invoice.is_invoice or not invoice.is_issued:
        raise PaymentError("Un paiement s'enregistre sur une facture émise.")
    if data.amount_cents <= 0:
        raise PaymentError("Le montant doit être supérieur à zéro.", field="amount")
    if data.method not in tuple(PaymentMethod):
        raise PaymentError("Choisissez un mode de paiement.", field="method")
    if data.paid_on > today:
        raise PaymentError("La date du paiement ne peut pas être dans le futur.", field="paid_on")
    # Money may come before the invoice (a deposit in cash, then its invoice), not years before.
    earliest = invoice.created_at.date() - timedelta(days=EARLIEST_PAYMENT_DAYS)
    if data.paid_on < earliest:
        raise PaymentError(f"La date du paiement ne peut pas précéder de plus d'un an la facture (au plus tôt le "
                           f"{format_date(earliest)}).", field="paid_on")
    remaining = invoice.remaining_cents
    if data.amount_cents > remaining:
        raise PaymentError(_overpaid_message(remaining), field="amount")
    changed = rows_changed(
        update(Document)
        .where(Document.id == invoice.id,
               Document.net_cents - Document.paid_cents - Document.credited_cents >= data.amount_cents)
        .values(paid_cents=Document.paid_cents + data.amount_cents)
    )
    if not changed:
        db.session.refresh(invoice)
        raise PaymentError(_overpaid_message(invoice.remaining_cents), field="amount")
    db.session.refresh(invoice)
    payment = Payment(
        company_id=invoice.company_id, document_id=invoice.id, client_id=invoice.client_id,
        amount_cents=data.amount_cents, paid_on=data.paid_on, method=data.method,
        reference=data.reference.strip()[:120], recorded_at=now, recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(payment)
    db.session.flush()
    events.record(invoice.company_id, "payment_recorded", document=invoice, actor=actor, at=now,
                  amount_cents=data.amount_cents, payment_id=payment.id, method=data.method,
                  paid_on=data.paid_on.isoformat(), reference=payment.reference,
                  remaining_cents=invoice.remaining_cents)
    if invoice.remaining_cents == 0:
        invoice.paid_in_full_at = now
        events.record(invoice.company_id, "paid_in_full", document=invoice, actor=actor, at=now,
                      amount_cents=invoice.net_cents)
    return payment


def _overpaid_message(remaining: int) -> str:
    if remaining <= 0:
        return "Cette facture est déjà entièrement réglée."
    return f"Le montant dépasse le reste à payer ({format_money(remaining)}) : un trop-perçu n'est pas enregistré."


def cancel_payment(payment: Payment, actor, *, reason: str, now: datetime | None = None) -> None:
    """Cancel a payment (cheque bounced, typing mistake): the row stays, with who, when and why.

    Cancelling is one conditional UPDATE on the payment (`cancelled_at IS NULL`): of several
    requests cancelling it at the same moment (double tap, two tabs, two workers) exactly one
    subtracts the amount and writes the event; the others change nothing."""
    reason = (reason or "").strip()
    if payment.cancelled_at is None and not reason:
        raise PaymentError("Indiquez le motif de l'annulation (chèque impayé, erreur de saisie…).", field="reason")
    now = now or utcnow()
    won = rows_changed(
        update(Payment).where(Payment.id == payment.id, Payment.cancelled_at.is_(None))
        .values(cancelled_at=now, cancelled_by_id=getattr(actor, "id", None), cancel_reason=reason[:2000])
    )
    db.session.refresh(payment)
    if not won:
        return  # already cancelled (by this request's twin, or earlier): nothing more to do
    rows_changed(
        update(Document).where(Document.id == payment.document_id)
        .values(paid_cents=Document.paid_cents - payment.amount_cents, paid_in_full_at=None)
    )
    invoice = payment.document
    db.session.refresh(invoice)
    events.record(payment.company_id, "payment_cancelled", document=invoice, actor=actor, at=now,
                  amount_cents=payment.amount_cents, payment_id=payment.id, reason=payment.cancel_reason,
                  remaining_cents=invoice.remaining_cents)
