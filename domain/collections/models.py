"""Collections: message templates, reminder plans, the outbox of sends and follow-up tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.orm import UTCDateTime, utcnow
from extensions import Model


class MessageTemplate(Model):
    """A company's edited version of one e-mail template (the French defaults live in code)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("company_id", "key", name="uq_message_templates_company_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(30))  # invoice_send, quote_send, pre_due, soft, firm, formal_notice
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReminderPlan(Model):
    """Steps relative to the due date, e.g. J-3 pre-due, J+7 soft, J+15 firm, J+30 formal notice."""

    __tablename__ = "reminder_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # [{"offset_days": -3, "template": "pre_due"}, {"offset_days": 7, "template": "soft"}, ...]
    steps: Mapped[list] = mapped_column(JSON, default=list)
    confirm_formal_notice: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Send(Model):
    """One e-mail (or a share through another channel) of a document, with its outcome.

    A row is claimed (status "sending") and committed before talking to the SMTP server,
    then completed in a second transaction together with its event. Unique keys make a
    double tap (same form token) and a plan step (same document and step) send once,
    even across concurrent runs; a crash between the two leaves "sending", which is
    reported, never silently re-sent.
    """

    __tablename__ = "sends"
    __table_args__ = (
        UniqueConstraint("company_id", "idempotency_key", name="uq_sends_company_key"),
        UniqueConstraint("document_id", "plan_step", name="uq_sends_document_step"),
        Index("ix_sends_document_created", "document_id", "created_at"),
        Index("ix_sends_company_status", "company_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # document | reminder
    channel: Mapped[str] = mapped_column(String(20), default="email")  # email | whatsapp | sms | telegram | link
    template_key: Mapped[str] = mapped_column(String(30))
    level: Mapped[int | None] = mapped_column(Integer)  # reminder level after this send (R1..R3)
    plan_step: Mapped[int | None] = mapped_column(Integer)  # index in the plan, automatic sends only
    previous_step: Mapped[int | None] = mapped_column(Integer)  # plan position to give back if it fails
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    cc: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # file names
    # sending | sent | failed | awaiting_confirmation
    status: Mapped[str] = mapped_column(String(20), default="sending")
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Tracking (client-portal issue): opens counted through a pixel.
    tracking_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class Task(Model):
    """A follow-up to do on a date: call the client, pass by the site, confirm a formal notice."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_company_due", "company_id", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30), default="manual")  # manual | confirm_formal_notice
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    client = relationship("Client")
    document = relationship("Document")
