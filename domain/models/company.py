"""The tenant (Company), its users and the login audit rows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db

from ..orm import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .clients import Client

LEGAL_FORMS = (
    ("EI", "Entreprise individuelle (EI)"),
    ("EURL", "EURL"),
    ("SARL", "SARL"),
    ("SASU", "SASU"),
    ("SAS", "SAS"),
    ("SA", "SA"),
    ("SNC", "SNC"),
    ("SCOP", "SCOP"),
    ("AUTRE", "Autre"),
)

# Company VAT regimes. Autoliquidation is decided per document (subcontracting),
# not per company: a company in the normal regime may issue both kinds.
VAT_NORMAL = "normal"
VAT_FRANCHISE = "franchise"  # franchise en base, CGI art. 293 B


class Company(db.Model):
    """A business using Encaisse: its legal identity drives every document it issues."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Identity (CGI ann. II art. 242 nonies A; Code de commerce R123-237/238).
    name: Mapped[str] = mapped_column(String(200))
    trade_name: Mapped[str] = mapped_column(String(200), default="")
    legal_form: Mapped[str] = mapped_column(String(10), default="EI")
    share_capital_cents: Mapped[int | None] = mapped_column(Integer)
    siret: Mapped[str] = mapped_column(String(14), default="")
    rcs_rm: Mapped[str] = mapped_column(String(120), default="")
    vat_regime: Mapped[str] = mapped_column(String(20), default=VAT_NORMAL)
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    vat_on_debits: Mapped[bool] = mapped_column(Boolean, default=False)

    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(60), default="France")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")

    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")

    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_mime: Mapped[str] = mapped_column(String(20), default="")

    # Payment terms and late payment (Code de commerce L441-10, D441-5).
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    # None: the legal default (ECB refinancing rate + 10 points); else a contract rate.
    late_penalty_rate_bp: Mapped[int | None] = mapped_column(Integer)
    early_payment_discount: Mapped[str] = mapped_column(String(200), default="")
    quote_validity_days: Mapped[int] = mapped_column(Integer, default=30)

    # Compulsory insurance for building trades (loi 96-603 art. 22-2).
    insurer_name: Mapped[str] = mapped_column(String(200), default="")
    insurer_address: Mapped[str] = mapped_column(String(300), default="")
    insurance_policy: Mapped[str] = mapped_column(String(100), default="")
    insurance_coverage_area: Mapped[str] = mapped_column(String(200), default="")

    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")

    # Sending and collections.
    auto_send_invoices: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_send_hour: Mapped[int] = mapped_column(Integer, default=9)  # local hour, 0-23
    copy_company_on_sends: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    formal_notice_deadline_days: Mapped[int] = mapped_column(Integer, default=8)
    # E-mail open tracking (a pixel) may need consent (CNIL): a company can switch it off.
    open_tracking_enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    users: Mapped[list[User]] = relationship(back_populates="company", order_by="User.id")
    clients: Mapped[list[Client]] = relationship(back_populates="company", lazy="raise")

    @property
    def is_vat_franchise(self) -> bool:
        """True when the company is under the franchise en base (no VAT charged)."""
        return self.vat_regime == VAT_FRANCHISE

    @property
    def siren(self) -> str:
        """SIREN = first 9 digits of the SIRET."""
        return self.siret[:9]

    @property
    def address_lines(self) -> tuple[str, ...]:
        """Postal address as printed lines."""
        city = " ".join(p for p in (self.postal_code, self.city) if p)
        lines = (self.address_line1, self.address_line2, city)
        if self.country and self.country.lower() != "france":
            lines += (self.country,)
        return tuple(line for line in lines if line)


class User(db.Model):
    """A person who logs in; belongs to exactly one company."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="owner")
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change / "log out everywhere": older session cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship(back_populates="users", lazy="joined")

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Session identity: id plus version, so bumping the version revokes sessions."""
        return f"{self.id}:{self.session_version}"


class LoginAttempt(db.Model):
    """One login attempt, kept for throttling and the security audit."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)
    user_agent: Mapped[str] = mapped_column(Text, default="")
