"""Quotes, invoices (deposit, final, standalone), credit notes, their lines, numbering,
payments, the line catalogue, frozen files and the dated rate tables printed on invoices."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.orm import UTCDateTime, utcnow
from extensions import Model

if TYPE_CHECKING:
    from domain.core.models import Client, Company

T = TypeVar("T")


class Kind(StrEnum):
    QUOTE = "quote"
    DEPOSIT = "deposit"
    FINAL = "final"
    INVOICE = "invoice"  # standalone invoice (call-out, small job without a quote)
    CREDIT_NOTE = "credit_note"


INVOICE_KINDS = (Kind.DEPOSIT, Kind.FINAL, Kind.INVOICE)

# Numbering series (CGI ann. II art. 242 nonies A: one chronological, continuous series per
# kind of document; deposit invoices are invoices and share the invoice series).
SERIES = {Kind.QUOTE: "D", Kind.DEPOSIT: "F", Kind.FINAL: "F", Kind.INVOICE: "F", Kind.CREDIT_NOTE: "A"}

KIND_LABELS = {
    Kind.QUOTE: "Devis",
    Kind.DEPOSIT: "Facture d'acompte",
    Kind.FINAL: "Facture de solde",
    Kind.INVOICE: "Facture",
    Kind.CREDIT_NOTE: "Avoir",
}


class VatRegime(StrEnum):
    NORMAL = "normal"
    FRANCHISE = "franchise"  # franchise en base, CGI art. 293 B: no VAT on any line
    AUTOLIQUIDATION = "autoliquidation"  # construction subcontracting, CGI art. 283-2 nonies


# Issued and not fully paid or credited: the invoices collections work on (lists, dashboard,
# reminder plan). Queries spell it exactly so (literal 0, see domain.status.open_terms) so that
# SQLite can use the partial index below, which stays as small as the open invoices.
OPEN_SQL = "issued_at IS NOT NULL AND net_cents - paid_cents - credited_cents > 0"


def _issued(doc: Document, value: T | None, what: str) -> T:
    if value is None:
        raise ValueError(f"document {doc.id} has no {what}: it is a draft (or not an invoice)")
    return value


class Document(Model):
    """A quote, an invoice or a credit note. Frozen once issued (issued_at set)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("company_id", "number", name="uq_documents_company_number"),
        Index("ix_documents_company_kind_due", "company_id", "kind", "due_date"),
        # Covers every column the dashboard, the overdue/open lists and the plan of the day read
        # on open documents, so they never touch the (wide) table rows of the paid ones.
        Index("ix_documents_open", "company_id", "kind", "due_date", "client_id", "net_cents", "paid_cents",
              "credited_cents", "reminder_level", "reminder_step_reached", "reminders_disabled",
              "reminders_paused_until", "reminder_plan_id", "sent_at", "issued_at", "issue_date",
              sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL)),
        Index("ix_documents_company_client", "company_id", "client_id"),
        # The lists' default order (most recently issued first) read from the index, with the kind
        # to filter quotes from invoices without reading the rows.
        Index("ix_documents_company_issue", "company_id", "issue_date", "id", "kind"),
        Index("ix_documents_quote", "quote_id"),
        Index("ix_documents_credited", "credited_id"),
        # A payment reference is never given to two invoices of a company (see payment_reference.py).
        Index("uq_documents_company_payment_reference", "company_id", "payment_reference", unique=True),
        CheckConstraint("paid_cents >= 0 AND credited_cents >= 0", name="amounts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    kind: Mapped[str] = mapped_column(String(20))
    # Optimistic locking: a stale edit form (another tab, another user) is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    number: Mapped[str | None] = mapped_column(String(30))  # assigned at issue only
    # Invoices: the ISO 11649 "RF" reference the client quotes on the transfer, computed from the
    # number and frozen with it at issue (None on drafts, quotes, credit notes, and invoices issued
    # before references existed). See domain/billing/payment_reference.py.
    payment_reference: Mapped[str | None] = mapped_column(String(25))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    service_date: Mapped[date | None] = mapped_column(Date)  # date de la vente / prestation
    validity_date: Mapped[date | None] = mapped_column(Date)  # quotes
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)  # draft: None = client/company default
    requested_due_date: Mapped[date | None] = mapped_column(Date)  # draft: explicit due date

    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    invoiced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # quote: its final invoice was issued

    quote_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # deposit/final
    credited_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))  # credit note → invoice
    deposit_percent_bp: Mapped[int | None] = mapped_column(Integer)

    vat_regime: Mapped[str] = mapped_column(String(20), default=VatRegime.NORMAL)
    # Category of the operation, a mention from 2027 (décret 2022-1299): "goods", "services" or
    # "mixed" (domain.billing.categories). None on a draft: derived from its lines; set at issue.
    operation_category: Mapped[str | None] = mapped_column(String(10))
    # How the issued document was frozen as an e-invoice ("factur-x/en16931"); None: a quote,
    # or a document issued before e-invoices (its PDF stays exactly as it was issued).
    einvoice_format: Mapped[str | None] = mapped_column(String(30))
    reduced_rate_attestation: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(200), default="")  # objet : "Rénovation salle de bain"
    site_name: Mapped[str] = mapped_column(String(200), default="")
    site_address: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    # Totals, recomputed on every draft save and frozen at issue. `vat_breakdown` is the
    # authoritative per-rate list [[rate_bp, base_cents, vat_cents], ...] (for deposits and
    # credit notes it is not a function of the lines alone). total_* are its sums (gross);
    # net_cents is what the document asks to be paid: TTC minus deposits on a final invoice.
    vat_breakdown: Mapped[list] = mapped_column(JSON, default=list)
    # False for deposits and full credit notes: their breakdown is a share of another
    # document's, not a function of their (descriptive) lines, and is never recomputed.
    breakdown_from_lines: Mapped[bool] = mapped_column(Boolean, default=True)
    total_ht_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_vat_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_ttc_cents: Mapped[int] = mapped_column(Integer, default=0)
    net_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Final invoice: the deposit invoices deducted, frozen at creation
    # [{"id", "number", "issue_date", "breakdown": [[rate, base, vat]...], "ttc_cents"}].
    deductions: Mapped[list] = mapped_column(JSON, default=list)

    # Running sums of non-cancelled payments and issued credit notes. The payments and
    # credit-note rows are the truth; these are maintained in the same transaction by
    # domain.payments / domain.documents with atomic `x = x + n` updates (never
    # read-modify-write), so lists can filter on the balance with an index and no join.
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    credited_cents: Mapped[int] = mapped_column(Integer, default=0)
    paid_in_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Collections (reminders issue): level R0..R3 and when the last reminder went.
    reminder_level: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Automatic plan: index of the last plan step handled (-1: none yet). A rerun or a
    # concurrent run moves it with a conditional UPDATE, so a step is handled once.
    reminder_step_reached: Mapped[int] = mapped_column(Integer, default=-1)
    reminder_plan_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_plans.id", ondelete="SET NULL"))
    reminders_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_paused_until: Mapped[date | None] = mapped_column(Date)  # promise to pay
    formal_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Code civil 1344

    # Seller and buyer identity as printed at issue (the client may move, the company may
    # change its address: the document keeps what it said).
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    company: Mapped[Company] = relationship()
    client: Mapped[Client] = relationship()
    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentLine.position"
    )
    quote: Mapped[Document | None] = relationship(remote_side=[id], foreign_keys=[quote_id])
    credited: Mapped[Document | None] = relationship(remote_side=[id], foreign_keys=[credited_id])

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None

    @property
    def is_invoice(self) -> bool:
        return self.kind in INVOICE_KINDS

    @property
    def is_quote(self) -> bool:
        return self.kind == Kind.QUOTE

    @property
    def is_credit_note(self) -> bool:
        return self.kind == Kind.CREDIT_NOTE

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[Kind(self.kind)]

    @property
    def display_number(self) -> str:
        """Number once issued, else "Brouillon n° id" (a draft has no number)."""
        return self.number or f"Brouillon #{self.id}"

    # Facts an issued document always has (set in the issuing transaction). Code that works on
    # issued documents reads these: a draft here is a bug, and says so instead of printing "None".
    @property
    def issued_number(self) -> str:
        return _issued(self, self.number, "number")

    @property
    def issued_on(self) -> date:
        return _issued(self, self.issue_date, "issue date")

    @property
    def due_on(self) -> date:
        return _issued(self, self.due_date, "due date")

    @property
    def remaining_cents(self) -> int:
        """Left to pay on an issued invoice (0 for drafts, quotes and credit notes)."""
        if not self.is_invoice or not self.is_issued:
            return 0
        return self.net_cents - self.paid_cents - self.credited_cents


