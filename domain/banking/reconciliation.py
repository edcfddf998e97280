"""Reconciliation ("rapprochement"): statement credits become invoice payments, exactly once.

A credit line waits in state UNMATCHED with the matcher's proposal stored on it (see
`matching.py` for how proposals are made and scored; they are refreshed at each import and on
demand, against what the invoices owe at that moment). It leaves that state in one of three ways:

- confirmed: one tap records the proposal as it is; the exact ones (the invoice's RF reference
  or number is in the line, and the credit does not exceed what those invoices owe) can all be
  confirmed in one tap. Nothing is recorded without someone confirming it: a reference typed by
  the payer may name the wrong invoice, and the artisan sees the proposal before it is a payment;
- split: chosen amounts go to chosen invoices of one client; a credit above what the invoices
  owe is refused until the user says the excess is handled outside the invoices (refund,
  another document), and the excess is kept on the line;
- set aside (IGNORED): a credit that pays no invoice (a supplier's refund, a transfer from
  the owner's own account). It can be brought back.

Every payment goes through `domain.billing.payments.record_payment`, exactly as a payment
typed on the invoice page: same checks (issued invoice, no overpayment, no future date), same
events, the invoice's status and its "payée" lifecycle, and the reminder plan, which only
works on invoices with something left to pay, stops. Method: virement; date: the booking
date; reference: the bank's label and id.

Exactly once. The line is claimed by a conditional UPDATE (`state = 'unmatched'` → 'matched')
before any payment is recorded: of two requests for the same line (a double tap that got past
the form token, two tablets), one claims it, the other changes nothing and says so. The
payments and the claim share the caller's transaction. Undoing a match cancels its payments
(`payments.cancel_payment`, with a reason: the rows and their history stay) and puts the line
back to wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from domain.banking.matching import EXACT, Matcher, OpenItem
from domain.banking.models import (
    DEBIT,
    HOW_CONFIRMED,
    HOW_SPLIT,
    IGNORED,
    MATCHED,
    UNMATCHED,
    BankAllocation,
    BankLine,
    BankStatement,
)
from domain.billing import payments, status
from domain.billing.models import INVOICE_KINDS, Document, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core.conditional import rows_changed
from domain.core.errors import UserError
from domain.core.models import Client
from domain.core.orm import utcnow
from extensions import db
from output.formatting import format_money

__all__ = [
    "ReconcileError",
    "allocate",
    "confirm_exact",
    "confirm_proposal",
    "ignore_line",
    "match_waiting",
    "open_items",
    "payment_reference_text",
    "restore_line",
    "summary",
    "undo_match",
]

PAYMENT_REFERENCE_MAX = 120  # payments.reference


class ReconcileError(UserError):
    """A reconciliation refused; a French sentence, next to `field` when it belongs to one."""


# --------------------------------------------------------------------------------------------
# Proposals
# --------------------------------------------------------------------------------------------


def open_items(company_id: int) -> list[OpenItem]:
    """The company's invoices with something left to pay, as the matcher reads them."""
    d = Document
    rows = db.session.execute(
        select(d.id, d.number, d.payment_reference, d.client_id, Client.name,
               d.net_cents - d.paid_cents - d.credited_cents, d.issue_date, d.due_date)
        .join(Client, Client.id == d.client_id)
        .where(d.company_id == company_id, d.kind.in_(INVOICE_KINDS), *status.open_terms())
    ).all()
    return [
        OpenItem(invoice_id=i, number=number or "", rf_reference=reference, client_id=client_id,
                 client_name=name, remaining_cents=remaining, issue_date=issued, due_date=due or issued)
        for i, number, reference, client_id, name, remaining, issued, due in rows
        if issued is not None  # always set on an issued invoice (open_terms)
    ]


@dataclass(frozen=True, slots=True)
class _Credit:
    """A stored line as the matcher reads it; keyed by the line id (fingerprints are per account)."""

    fingerprint: str
    amount_cents: int
    booking_date: date
    label: str
    remittance: str
    creditor_reference: str | None
    counterparty: str


