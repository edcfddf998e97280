"""Sessions kept in the database (domain.core.sessions) behind Flask's SessionInterface.

A logged-in browser's cookie holds only a random key; the session's data lives in its
user_sessions row, so ending the row ends the session wherever the cookie was copied to.
Visitors who are not logged in (the login page, a client on the portal) keep Flask's signed
cookie with their CSRF token and messages: no row per anonymous visit, so nobody can fill the
table by requesting pages. A login never lives in a signed cookie: login keys found there (a
cookie issued before this version, or planted) are dropped.

The stored session is read when the request opens its session, with its user and company in
the same query (Flask-Login then finds the user without another one); that read transaction
ends at once, so the view's first query opens its own, with the write intent the request's
hooks decided (BEGIN IMMEDIATE on SQLite for a POST, or a public GET that records a view).
Writes happen when the session is saved, after the view, in their own transaction: whatever the
view left uncommitted is discarded first, as it would be at teardown. `last_seen_at` is written
at most once a minute (domain.core.sessions.TOUCH_EVERY).
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import login_user, logout_user
from itsdangerous import BadSignature
from werkzeug.datastructures import CallbackDict

import database
from domain.core import sessions
from domain.core.orm import utcnow
from extensions import db
from web.http import client_ip

# What Flask-Login keeps in the session: a login lives in a stored session only.
LOGIN_KEYS = frozenset({"_user_id", "_fresh", "_id", "_remember", "_remember_seconds"})


class ServerSession(CallbackDict, SessionMixin):
    """The session of one request: its data, and which stored session (if any) it is."""

    def __init__(self, initial=None, *, key: str | None = None, record_id: int | None = None,
                 created_at: datetime | None = None, last_seen_at: datetime | None = None,
                 ended: bool = False, static: bool = False) -> None:
        def on_update(self) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)
        self.key = key  # the cookie's key of a stored session (None: not logged in)
        self.record_id = record_id
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.new_key = False  # set at login: the cookie must be sent
        self.ended = ended  # the cookie named a session that has ended: replace or delete it
        self.static = static  # a static file: the session is neither read nor saved
        self.loaded_user = None
        self.modified = False
        self.accessed = False


def lifetimes(app: Flask) -> sessions.Lifetimes:
    """The idle and absolute lifetimes from the settings."""
    config = app.config
    return sessions.Lifetimes(idle=config["SESSION_IDLE_LIFETIME"], absolute=config["SESSION_ABSOLUTE_LIFETIME"])


class DatabaseSessionInterface(SecureCookieSessionInterface):
    """Stored sessions for logged-in users, Flask's signed cookie for anonymous visitors.

    Stored session keys are URL-safe base64 (no dot); a signed cookie always has dots."""

    def get_cookie_secure(self, app: Flask) -> bool:
        # Secure whenever the request came over HTTPS, so a tablet on plain http://127.0.0.1 still works.
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def open_session(self, app: Flask, request) -> ServerSession | None:  # type: ignore[override]
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        if app.static_url_path and request.path.startswith(app.static_url_path + "/"):
            return ServerSession(static=True)
        raw = request.cookies.get(self.get_cookie_name(app)) or ""
        if raw and "." not in raw:
            return self._open_stored(app, raw)
        data: dict = {}
        if raw:
            try:
                data = signer.loads(raw, max_age=int(app.permanent_session_lifetime.total_seconds()))
            except BadSignature:
                data = {}
        return ServerSession({k: v for k, v in data.items() if k not in LOGIN_KEYS})

    def _open_stored(self, app: Flask, key: str) -> ServerSession:
        record = sessions.find_live(key, now=utcnow(), lifetimes=lifetimes(app))
        if record is None:
            opened = ServerSession(ended=True)
        else:
            opened = ServerSession(self.serializer.loads(record.data) if record.data else {}, key=key,
                                   record_id=record.id, created_at=record.created_at,
                                   last_seen_at=record.last_seen_at)
            # The identity map holds rows weakly: keep the user loaded with the session, so that
            # Flask-Login's loader finds it there instead of querying it again.
            opened.loaded_user = record.user
        _end_read()
        return opened

    def save_session(self, app: Flask, session: SessionMixin, response) -> None:  # type: ignore[override]
        assert isinstance(session, ServerSession)
        if session.static:
            return
        if session.accessed:
            response.vary.add("Cookie")
        if session.key is not None and session.record_id is not None:
            if session.get("_user_id"):
                self._save_stored(app, session, response)
                return
            # Logged out some other way than log_out(): the stored session ends all the same.
            record_id = session.record_id
            _write(lambda: sessions.end(record_id))
            session.key, session.record_id, session.ended = None, None, True
        self._save_signed(app, session, response)

    def _save_stored(self, app: Flask, session: ServerSession, response) -> None:
        now = utcnow()
        data = self.serializer.dumps(dict(session)) if session.modified else None
        record_id = session.record_id
        assert record_id is not None
        if data is not None or session.new_key or session.last_seen_at is None or sessions.touch_due(
                session.last_seen_at, now):
            _write(lambda: sessions.save(record_id, data=data, now=now))
        if session.new_key and session.key:
            self._set_cookie(app, response, session.key, expires=(session.created_at or now) + lifetimes(app).absolute)

    def _save_signed(self, app: Flask, session: ServerSession, response) -> None:
        data = {k: v for k, v in session.items() if k not in LOGIN_KEYS}
        if not data:
            if session.modified or session.ended:
                response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                                       path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
                                       samesite=self.get_cookie_samesite(app), httponly=self.get_cookie_httponly(app))
                response.vary.add("Cookie")
            return
        if session.modified or session.ended:
            signer = self.get_signing_serializer(app)
            assert signer is not None
            self._set_cookie(app, response, signer.dumps(data), expires=None)  # until the browser closes

    def _set_cookie(self, app: Flask, response, value: str, *, expires) -> None:
        response.set_cookie(self.get_cookie_name(app), value, expires=expires, httponly=self.get_cookie_httponly(app),
                            domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")


def _end_read() -> None:
    """End the session read's transaction, keeping what it loaded (the user and the company):
    the view's first query then begins a transaction of its own."""
    orm_session = db.session()
    orm_session.expire_on_commit = False
    try:
        orm_session.commit()
    finally:
        orm_session.expire_on_commit = True


