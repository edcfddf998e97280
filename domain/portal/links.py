"""The client link of a document: created, revoked, regenerated, resolved, throttled.

A link is a random token (256 bits) stored server-side, so it can be revoked and
regenerated; the URL carries no id. Drafts never get one. What the client answers through
it is in domain.portal.answers. Every change writes its Event in the caller's transaction;
nothing here commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from domain.billing.models import Document
from domain.core import events
from domain.core.errors import UserError
from domain.core.orm import utcnow
from domain.portal.models import (
    DocumentLink,
    PortalAttempt,
)
from extensions import db

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits, 43 characters
DEFAULT_LIFETIME = timedelta(days=365)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class PortalError(UserError):
    """The client's request cannot be done; str(e) is a polite French sentence."""


# --- links -------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token: what the database is searched by."""
    return hashlib.sha256(token.encode()).hexdigest()


def _pad(secret: bytes, token_sha256: str) -> bytes:
    # A one-time pad per link: HMAC-SHA256 of the link's own hash under the app's secret.
    return hmac.new(secret, b"encaisse client link:" + token_sha256.encode(), hashlib.sha256).digest()


def seal(token: str, secret: bytes) -> str:
    """The token as stored: its 32 random bytes XOR a pad only SECRET_KEY can rebuild (hex)."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    if len(raw) != TOKEN_BYTES:
        raise ValueError("a client-link token is 32 random bytes")
    return bytes(a ^ b for a, b in zip(raw, _pad(secret, hash_token(token)), strict=True)).hex()


def unseal(link: DocumentLink, secret: bytes) -> str:
    """The clear token of a stored link (kept on the object for this process)."""
    raw = bytes(a ^ b for a, b in zip(bytes.fromhex(link.token_sealed), _pad(secret, link.token_sha256), strict=True))
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    if hash_token(token) != link.token_sha256:
        raise ValueError(f"link {link.id}: SECRET_KEY is not the one it was created with")
    link.__dict__["_clear_token"] = token
    return token


def live_link(doc: Document) -> DocumentLink | None:
    """The document's link that is not revoked (it may have expired)."""
    return db.session.scalar(select(DocumentLink).where(DocumentLink.document_id == doc.id,
                                                        DocumentLink.revoked_at.is_(None)))


def can_have_link(doc: Document) -> bool:
    """Issued documents only: a draft is never reachable from outside."""
    return doc.is_issued


def ensure_link(doc: Document, actor=None, *, secret: bytes, now: datetime | None = None,
                lifetime: timedelta | None = DEFAULT_LIFETIME) -> DocumentLink:
    """The document's live link, created on first use (an expired one is replaced).

    Two first uses at the same time agree on one link: the partial unique index lets only
    one live link exist, and the loser reads the winner's.
    """
    if not can_have_link(doc):
        raise PortalError("Un brouillon n'a pas de lien client : émettez d'abord le document.")
    now = now or utcnow()
    link = live_link(doc)
    if link is not None and link.is_live(now):
        unseal(link, secret)
        return link
    if link is not None:  # expired: retire it so a fresh one can take its place
        link.revoked_at = now
        db.session.flush()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = DocumentLink(company_id=doc.company_id, document_id=doc.id, token_sealed=seal(token, secret),
                        token_sha256=hash_token(token), created_at=now, created_by_id=getattr(actor, "id", None),
                        expires_at=now + lifetime if lifetime else None)
    link.__dict__["_clear_token"] = token
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError:
        existing = live_link(doc)
        if existing is None:
            raise
        unseal(existing, secret)
        return existing
    events.record(doc.company_id, "link_created", document=doc, actor=actor, at=now,
                  actor_label="" if actor is not None else "automatique")
    return link


def revoke_link(doc: Document, actor, *, now: datetime | None = None) -> bool:
    """Stop the live link from working (True if there was one). The next e-mail creates a new link."""
    now = now or utcnow()
    link = live_link(doc)
    if link is None:
        return False
    link.revoked_at = now
    link.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    events.record(doc.company_id, "link_revoked", document=doc, actor=actor, at=now)
    return True


def regenerate_link(doc: Document, actor, *, secret: bytes, now: datetime | None = None,
                    lifetime: timedelta | None = DEFAULT_LIFETIME) -> DocumentLink:
    """Revoke the current link and create a new one (the old URL stops working at once)."""
    now = now or utcnow()
    revoke_link(doc, actor, now=now)
    return ensure_link(doc, actor, secret=secret, now=now, lifetime=lifetime)


def resolve(token: str, *, now: datetime | None = None) -> DocumentLink | None:
    """The live link of an issued document for this token, else None.

    Unknown, malformed, revoked, expired and draft all give None: the caller answers
    them with one and the same page.
    """
    if not token or not _TOKEN_RE.match(token):
        return None
    now = now or utcnow()
    link = db.session.scalar(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .options(contains_eager(DocumentLink.document))
        .where(DocumentLink.token_sha256 == hash_token(token))
    )
    if link is None or not link.is_live(now) or not link.document.is_issued:
        return None
    if link.document.company_id != link.company_id:  # never true; a cheap guard against a bad row
        return None
    link.__dict__["_clear_token"] = token
    return link


# --- throttle ----------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    max_per_link: int = 10
    max_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)


def throttled(link: DocumentLink | None, ip: str, action: str, throttle: Throttle,
              *, now: datetime | None = None) -> bool:
    """True when this IP or this link posted too often recently; else the attempt is recorded.

    Counted in the database (like logins), so the limit holds across gunicorn workers.
    """
    now = now or utcnow()
    since = now - throttle.window
    ip = (ip or "?")[:45]
    by_ip = db.session.scalar(select(func.count(PortalAttempt.id)).where(PortalAttempt.ip == ip,
                                                                         PortalAttempt.at >= since)) or 0
    if by_ip >= throttle.max_per_ip:
        return True
    if link is not None:
        by_link = db.session.scalar(select(func.count(PortalAttempt.id)).where(PortalAttempt.link_id == link.id,
                                                                               PortalAttempt.at >= since)) or 0
        if by_link >= throttle.max_per_link:
            return True
    db.session.add(PortalAttempt(link_id=link.id if link is not None else None, ip=ip, action=action, at=now))
    db.session.flush()
    return False


# --- what the client does ------------------------------------------------------------


# --- telling the artisan -------------------------------------------------------------


