"""Late-payment penalties of an invoice, computed the French way from its real history.

Professional client (Code de commerce L441-10, D441-5): interest from the day after the due
date, day by day, at the contract rate or the ECB rate of each half-year + 10 points, on
what is still unpaid each day (a partial payment stops interest on the part it paid), plus
40 € once per late invoice. Consumer (Code civil 1344-1, 1231-6): no 40 €, legal-rate
interest only from the formal notice. Penalties are never added to the issued invoice
(it is frozen); they are shown, put in reminders, and may be invoiced separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from domain.billing import terms
from domain.billing.models import Document, Kind, Payment
from domain.billing.terms import RateTables, load_tables
from extensions import db


@dataclass(frozen=True)
class InvoicePenalties:
    interest_cents: int
    indemnity_cents: int
    days_late: int
    rate_bp: int | None  # annual rate applied today
    basis: str  # "b2b" | "b2c" | "none"
    provisional_since: date | None  # a half-year whose rate is not sourced yet

    @property
    def total_cents(self) -> int:
        return self.interest_cents + self.indemnity_cents


def _outstanding_steps(invoice: Document, payments: list[Payment] | None = None,
                       credit_notes: list[Document] | None = None) -> list[tuple[date, int]]:
    """(from date, amount still due) steps: each payment/credit lowers it from the next day.

    `payments` / `credit_notes`: all of the invoice's, when the caller has them already (the
    invoice page does); cancelled payments and draft credit notes are left out here."""
    changes: dict[date, int] = {}
    paid: list[tuple[date, int]]
    credited: list[tuple[date, int]]
    if payments is None:
        paid = [*db.session.execute(select(Payment.paid_on, Payment.amount_cents).where(
            Payment.document_id == invoice.id, Payment.cancelled_at.is_(None)))]
    else:
        paid = [(p.paid_on, p.amount_cents) for p in payments if p.document_id == invoice.id and p.cancelled_at is None]
    if credit_notes is None:
        # Issued credit notes: their issue date is set.
        credited = [*db.session.execute(select(Document.issue_date, Document.total_ttc_cents).where(
            Document.credited_id == invoice.id, Document.kind == Kind.CREDIT_NOTE, Document.issued_at.is_not(None)))]
    else:
        credited = [(c.issue_date, c.total_ttc_cents) for c in credit_notes
                    if c.credited_id == invoice.id and c.kind == Kind.CREDIT_NOTE and c.issue_date is not None]
    for paid_on, amount in paid:
        changes[paid_on + timedelta(days=1)] = changes.get(paid_on + timedelta(days=1), 0) + amount
    for issue_date, amount in credited:
        changes[issue_date + timedelta(days=1)] = changes.get(issue_date + timedelta(days=1), 0) + amount
    steps, amount = [(date.min, invoice.net_cents)], invoice.net_cents
    for day in sorted(changes):
        amount -= changes[day]
        steps.append((day, max(amount, 0)))
    return steps


def _interest_on_balance(steps, first_day: date, last_day: date, rate_for) -> int:
    """Σ outstanding × rate × days / 365 over [first_day, last_day], rounded once."""
    numerator = 0
    for i, (start, amount) in enumerate(steps):
        end = steps[i + 1][0] - timedelta(days=1) if i + 1 < len(steps) else last_day
        lo, hi = max(start, first_day), min(end, last_day)
        if amount and lo <= hi:
            rate_days, _ = terms._rate_days(lo, hi, rate_for)
            numerator += amount * rate_days
    denominator = 10_000 * terms.DAY_COUNT_BASIS
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def invoice_penalties(invoice: Document, today: date, *, tables: RateTables | None = None,
                      payments: list[Payment] | None = None, credit_notes: list[Document] | None = None,
                      ) -> InvoicePenalties:
    """What the client owes on top of the invoice today (0 when not late or already paid).

    `payments` / `credit_notes`: the invoice's, if already loaded (see _outstanding_steps)."""
    none = InvoicePenalties(0, 0, 0, None, "none", None)
    if not invoice.is_invoice or not invoice.is_issued or invoice.due_date is None:
        return none
    late = terms.days_late(invoice.due_date, today)
    if late == 0:
        return none
    if invoice.remaining_cents <= 0 and invoice.paid_in_full_at is None:
        return none  # cancelled by credit notes
    end = today
    if invoice.remaining_cents <= 0 and invoice.paid_in_full_at is not None:
        end = min(today, invoice.paid_in_full_at.date())  # interest stops when paid
    tables = tables or load_tables(today, invoice.company_id)
    steps = _outstanding_steps(invoice, payments, credit_notes)
    buyer = (invoice.snapshot or {}).get("buyer", {})
    professional = buyer.get("is_business", invoice.client.is_business)
    if professional:
        contract = (invoice.snapshot or {}).get("seller", {}).get("late_penalty_rate_bp",
                                                                  invoice.company.late_penalty_rate_bp)

        def rate_for(day):
            return terms.b2b_penalty_rate_bp(day, contract_rate_bp=contract, ecb_table=tables.ecb)

        interest = (_interest_on_balance(steps, invoice.due_date + timedelta(days=1), end, rate_for)
                    if end > invoice.due_date else 0)
        provisional = None if contract else _first_carried(tables.provisional_ecb, invoice.due_date, end)
        return InvoicePenalties(interest, terms.RECOVERY_INDEMNITY_CENTS, late, rate_for(end), "b2b", provisional)
    if invoice.formal_notice_at is None:
        return InvoicePenalties(0, 0, late, None, "b2c", None)
    start = max(invoice.formal_notice_at.date(), invoice.due_date)
    if end <= start:
        return InvoicePenalties(0, 0, late, None, "b2c", None)
    interest = _interest_on_balance(steps, start + timedelta(days=1), end,
                                    lambda d: terms.rate_on(tables.legal_other, d))
    provisional = _first_carried(tables.provisional_legal, start, end)
    return InvoicePenalties(interest, 0, late, terms.rate_on(tables.legal_other, end), "b2c", provisional)


def _first_carried(carried: tuple[date, ...], first: date, last: date) -> date | None:
    """The first half-year of [first, last] whose rate was carried forward, if any."""
    return next((d for d in carried if terms.half_year_start(first) <= d <= last), None)