def match_waiting(company_id: int) -> int:
    """Propose invoices for every credit still waiting; returns how many proposals are exact.

    All waiting lines are matched together, oldest first, against what the invoices owe now:
    a proposal made at an earlier import is brought up to date. Nothing is recorded here.
    """
    b = BankLine
    rows = db.session.execute(
        select(b.id, b.amount_cents, b.booking_date, b.label, b.remittance, b.creditor_reference, b.counterparty)
        .where(b.company_id == company_id, b.state == UNMATCHED)
        .order_by(b.booking_date, b.id)
    ).all()
    if not rows:
        return 0
    credits = [_Credit(str(r[0]), *r[1:]) for r in rows]
    found = Matcher(open_items(company_id)).match(credits)
    changes = []
    exact = 0
    for credit in credits:
        match = found[credit.fingerprint]
        changes.append({"id": int(credit.fingerprint), "match_kind": match.kind, "match_score": match.score,
                        "match_reason": match.reason_fr[:2000],
                        "match_allocations": [list(a) for a in match.allocations],
                        "over_balance_cents": match.over_balance_cents, "partial": match.partial})
        exact += match.kind == EXACT and bool(match.allocations) and not match.over_balance
    db.session.execute(update(BankLine).execution_options(synchronize_session=False), changes)
    for loaded in [obj for obj in db.session.identity_map.values() if isinstance(obj, BankLine)]:
        db.session.expire(loaded)  # lines already in the session read their new proposal
    return exact


# --------------------------------------------------------------------------------------------
# Confirming, splitting, setting aside, undoing
# --------------------------------------------------------------------------------------------


def payment_reference_text(line: BankLine) -> str:
    """The payment's reference: what the bank wrote, and its id for the transaction."""
    text = " ".join((line.label or line.remittance or "").split())
    if line.bank_id:
        text = f"{text} · réf. banque {line.bank_id}" if text else f"réf. banque {line.bank_id}"
    return text[:PAYMENT_REFERENCE_MAX]


def _excess_message(excess: int) -> str:
    return (f"Le virement dépasse de {format_money(excess)} ce qui est affecté aux factures : cochez la case pour "
            "confirmer que ce trop-perçu sera traité à part (remboursement ou avoir). Il n'est jamais ajouté à une "
            "facture.")


def _record(line: BankLine, allocations: Sequence[tuple[int, int]], actor, *, how: str, today: date,
            now: datetime, excess_ok: bool) -> list[BankAllocation]:
    """Claim the line, then record one payment per allocation (the caller's transaction)."""
    if not line.is_credit:
        raise ReconcileError("Un débit ne se rapproche pas d'une facture.")
    if not allocations:
        raise ReconcileError("Indiquez au moins une facture et un montant.", field="allocations")
    amounts = [cents for _invoice, cents in allocations]
    if any(not isinstance(c, int) or isinstance(c, bool) or c <= 0 for c in amounts):
        raise ReconcileError("Chaque montant doit être supérieur à zéro.", field="allocations")
    if len({invoice for invoice, _cents in allocations}) != len(allocations):
        raise ReconcileError("Une facture ne peut figurer qu'une fois.", field="allocations")
    total = sum(amounts)
    if total > line.amount_cents:
        raise ReconcileError(f"Les montants affectés ({format_money(total)}) dépassent le virement "
                             f"({format_money(line.amount_cents)}).", field="allocations")
    excess = line.amount_cents - total
    if excess and not excess_ok:
        raise ReconcileError(_excess_message(excess), field="acknowledge_excess")
    claimed = rows_changed(
        update(BankLine)
        .where(BankLine.id == line.id, BankLine.company_id == line.company_id, BankLine.state == UNMATCHED)
        .values(state=MATCHED, matched_at=now, matched_by_id=getattr(actor, "id", None), matched_how=how,
                excess_cents=excess)
    )
    if not claimed:
        db.session.refresh(line)
        raise ReconcileError(_not_waiting_message(line))
    invoices = {doc.id: doc for doc in db.session.scalars(
        select(Document).where(Document.company_id == line.company_id,
                               Document.id.in_([invoice for invoice, _cents in allocations])))}
    reference = payment_reference_text(line)
    made = []
    for invoice_id, cents in allocations:
        invoice = invoices.get(invoice_id)
        if invoice is None or not invoice.is_invoice:
            raise ReconcileError("Cette facture n'existe pas ou plus.", field="allocations")
        payment = payments.record_payment(invoice, actor, PaymentInput(cents, line.booking_date, PaymentMethod.TRANSFER,
                                                                       reference), today=today, now=now)
        allocation = BankAllocation(company_id=line.company_id, line_id=line.id, document_id=invoice.id,
                                    payment_id=payment.id, amount_cents=cents, created_at=now,
                                    created_by_id=getattr(actor, "id", None))
        db.session.add(allocation)
        made.append(allocation)
    db.session.flush()
    db.session.refresh(line)
    return made


