"""The client side of a document: its secret link, what the client decided on it
(accept, refuse, promise to pay), open and view counters, and the throttle rows of the
public forms."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.billing.models import Document
from domain.core.orm import UTCDateTime, utcnow
from extensions import Model

RESPONSE_ACCEPT = "accept"
RESPONSE_REFUSE = "refuse"
RESPONSE_PROMISE = "promise"
RESPONSE_KINDS = (RESPONSE_ACCEPT, RESPONSE_REFUSE, RESPONSE_PROMISE)


class DocumentLink(Model):
    """The unguessable link a client opens (https://…/c/<token>); no id in the URL.

    The token is looked up by its SHA-256 through a unique index, so a lookup never
    compares secret strings. So that every e-mail about the document (first send, reminders
    weeks later) carries the same link and the artisan can copy it, the token is kept —
    sealed with a key derived from SECRET_KEY, which is not in the database: a copy or a
    backup of the database alone gives no working link (domain.portal.links.seal/unseal).
    `token` is the clear token once created, resolved or unsealed in this process. At most
    one live (not revoked) link per document: the partial unique index makes two concurrent
    first uses agree on one link.
    """

    __tablename__ = "document_links"
    __table_args__ = (
        Index("uq_document_links_live", "document_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    token_sealed: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    document: Mapped[Document] = relationship()

    @property
    def token(self) -> str:
        """The clear token (set by ensure_link, resolve or unseal in this process)."""
        value = self.__dict__.get("_clear_token")
        if value is None:
            raise LookupError(f"link {self.id}: token not unsealed (domain.portal.links.unseal)")
        return value

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ClientResponse(Model):
    """What the client said through the link: "bon pour accord", a refusal, a promise to pay.

    Kept as evidence: who (typed full name), when (UTC), from where (IP, user agent) and
    on which bytes (SHA-256 of the PDF as issued). A quote gets at most one accept or
    refuse (partial unique index), so a double tap or two phones at once record once.
    """

    __tablename__ = "client_responses"
    __table_args__ = (
        Index("uq_client_responses_decision", "document_id", unique=True,
              sqlite_where=text("kind IN ('accept', 'refuse')"),
              postgresql_where=text("kind IN ('accept', 'refuse')")),
        Index("ix_client_responses_company_at", "company_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("document_links.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # accept | refuse | promise
    full_name: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    promised_on: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")


    @property
    def promised_day(self) -> date:
        """The date a promise to pay names (every promise has one)."""
        if self.promised_on is None:
            raise ValueError(f"client response {self.id} is not a promise to pay")
        return self.promised_on

class DocumentTracking(Model):
    """Counters of one document: e-mail opens (tracking pixel) and link views.

    Bumped with `x = x + 1` UPDATEs (never read-modify-write), the first date set by a
    conditional UPDATE, so concurrent hits neither lose a count nor record two "first".
    """

    __tablename__ = "document_tracking"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    opens: Mapped[int] = mapped_column(Integer, default=0)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    views: Mapped[int] = mapped_column(Integer, default=0)
    first_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalAttempt(Model):
    """One POST on a public form (accept, refuse, promise), kept to throttle per link and per IP
    in the database, so the limit holds across workers and restarts."""

    __tablename__ = "portal_attempts"
    __table_args__ = (
        Index("ix_portal_attempts_link_at", "link_id", "at"),
        Index("ix_portal_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("document_links.id", ondelete="CASCADE"))
    ip: Mapped[str] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
