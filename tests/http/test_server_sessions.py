"""Sessions stored server-side: logout ends them everywhere, a password change ends the others,
"Appareils connectés" ends any of them, idle and absolute lifetimes are settings.

The attacks: a session cookie copied before logout (a shared tablet, a proxy log, malware),
a login planted in a signed cookie, a database backup read by someone."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select, update

from domain.core.models import UserSession
from domain.core.orm import utcnow
from domain.core.secrets_digest import digest
from extensions import db
from tests.support.config import TEST_PASSWORD
from tests.support.pages import page_text

LOGIN = {"email": "artisan@test.example.fr", "password": TEST_PASSWORD}
TABLET_UA = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1"
OFFICE_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def browser(app, user_agent=OFFICE_UA, ip="198.51.100.7"):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": ip})
    return client


def logged_in_browser(app, **kw):
    client = browser(app, **kw)
    assert client.post("/login", data=LOGIN).status_code == 303
    return client


def cookie_of(client) -> str:
    return client.get_cookie("encaisse_session").value


def with_cookie(app, value):
    thief = app.test_client()
    thief.set_cookie("encaisse_session", value)
    return thief


def session_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(UserSession.id)))


def test_a_cookie_copied_before_logout_is_worthless_after_it(app, company):
    tablet = logged_in_browser(app)
    stolen = cookie_of(tablet)
    assert with_cookie(app, stolen).get("/").status_code == 200  # a copy works while the session lives…
    assert tablet.post("/logout").status_code == 303
    assert tablet.get("/").status_code == 302
    assert with_cookie(app, stolen).get("/").status_code == 302  # …and not a second after logout
    assert session_count(app) == 0


def test_the_database_keeps_only_a_hash_of_the_key(app, company):
    tablet = logged_in_browser(app)
    key = cookie_of(tablet)
    assert "." not in key and len(key) >= 43  # a random key, not a signed payload
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        assert row.key_hash == digest(key) and key not in (row.key_hash, row.data)


def test_anonymous_visits_store_nothing(app, company):
    visitor = app.test_client()
    for _ in range(3):
        assert visitor.get("/login").status_code == 200
    visitor.post("/login", data={**LOGIN, "password": "faux-faux-faux"})
    assert session_count(app) == 0


def test_a_login_in_a_signed_cookie_is_ignored(app, company):
    """A signed cookie carrying a login (issued by the previous version, or forged by someone who
    got the secret key) no longer logs anyone in: logins live in the database only."""
    with app.test_request_context():
        signed = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
            {"_user_id": "1:1", "_fresh": True, "_id": "x"})
    assert with_cookie(app, signed).get("/").status_code == 302


def test_a_password_change_ends_the_other_sessions_only(app, company):
    tablet, office = logged_in_browser(app, user_agent=TABLET_UA), logged_in_browser(app)
    stolen = cookie_of(office)
    new = "nouveau-2026-secret"
    r = tablet.post("/settings/password", data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new})
    assert r.status_code == 303
    assert tablet.get("/").status_code == 200
    assert office.get("/").status_code == 302
    assert with_cookie(app, stolen).get("/").status_code == 302
    assert session_count(app) == 1


def test_connected_devices_list_and_ending_one(app, company):
    tablet = logged_in_browser(app, user_agent=TABLET_UA, ip="203.0.113.40")
    office = logged_in_browser(app)
    page = page_text(office.get("/settings/account"))
    assert "Appareils connectés" in page
    assert "Safari sur iPad" in page and "Chrome sur Windows" in page and "203.0.113.40" in page
    assert page.count("cet appareil") == 1
    with app.app_context():
        tablet_id = db.session.scalar(select(UserSession.id).where(UserSession.ip == "203.0.113.40"))
    r = office.post(f"/settings/sessions/{tablet_id}/end")
    assert r.status_code == 303 and r.headers["Location"] == "/settings/account"
    assert tablet.get("/").status_code == 302  # the lost tablet is logged out
    assert office.get("/").status_code == 200
    assert "Safari sur iPad" not in page_text(office.get("/settings/account"))


def test_ending_this_device_logs_out_and_others_in_one_tap(app, company):
    phone, tablet = logged_in_browser(app, user_agent=TABLET_UA), logged_in_browser(app, ip="203.0.113.41")
    office = logged_in_browser(app)
    assert office.post("/settings/sessions/end-others").status_code == 303
    assert phone.get("/").status_code == 302 and tablet.get("/").status_code == 302
    assert office.get("/").status_code == 200
    with app.app_context():
        own = db.session.scalar(select(UserSession.id))
    r = office.post(f"/settings/sessions/{own}/end")
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert office.get("/").status_code == 302


def test_idle_lifetime(app_config, app_factory, company):
    app = app_factory({**app_config, "SESSION_IDLE_LIFETIME": 2})  # hours, as from the environment
    assert app.config["SESSION_IDLE_LIFETIME"] == timedelta(hours=2)
    tablet = logged_in_browser(app)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=119)))
        db.session.commit()
    assert tablet.get("/").status_code == 200  # still within the idle lifetime: the visit renews it
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=2, minutes=1)))
        db.session.commit()
    assert tablet.get("/").status_code == 302


def test_absolute_lifetime_whatever_the_activity(app_config, app_factory, company):
    app = app_factory({**app_config, "SESSION_ABSOLUTE_LIFETIME": 7})  # days
    tablet = browser(app)
    cookie = next(c for c in tablet.post("/login", data=LOGIN).headers.getlist("Set-Cookie")
                  if c.startswith("encaisse_session="))
    assert re.search(r"Expires=", cookie)  # a persistent cookie, until the absolute end
    with app.app_context():
        db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(days=7, minutes=1),
                                                      last_seen_at=utcnow()))
        db.session.commit()
    assert tablet.get("/").status_code == 302
    # expired rows are purged at the next login
    logged_in_browser(app)
    assert session_count(app) == 1
