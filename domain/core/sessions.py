"""Server-side sessions: each logged-in browser is a UserSession row.

The browser's cookie holds a random key; the row holds its SHA-256, the session's data, when it
started and when it was last seen. Ending a session deletes its row: the cookie, and any copy
of it, is worth nothing from then on (a signed cookie stayed valid for its whole lifetime,
logout or not). Sessions end at logout, for the other devices when the password changes, for
every device after a password reset or when an owner deactivates the user, and one by one from
the "Appareils connectés" list.

Two lifetimes, checked on every request with the settings of the moment: `idle` (no request
for that long) and `absolute` (since login, whatever the activity). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, Delete, delete, or_, select, update
from sqlalchemy.orm import joinedload

from domain.core import roles
from domain.core.conditional import rows_changed
from domain.core.models import User, UserSession
from domain.core.secrets_digest import digest, new_secret
from extensions import db

# last_seen_at is written at most this often per session (a write per request would take
# SQLite's write lock on every page view); the idle lifetime is that much less precise.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives without a request (`idle`) and at most (`absolute`)."""

    idle: timedelta
    absolute: timedelta


def start(user: User, *, ip: str, user_agent: str, now: datetime) -> tuple[UserSession, str]:
    """A new session for this user; returns the row and the key for the cookie (shown once)."""
    key = new_secret()
    record = UserSession(key_hash=digest(key), user_id=user.id, company_id=user.company_id, data="",
                         created_at=now, last_seen_at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500])
    db.session.add(record)
    db.session.flush()
    return record, key


def _live(now: datetime, lifetimes: Lifetimes):
    return (UserSession.created_at > now - lifetimes.absolute, UserSession.last_seen_at > now - lifetimes.idle)


def find_live(key: str, *, now: datetime, lifetimes: Lifetimes) -> UserSession | None:
    """The session a cookie's key opens, if it has not ended nor expired (its user and company
    come in the same query: the request needs them next)."""
    if not key or len(key) > 100:
        return None
    return db.session.scalar(select(UserSession).options(joinedload(UserSession.user))
                             .where(UserSession.key_hash == digest(key), *_live(now, lifetimes)))


def save(session_id: int, *, data: str | None, now: datetime) -> None:
    """Store the session's data (None: unchanged) and mark it seen now."""
    values: dict = {"last_seen_at": now}
    if data is not None:
        values["data"] = data
    rows_changed(update(UserSession).where(UserSession.id == session_id).values(**values))


def touch_due(last_seen_at: datetime, now: datetime) -> bool:
    """True when last_seen_at is old enough to be written again."""
    return now - last_seen_at >= TOUCH_EVERY


def end(session_id: int) -> None:
    """End one session (its cookie, and every copy of it, stops working)."""
    db.session.execute(delete(UserSession).where(UserSession.id == session_id))


def end_all(user: User, *, keep: int | None = None) -> int:
    """End every session of a user (but `keep`, the one in use); how many ended."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return _deleted(stmt)


def _deleted(stmt: Delete) -> int:
    return cast(CursorResult, db.session.execute(stmt.execution_options(synchronize_session=False))).rowcount


def purge_expired(*, now: datetime, lifetimes: Lifetimes) -> int:
    """Delete the rows of sessions past either lifetime (called at each login)."""
    stmt = delete(UserSession).where(or_(UserSession.created_at <= now - lifetimes.absolute,
                                         UserSession.last_seen_at <= now - lifetimes.idle))
    return _deleted(stmt)


def visible_to(actor: User, *, now: datetime, lifetimes: Lifetimes) -> list[UserSession]:
    """The live sessions a person sees in "Appareils connectés": their own; an owner sees every
    session of the company (to end a lost tablet's, or a colleague's)."""
    query = select(UserSession).options(joinedload(UserSession.user)).where(*_live(now, lifetimes))
    if roles.can_manage_company(actor):
        query = query.where(UserSession.company_id == actor.company_id)
    else:
        query = query.where(UserSession.user_id == actor.id)
    return list(db.session.scalars(query.order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def can_end(actor: User, record: UserSession) -> bool:
    """Anyone ends their own sessions; an owner ends any session of the company."""
    if record.company_id != actor.company_id:
        return False
    return record.user_id == actor.id or roles.can_manage_company(actor)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"),
             ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPad", "iPad"), ("iPhone", "iPhone"), ("Android", "Android"), ("Windows", "Windows"),
            ("Macintosh", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """"Chrome sur Android", from a User-Agent header (good enough to recognise one's devices)."""
    ua = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), "")
    system = next((name for marker, name in _SYSTEMS if marker in ua), "")
    if browser and system:
        return f"{browser} sur {system}"
    return browser or system or "Appareil inconnu"
