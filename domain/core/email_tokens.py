"""Single-use, time-limited tokens sent by e-mail: confirming an address, resetting a password.

The link carries a random 256-bit token; the database keeps only its SHA-256, the address it
was sent to, when it expires and when it was used. Using one is a conditional update (used_at
still empty, not expired), so a link works once, even clicked twice at the same moment; a new
token of the same purpose replaces the older ones; a token sent to an address the user no
longer has is worthless. Nothing here commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from domain.core.conditional import rows_changed
from domain.core.models import AccountToken, User
from domain.core.secrets_digest import digest, new_secret
from extensions import db

VERIFY = "verify"
RESET = "reset"


def issue(user: User, purpose: str, *, lifetime: timedelta, now: datetime) -> str:
    """A new token for this user and purpose (older unused ones stop working); returns it (shown once)."""
    rows_changed(update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
                                            AccountToken.used_at.is_(None)).values(used_at=now))
    token = new_secret()
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(token), email=user.email,
                                created_at=now, expires_at=now + lifetime))
    db.session.flush()
    return token


def _usable(token: str, purpose: str, now: datetime):
    return (AccountToken.token_hash == digest(token or ""), AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None), AccountToken.expires_at > now)


def peek(token: str, purpose: str, *, now: datetime) -> User | None:
    """The user a token is for, if it can still be used (nothing is consumed: a page showing a form)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(AccountToken).where(*_usable(token, purpose, now)))
    return _owner(row)


def redeem(token: str, purpose: str, *, now: datetime) -> User | None:
    """Use the token (once): its user, or None when it is unknown, used, expired or stale."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(AccountToken).where(*_usable(token, purpose, now)))
    user = _owner(row)
    if row is None or user is None:
        return None
    won = rows_changed(update(AccountToken).where(AccountToken.id == row.id, *_usable(token, purpose, now))
                       .values(used_at=now))
    return user if won == 1 else None


def was_used(token: str, purpose: str) -> User | None:
    """The user of a token already used (to say "already confirmed" rather than "invalid")."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest(token),
                                                       AccountToken.purpose == purpose,
                                                       AccountToken.used_at.is_not(None)))
    return _owner(row)


def _owner(row: AccountToken | None) -> User | None:
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or user.email != row.email:
        return None
    return user