def _not_waiting_message(line: BankLine) -> str:
    if line.state == MATCHED:
        return "Cette opération est déjà rapprochée : aucun paiement de plus n'a été enregistré."
    if line.state == IGNORED:
        return "Cette opération a été mise de côté : remettez-la à rapprocher d'abord."
    return "Un débit ne se rapproche pas d'une facture."


def confirm_proposal(line: BankLine, actor, *, today: date, acknowledge_excess: bool = False,
                     now: datetime | None = None) -> list[BankAllocation]:
    """One tap: record the stored proposal as it is (its invoices, its amounts)."""
    if line.state != UNMATCHED:
        raise ReconcileError(_not_waiting_message(line))
    if not line.proposed:
        raise ReconcileError("Aucune facture n'est proposée pour cette opération : choisissez-la.")
    return _record(line, line.proposed, actor, how=HOW_CONFIRMED, today=today, now=now or utcnow(),
                   excess_ok=acknowledge_excess)


def confirm_exact(company_id: int, actor, *, today: date, now: datetime | None = None) -> tuple[int, int]:
    """Confirm, in one go, every waiting proposal that names its invoices exactly and asks no more
    than they owe. Returns (lines recorded, lines left waiting because a rule refused them now)."""
    now = now or utcnow()
    lines = db.session.scalars(
        select(BankLine).where(BankLine.company_id == company_id, BankLine.state == UNMATCHED,
                               BankLine.match_kind == EXACT, BankLine.over_balance_cents == 0)
        .order_by(BankLine.booking_date, BankLine.id).execution_options(populate_existing=True)).all()
    done = left = 0
    for line in lines:
        try:
            with db.session.begin_nested():
                _record(line, line.proposed, actor, how=HOW_CONFIRMED, today=today, now=now, excess_ok=False)
            done += 1
        except UserError:
            left += 1  # paid meanwhile, dated after today…: it stays a proposal, with its reason
    return done, left


def allocate(line: BankLine, actor, client_id: int, allocations: Iterable[tuple[int, int]], *, today: date,
             acknowledge_excess: bool = False, now: datetime | None = None) -> list[BankAllocation]:
    """Give chosen amounts of a credit to chosen invoices of one client (a split, or a partial)."""
    wanted = [(int(i), int(c)) for i, c in allocations if c]
    if line.state != UNMATCHED:
        raise ReconcileError(_not_waiting_message(line))
    ids = [invoice for invoice, _cents in wanted]
    of_client = set(db.session.scalars(select(Document.id).where(
        Document.company_id == line.company_id, Document.client_id == client_id, Document.id.in_(ids))))
    if len(of_client) != len(set(ids)):
        raise ReconcileError("Un virement se répartit sur les factures d'un seul client.", field="allocations")
    return _record(line, wanted, actor, how=HOW_SPLIT, today=today, now=now or utcnow(),
                   excess_ok=acknowledge_excess)


