"""Clients of a company and their contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db

from ..orm import UTCDateTime, utcnow
from .company import Company

KIND_INDIVIDUAL = "particulier"
KIND_BUSINESS = "professionnel"
CLIENT_KINDS = ((KIND_INDIVIDUAL, "Particulier"), (KIND_BUSINESS, "Professionnel"))


class Client(db.Model):
    """Someone the company quotes and invoices: a person (particulier) or a business."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_company_name", "company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=KIND_INDIVIDUAL)
    name: Mapped[str] = mapped_column(String(200))
    # Business clients: SIREN is a mandatory mention on invoices (décret 2022-1299).
    siren: Mapped[str] = mapped_column(String(9), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")

    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(60), default="France")

    # Job site (chantier) when it differs from the billing address.
    site_address_line1: Mapped[str] = mapped_column(String(200), default="")
    site_postal_code: Mapped[str] = mapped_column(String(10), default="")
    site_city: Mapped[str] = mapped_column(String(100), default="")

    payment_terms_days: Mapped[int | None] = mapped_column(Integer)  # None: company default
    # Lower-case, accent-free name/city/contacts, so "helene" finds "Hélène" on a tablet.
    search_key: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Reminders: a client-specific plan, or none at all (None plan = company default).
    reminder_plan_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_plans.id", ondelete="SET NULL"))
    reminders_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship(back_populates="clients")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="(Contact.is_primary.desc(), Contact.id)"
    )

    @property
    def is_business(self) -> bool:
        """Professionnel: late-payment penalties and the 40 € indemnity apply (L441-10)."""
        return self.kind == KIND_BUSINESS

    @property
    def kind_label(self) -> str:
        return dict(CLIENT_KINDS)[self.kind]

    @property
    def address_lines(self) -> tuple[str, ...]:
        """Billing address as printed lines."""
        city = " ".join(p for p in (self.postal_code, self.city) if p)
        lines = (self.address_line1, self.address_line2, city)
        if self.country and self.country.lower() != "france":
            lines += (self.country,)
        return tuple(line for line in lines if line)

    @property
    def site_address_lines(self) -> tuple[str, ...]:
        """Job-site address lines (empty when none is set)."""
        city = " ".join(p for p in (self.site_postal_code, self.site_city) if p)
        return tuple(line for line in (self.site_address_line1, city) if line)

    @property
    def emails(self) -> list[str]:
        """Every contact e-mail, primary first."""
        return [c.email for c in self.contacts if c.email]


class Contact(db.Model):
    """A person to reach at a client (several per client)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    role: Mapped[str] = mapped_column(String(80), default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    client: Mapped[Client] = relationship(back_populates="contacts")
