"""The tenant (Company), its users, their sessions and e-mailed tokens, the login audit rows,
its clients and their contacts, the append-only event history and the idempotency keys of forms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.core.orm import UTCDateTime, utcnow
from domain.core.roles import OWNER
from extensions import Model

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


def printed_address(line1: str, line2: str, postal_code: str, city: str, country: str) -> tuple[str, ...]:
    """An address as printed lines; the country only when it is not France."""
    town = " ".join(p for p in (postal_code, city) if p)
    lines: tuple[str, ...] = (line1, line2, town)
    if country and country.lower() != "france":
        lines += (country,)
    return tuple(line for line in lines if line)


class PostalAddress:
    """The postal address of a company (its seat) or of a client (billing)."""

    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(60), default="France")

    @property
    def address_lines(self) -> tuple[str, ...]:
        """The address as printed lines."""
        return printed_address(self.address_line1, self.address_line2, self.postal_code, self.city, self.country)


class Company(PostalAddress, Model):
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
    # When an owner confirmed their e-mail address (None: not yet, and nothing is sent to
    # clients; see domain.core.verification.can_send_to_clients).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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



class User(Model):
    """A person who logs in; belongs to exactly one company."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=OWNER)  # see domain.core.roles
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change / "log out everywhere": older session cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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


class UserSession(Model):
    """A logged-in browser (server-side session): the cookie holds a random key, this row its
    SHA-256 and the session's data. Deleting the row ends the session, wherever the cookie is."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[User] = relationship()


class AccountToken(Model):
    """A single-use token sent by e-mail (password reset, address confirmation), stored as its
    SHA-256 only: a copy of the database gives no usable link."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the token was sent to: a token for an address since changed is worthless.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ThrottleHit(Model):
    """One use of a rate-limited action (a sign-up from an IP, an e-mail to an address…)."""

    __tablename__ = "throttle_hits"
    __table_args__ = (Index("ix_throttle_hits_bucket_at", "bucket", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginAttempt(Model):
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


# --- clients ------------------------------------------------------------------------

KIND_INDIVIDUAL = "particulier"
KIND_BUSINESS = "professionnel"
CLIENT_KINDS = ((KIND_INDIVIDUAL, "Particulier"), (KIND_BUSINESS, "Professionnel"))


class Client(PostalAddress, Model):
    """Someone the company quotes and invoices: a person (particulier) or a business."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_company_name", "company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=KIND_INDIVIDUAL)
    name: Mapped[str] = mapped_column(String(200))
    # Business clients: SIREN is a mandatory mention on invoices (décret 2022-1299). They
    # may give their SIRET instead (the establishment): kept as typed, SIREN derived from it.
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="", server_default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")


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
    def site_address_lines(self) -> tuple[str, ...]:
        """Job-site address lines (empty when none is set)."""
        city = " ".join(p for p in (self.site_postal_code, self.site_city) if p)
        return tuple(line for line in (self.site_address_line1, city) if line)

    @property
    def emails(self) -> list[str]:
        """Every contact e-mail, primary first."""
        return [c.email for c in self.contacts if c.email]


class Contact(Model):
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


class Event(Model):
    """Append-only history: everything that happens to a document (or a client)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_document_at", "document_id", "at"),
        Index("ix_events_company_at", "company_id", "at"),
        Index("ix_events_client_at", "client_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")  # "client", "relances automatiques"…
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")



class FormSubmission(Model):
    """Idempotency keys: a form token seen twice (double tap, replay) acts once."""

    __tablename__ = "form_submissions"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str] = mapped_column(String(300), default="")  # e.g. where the first request led



class CompanyDataVersion(Model):
    """A counter per company that every change of the rows its figures are computed from moves,
    in the same transaction as the change (database triggers, see domain/core/dataversion.py).

    No foreign key: the triggers also fire while a company's rows are deleted with it, and a
    left-over counter is harmless (ids are never reused)."""

    __tablename__ = "company_data_versions"

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