def ignore_line(line: BankLine, actor) -> None:
    """Set a credit aside: it pays no invoice. Twice (double tap) changes nothing."""
    if line.state == IGNORED:
        return
    if line.state != UNMATCHED:
        raise ReconcileError(_not_waiting_message(line))
    _move(line, UNMATCHED, IGNORED, actor)


def restore_line(line: BankLine, actor) -> None:
    """Bring a credit set aside back to the lines to reconcile."""
    if line.state == UNMATCHED:
        return
    if line.state != IGNORED:
        raise ReconcileError("Seule une opération mise de côté se remet à rapprocher.")
    _move(line, IGNORED, UNMATCHED, actor)


def _move(line: BankLine, source: str, target: str, actor) -> None:
    db.session.execute(
        update(BankLine).where(BankLine.id == line.id, BankLine.company_id == line.company_id, BankLine.state == source)
        .values(state=target, matched_by_id=getattr(actor, "id", None) if target == IGNORED else None)
        .execution_options(synchronize_session=False))
    db.session.refresh(line)


def undo_match(line: BankLine, actor, *, now: datetime | None = None) -> int:
    """Undo a match: cancel the payments it recorded (with a reason) and let the line wait again.

    Returns the number of payments cancelled. Twice (double tap) changes nothing.
    """
    now = now or utcnow()
    if line.state != MATCHED:
        return 0
    claimed = rows_changed(
        update(BankLine)
        .where(BankLine.id == line.id, BankLine.company_id == line.company_id, BankLine.state == MATCHED)
        .values(state=UNMATCHED, matched_at=None, matched_by_id=None, matched_how="", excess_cents=0)
    )
    if not claimed:
        db.session.refresh(line)
        return 0
    active = db.session.scalars(
        select(BankAllocation).where(BankAllocation.line_id == line.id, BankAllocation.company_id == line.company_id,
                                     BankAllocation.undone_at.is_(None))
        .options(selectinload(BankAllocation.payment))).all()
    reason = f"Rapprochement bancaire annulé (opération du {line.booking_date:%d/%m/%Y})"
    for allocation in active:
        payments.cancel_payment(allocation.payment, actor, reason=reason, now=now)
        allocation.undone_at = now
    db.session.flush()
    db.session.refresh(line)
    return len(active)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankSummary:
    """What the dashboard says about the bank: credits waiting, and how recent the figures are."""

    waiting_count: int
    waiting_cents: int
    last_import_at: datetime | None
    last_operation_on: date | None  # the latest booking date imported

    @property
    def imported(self) -> bool:
        return self.last_import_at is not None


def last_import(company_id: int) -> tuple[datetime | None, date | None]:
    """When the last statement was imported, and the latest day its imports cover."""
    imported_at, period_end = db.session.execute(
        select(func.max(BankStatement.imported_at), func.max(BankStatement.period_end))
        .where(BankStatement.company_id == company_id)).one()
    return imported_at, period_end


def summary(company_id: int, waiting: tuple[int, int] | None = None) -> BankSummary:
    """Credits waiting to be reconciled (count, sum), the last import and the last operation date,
    in one statement (the dashboard shows it on every visit); `waiting`: the count and sum when
    the caller has them already."""
    if waiting is not None:
        return BankSummary(waiting[0], int(waiting[1] or 0), *last_import(company_id))
    lines = BankLine.company_id == company_id, BankLine.state == UNMATCHED
    statements = BankStatement.company_id == company_id
    count, cents, last_at, last_day = db.session.execute(select(
        select(func.count(BankLine.id)).where(*lines).scalar_subquery(),
        select(func.coalesce(func.sum(BankLine.amount_cents), 0)).where(*lines).scalar_subquery(),
        select(func.max(BankStatement.imported_at)).where(statements).scalar_subquery(),
        select(func.max(BankStatement.period_end)).where(statements).scalar_subquery(),
    )).one()
    return BankSummary(count, int(cents or 0), last_at, last_day)


STATE_LABELS = {UNMATCHED: "À rapprocher", MATCHED: "Rapprochée", IGNORED: "Mise de côté", DEBIT: "Débit"}
