"""Tables of the approved-platform connection: settings, transmissions, statuses, cash-in
reports (212), e-reports, webhook deliveries and the directory cache.

Work rows (transmissions, cash reports, e-reports) share one life: `queued` → `sending` (claimed
by one worker, with a lease) → `sent`, or back to `queued` with a later `next_attempt_at`
(back-off), or `failed` (the platform refused the request: a person must act), or `cancelled`
(nothing to send any more). See domain/einvoicing/work.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.orm import UTCDateTime, utcnow
from extensions import Model

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"

SYNTAX_FACTURX = "Factur-X"
SYNTAX_CII = "CII"

# VAT return regimes, which set the e-reporting calendar (domain/einvoicing/ereporting.py).
FILING_MONTHLY = "rn_mensuel"  # régime réel normal, monthly returns (CA3)
FILING_QUARTERLY = "rn_trimestriel"  # régime réel normal, quarterly option
FILING_SIMPLIFIED = "rsi"  # régime simplifié d'imposition (CA12)
FILING_CHOICES = (
    (FILING_SIMPLIFIED, "Réel simplifié (déclaration annuelle CA12)"),
    (FILING_MONTHLY, "Réel normal, déclaration mensuelle (CA3)"),
    (FILING_QUARTERLY, "Réel normal, déclaration trimestrielle (CA3)"),
)


class EinvoicingSettings(Model):
    """One company's e-invoicing settings: its platform (none until configured), what it sends,
    its VAT return regime, and the polling cursor (the platform's own clock)."""

    __tablename__ = "einvoicing_settings"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    flow_base_url: Mapped[str] = mapped_column(String(300), default="")
    directory_base_url: Mapped[str] = mapped_column(String(300), default="")
    token_url: Mapped[str] = mapped_column(String(300), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    # Sealed with a key derived from SECRET_KEY (output/sealing.py): never in clear in the database.
    client_secret_sealed: Mapped[str] = mapped_column(Text, default="")
    webhook_secret_sealed: Mapped[str] = mapped_column(Text, default="")
    # The path segment of this company's webhook URL (/einvoicing/webhook/<key>): says whose
    # secret checks the signature; knowing it without the secret gets nothing.
    webhook_key: Mapped[str] = mapped_column(String(40), unique=True)
    send_syntax: Mapped[str] = mapped_column(String(10), default=SYNTAX_FACTURX)
    vat_filing: Mapped[str] = mapped_column(String(20), default=FILING_SIMPLIFIED)
    poll_cursor: Mapped[str | None] = mapped_column(String(40))
    # A sync run claims the company with this lease, so two runners never poll it at once.
    sync_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_error: Mapped[str] = mapped_column(Text, default="")
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test_ok: Mapped[bool | None] = mapped_column(Boolean)
    test_message: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def connected(self) -> bool:
        """A platform is configured (URLs and credentials typed); says nothing of whether it answers."""
        return bool(self.flow_base_url and self.token_url and self.client_id and self.client_secret_sealed)


class _Work:
    """Columns of a row worked in the background (claimed, retried with back-off)."""

    state: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    tracking_id: Mapped[str] = mapped_column(String(36), unique=True)
    flow_id: Mapped[str | None] = mapped_column(String(36), index=True)
    submitted_at: Mapped[str | None] = mapped_column(String(40))  # the platform's clock, as it said it
    ack_status: Mapped[str | None] = mapped_column(String(10))  # Pending | Ok | Error
    ack_details: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transmission(_Work, Model):
    """One issued B2B invoice or credit note on its way to the platform: at most one per document."""

    __tablename__ = "einvoice_transmissions"
    __table_args__ = (
        Index("ix_einvoice_transmissions_work", "state", "next_attempt_at"),
        Index("ix_einvoice_transmissions_company_state", "company_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    syntax: Mapped[str] = mapped_column(String(10), default="")
    # The latest lifecycle status (200-213) by its own date, denormalised for lists and the dashboard;
    # LifecycleStatus rows are the truth.
    status_code: Mapped[int | None] = mapped_column(Integer)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str] = mapped_column(Text, default="")


class LifecycleStatus(Model):
    """A CDAR status received about one of our invoices; one row per status flow."""

    __tablename__ = "einvoice_statuses"
    __table_args__ = (UniqueConstraint("company_id", "flow_id", name="uq_einvoice_statuses_flow"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    flow_id: Mapped[str] = mapped_column(String(36))
    code: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(60), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="")  # webhook | sync


class CashReport(_Work, Model):
    """A 212 Encaissée status to send for one payment, or its correction when the payment is
    cancelled (kind "cancellation", negative amounts). One of each kind per payment."""

    __tablename__ = "einvoice_cash_reports"
    __table_args__ = (
        UniqueConstraint("payment_id", "kind", name="uq_einvoice_cash_reports_payment_kind"),
        Index("ix_einvoice_cash_reports_work", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # payment | cancellation
    received_on: Mapped[date] = mapped_column(Date)
    amounts: Mapped[list] = mapped_column(JSON, default=list)  # [["20.00", cents], ...]
    message_id: Mapped[str] = mapped_column(String(40))


class EReport(_Work, Model):
    """One e-reporting transmission (B2C transactions or payments) for one period."""

    __tablename__ = "einvoice_ereports"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "period_start", name="uq_einvoice_ereports_period"),
        Index("ix_einvoice_ereports_work", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # transactions | payments
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    totals: Mapped[dict] = mapped_column(JSON, default=dict)


class WebhookDelivery(Model):
    """A webhook delivery id already handled: a retry or a replay of it changes nothing."""

    __tablename__ = "einvoice_webhook_deliveries"
    __table_args__ = (UniqueConstraint("company_id", "delivery_id", name="uq_einvoice_webhook_delivery"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(100))
    flow_id: Mapped[str] = mapped_column(String(36), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectoryEntry(Model):
    """The directory's last answer for a client's SIREN or SIRET (a cache, dated)."""

    __tablename__ = "einvoice_directory"
    __table_args__ = (UniqueConstraint("company_id", "identifier", name="uq_einvoice_directory_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(14))
    known: Mapped[bool] = mapped_column(Boolean, default=False)
    receives: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    lines: Mapped[list] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