def _write(action) -> None:
    """Run a session write in its own transaction, after the request's work.

    What the view did not commit is discarded first (as teardown would), so this never commits
    half of a view's work, and on SQLite the write lock is taken up front."""
    db.session.rollback()
    with database.write_intent():
        action()
        db.session.commit()


def _current() -> ServerSession:
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession), "DatabaseSessionInterface is not installed"
    return current


def log_in(user) -> None:
    """Start a new stored session for this user, in the caller's transaction (the caller commits).

    A fresh key every time: whatever the browser carried before (a planted or shared session)
    is gone. Expired sessions of everybody are purged on the way."""
    current = _current()
    now = utcnow()
    if current.record_id is not None:
        sessions.end(current.record_id)
    sessions.purge_expired(now=now, lifetimes=lifetimes(current_app))
    record, key = sessions.start(user, ip=client_ip(), user_agent=request.headers.get("User-Agent", ""), now=now)
    current.clear()
    current.key, current.record_id, current.created_at, current.last_seen_at = key, record.id, now, now
    current.new_key, current.ended = True, False
    login_user(user)
    current.permanent = True


def log_out() -> None:
    """End the current stored session (in the caller's transaction) and forget the login."""
    current = _current()
    if current.record_id is not None:
        sessions.end(current.record_id)
    logout_user()
    current.clear()
    current.key, current.record_id, current.ended = None, None, True


def current_session_id() -> int | None:
    """The id of the stored session of this request (None: not logged in)."""
    return _current().record_id