class DocumentLine(Model):
    """One line of a document: an item (label, quantity, unit price HT, VAT rate) or a section title."""

    __tablename__ = "document_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default="item")  # item | section
    label: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    quantity_milli: Mapped[int] = mapped_column(Integer, default=1000)
    unit: Mapped[str] = mapped_column(String(20), default="u")
    unit_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=2000)
    total_ht_cents: Mapped[int] = mapped_column(Integer, default=0)

    document: Mapped[Document] = relationship(back_populates="lines")

    @property
    def is_section(self) -> bool:
        return self.kind == "section"


class NumberSequence(Model):
    """Last number used per company, series and year (incremented atomically at issue)."""

    __tablename__ = "number_sequences"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class PaymentMethod(StrEnum):
    TRANSFER = "virement"
    CHEQUE = "cheque"
    CASH = "especes"
    CARD = "carte"
    DIRECT_DEBIT = "prelevement"


PAYMENT_METHOD_LABELS = {
    PaymentMethod.TRANSFER: "Virement",
    PaymentMethod.CHEQUE: "Chèque",
    PaymentMethod.CASH: "Espèces",
    PaymentMethod.CARD: "Carte bancaire",
    PaymentMethod.DIRECT_DEBIT: "Prélèvement",
}


class Payment(Model):
    """Money received against an invoice. Never edited: cancelled (with a reason) instead."""

    __tablename__ = "payments"
    __table_args__ = (
        # With the invoice and the cancellation: the payment delay (DSO) reads the last 90 days of
        # payments from the index alone.
        Index("ix_payments_company_paid_on", "company_id", "paid_on", "document_id", "cancelled_at"),
        # (document, date) and (client, date): without them SQLite answers "payments of this
        # invoice/client by date" by walking the whole company's payments in date order.
        Index("ix_payments_document", "document_id", "paid_on"),
        Index("ix_payments_client_paid_on", "client_id", "paid_on"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[Document] = relationship()
    client: Mapped[Client] = relationship()

    @property
    def method_label(self) -> str:
        return PAYMENT_METHOD_LABELS.get(PaymentMethod(self.method), self.method)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class CatalogItem(Model):
    """A frequent line (prestation or fourniture) to insert in one tap."""

    __tablename__ = "catalog_items"
    __table_args__ = (Index("ix_catalog_company_label", "company_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="prestation")  # prestation | fourniture
    label: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="u")
    unit_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=2000)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class StoredFile(Model):
    """Bytes that must never change once written: the PDF of an issued document
    (purpose "document_pdf") and, for an invoice or credit note, its e-invoice XML
    ("facturx_xml", the same bytes as the PDF's factur-x.xml attachment)."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("document_id", "purpose", name="uq_stored_files_document_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30), default="document_pdf")
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(60), default="application/pdf")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateEntry(Model):
    """A dated rate (in force from `start`, a 1 January or 1 July) entered by a company: it
    completes or corrects, for that company only, the sourced values in domain/legal.py."""

    __tablename__ = "rate_entries"
    __table_args__ = (UniqueConstraint("company_id", "kind", "start", name="uq_rate_entries_company_kind_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # ecb | legal_other | legal_consumer
    start: Mapped[date] = mapped_column(Date)
    rate_bp: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
