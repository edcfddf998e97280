"""Bank accounts, imported statements, their lines, and the allocations of a line to invoices.

What is stored is what happened: the lines as the bank wrote them (each once, by fingerprint),
which file brought them, and which payments a line became. The matcher's proposal for a line
(kind, score, reason, allocations) is kept on the line so the page shows it without matching
again; it is a proposal, recomputed at each import, never a fact: a payment exists only once
someone confirms it, and is recorded through `domain.billing.payments`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.orm import UTCDateTime, utcnow
from extensions import Model

if TYPE_CHECKING:
    from domain.billing.models import Document, Payment
    from domain.core.models import User

# What a line is waiting for, or what became of it.
UNMATCHED = "unmatched"  # a credit no payment was recorded for yet: "à rapprocher"
MATCHED = "matched"  # a credit that became one payment or several (see BankAllocation)
IGNORED = "ignored"  # a credit set aside by the user (a refund from a supplier, a transfer between accounts…)
DEBIT = "debit"  # money out (or a zero line): listed, never matched
LINE_STATES = (UNMATCHED, MATCHED, IGNORED, DEBIT)

# How a matched line was matched.
HOW_CONFIRMED = "confirmed"  # the user confirmed the proposal (one tap, or all exact ones at once)
HOW_SPLIT = "split"  # the user chose the invoices and the amounts


class BankAccount(Model):
    """The company's bank account statements are imported for (its IBAN in the settings).

    A CSV layout Encaisse does not know is described once on the mapping screen and the
    columns chosen are remembered here (`csv_mapping`, the fields of `bank_csv.CsvMapping`).
    """

    __tablename__ = "bank_accounts"
    __table_args__ = (UniqueConstraint("company_id", "iban", name="uq_bank_accounts_company_iban"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    iban: Mapped[str] = mapped_column(String(34))  # compact
    csv_mapping: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankStatement(Model):
    """One import of a statement file: what it was, who brought it, what it added."""

    __tablename__ = "bank_statements"
    __table_args__ = (Index("ix_bank_statements_company_at", "company_id", "imported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(20))  # model.FORMAT_*
    source: Mapped[str] = mapped_column(String(80), default="")  # "Crédit Agricole", "CAMT.053.001.02"…
    sha256: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    line_count: Mapped[int] = mapped_column(Integer, default=0)  # operations in the file
    new_count: Mapped[int] = mapped_column(Integer, default=0)  # of which were not known yet
    # Credits waiting after this import whose proposal names its invoices exactly (RF reference, number).
    exact_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    imported_by: Mapped[User | None] = relationship()

    @property
    def duplicate_count(self) -> int:
        """Operations of the file already imported from an earlier (or overlapping) statement."""
        return self.line_count - self.new_count


class BankLine(Model):
    """One operation of the account, stored once whatever the number of statements that list it."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        # Never twice: the same operation in a second or overlapping statement has the same
        # fingerprint (see domain/banking/model.py) and is not inserted again.
        UniqueConstraint("company_id", "account_id", "fingerprint", name="uq_bank_lines_fingerprint"),
        # Covers the bank page's tabs (count and sum per state, exact proposals) and its newest-first
        # lists, so counting 10,000 lines never reads the rows themselves.
        Index("ix_bank_lines_company_state_date", "company_id", "state", "booking_date", "amount_cents", "match_kind",
              "over_balance_cents"),
        Index("ix_bank_lines_statement", "statement_id"),
        CheckConstraint("state IN ('unmatched', 'matched', 'ignored', 'debit')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id", ondelete="CASCADE"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id", ondelete="CASCADE"))  # first seen in
    fingerprint: Mapped[str] = mapped_column(String(64))
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)  # credit > 0, debit < 0
    label: Mapped[str] = mapped_column(Text, default="")
    remittance: Mapped[str] = mapped_column(Text, default="")
    creditor_reference: Mapped[str | None] = mapped_column(String(35))
    counterparty: Mapped[str] = mapped_column(String(140), default="")
    bank_id: Mapped[str | None] = mapped_column(String(100))
    end_to_end_id: Mapped[str | None] = mapped_column(String(100))
    transaction_code: Mapped[str] = mapped_column(String(40), default="")
    source_line: Mapped[int] = mapped_column(Integer, default=0)  # in the file that brought it
    state: Mapped[str] = mapped_column(String(12), default=UNMATCHED)

    # The matcher's proposal (matching.Match), refreshed at each import while the line waits.
    match_kind: Mapped[str] = mapped_column(String(12), default="")  # exact | suggestion | none | ""
    match_score: Mapped[int] = mapped_column(Integer, default=0)
    match_reason: Mapped[str] = mapped_column(Text, default="")
    match_allocations: Mapped[list] = mapped_column(JSON, default=list)  # [[invoice_id, cents], ...]
    over_balance_cents: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)

    # Once matched: when, by whom, how, and what of the credit no invoice took (acknowledged).
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    matched_how: Mapped[str] = mapped_column(String(12), default="")
    excess_cents: Mapped[int] = mapped_column(Integer, default=0)

    allocations: Mapped[list[BankAllocation]] = relationship(back_populates="line", order_by="BankAllocation.id")

    @property
    def is_credit(self) -> bool:
        """Money in."""
        return self.amount_cents > 0

    @property
    def proposed(self) -> list[tuple[int, int]]:
        """The proposal's allocations as (invoice id, cents)."""
        return [(int(i), int(c)) for i, c in (self.match_allocations or [])]

    @property
    def text(self) -> str:
        """What the bank wrote, on one line."""
        return " ".join(p for p in (self.label, self.remittance, self.creditor_reference or "") if p)


class BankAllocation(Model):
    """A part of a credit given to one invoice, and the payment it was recorded as."""

    __tablename__ = "bank_allocations"
    __table_args__ = (
        Index("ix_bank_allocations_line", "line_id"),
        Index("ix_bank_allocations_document", "document_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(ForeignKey("bank_lines.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The match was undone: its payment was cancelled (the rows stay, as payments do).
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[BankLine] = relationship(back_populates="allocations")
    document: Mapped[Document] = relationship()
    payment: Mapped[Payment] = relationship()
