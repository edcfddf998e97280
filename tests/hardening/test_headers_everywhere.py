"""Security headers on every response the application can give, cookie flags, session renewal
at login, login throttling.

Every GET route of the URL map is requested logged in, with the ids of the company's own
objects, as a page and as an htmx fragment; error answers (400, 404, 405, 413, 429, 500) and
the public portal pages are checked too.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.support.config import TEST_PASSWORD
from tests.support.pages import HX
from tests.support.routes import rules, url_of

LOGIN = {"email": "artisan@test.example.fr", "password": TEST_PASSWORD}
PUBLIC_ENDPOINTS = {"portal.page", "portal.pdf", "portal.accept", "portal.refuse", "portal.promise", "portal.pixel",
                    "auth.reset_password", "auth.verify", "auth.confirm_email"}  # (the token is in the URL)


def assert_security_headers(r, where: str) -> None:
    h = r.headers
    csp = h.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "unsafe-inline" not in directives.get("script-src", "unsafe-inline"), f"{where}: {csp!r}"
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp, f"{where}: {csp!r}"
    assert directives.get("frame-ancestors") == "'none'", f"{where}: {csp!r}"
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer"), where
    assert "HX-Request" in h.get("Vary", ""), where


def login(client, **kw):
    r = client.post("/login", data=LOGIN, **kw)
    assert r.status_code == 303, r.status_code
    return r


def get_routes(app):
    for rule, _ in rules(app, methods={"GET"}):
        yield rule


def test_every_get_route_sends_the_security_headers(app, client, world):
    login(client)
    checked = set()
    for rule in get_routes(app):
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        for headers in ({}, HX):
            with client.get(url, headers=headers) as r:
                r.get_data()
            where = f"GET {url} {headers}"
            assert r.status_code < 500, where
            assert_security_headers(r, where)
            if rule.endpoint in PUBLIC_ENDPOINTS:
                assert r.headers["Referrer-Policy"] == "no-referrer", where  # the token is in the URL
                assert r.headers["Cache-Control"] == "no-store", where
            elif r.mimetype == "text/html":
                assert r.headers["Referrer-Policy"] == "same-origin", where
                assert r.headers.get("Cache-Control") == "no-store", where  # shared tablets
            elif r.mimetype == "application/pdf":
                assert "no-store" in r.headers["Cache-Control"] or "private" in r.headers["Cache-Control"], where
            if r.mimetype == "text/html":
                _assert_csp_compatible(r.get_data(as_text=True), where)
        checked.add(rule.endpoint)
    assert {"invoices.pdf", "quotes.pdf", "clients.statement", "portal.pdf", "portal.pixel", "static",
            "reminders.panel", "portal.lifecycle", "invoices.client_summary"} <= checked
    assert len(checked) >= 35


def _assert_csp_compatible(page: str, where: str) -> None:
    """What the CSP would block silently: inline scripts, event handler attributes, inline styles."""
    for tag in re.findall(r"<script\b[^>]*>", page, flags=re.I):
        assert "src=" in tag, f"{where}: inline script {tag}"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page, flags=re.I), f"{where}: inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", page, flags=re.I), f"{where}: inline style attribute"
    assert "javascript:" not in page.lower(), where


def test_public_pages_and_their_errors_send_no_referrer(app, world):
    browser = app.test_client()
    for url in (f"/c/{world.invoice_token}", f"/c/{world.invoice_token}/pdf", "/c/not-a-token", "/c/not-a-token/pdf",
                f"/t/{world.invoice_token}.gif"):
        r = browser.get(url)
        assert_security_headers(r, url)
        assert r.headers["Referrer-Policy"] == "no-referrer", url
        assert r.headers["Cache-Control"] == "no-store", url
        assert "noindex" in r.headers["X-Robots-Tag"], url
    r = browser.post(f"/c/{world.open_quote_token}/accept", data={})  # form errors, no CSRF in this app
    assert r.headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PROPAGATE_EXCEPTIONS": False, "PORTAL_MAX_ATTEMPTS_PER_LINK": 2,
            "MAX_CONTENT_LENGTH": 64 * 1024}


def test_error_answers_send_the_security_headers(app, client, world):
    @app.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    login(client)
    answers = {
        "404": client.get("/nimporte/quoi"),
        "404 id": client.get("/clients/99999999999999999999999"),
        "405": client.put("/clients/"),
        "413": client.post("/clients/new", data={"name": "x" * 100_000}),
        "500": client.get("/__boom"),
    }
    for _ in range(3):
        answers["429"] = app.test_client().post(f"/c/{world.open_quote_token}/refuse", data={"reason": "x"},
                                                environ_base={"REMOTE_ADDR": "203.0.113.9"})
    csrf_app = app  # CSRF is off in tests; the 400 comes from a CSRF-enabled twin below
    assert csrf_app is app
    for name, r in answers.items():
        assert r.status_code == int(name.split()[0]), (name, r.status_code)
        assert_security_headers(r, name)
        assert "boom" not in r.get_data(as_text=True)  # no traceback, no detail
    assert answers["429"].headers["Referrer-Policy"] == "no-referrer"


def test_csrf_error_sends_the_security_headers(app_config, app_factory, world):
    app = app_factory({**app_config, "WTF_CSRF_ENABLED": True})
    for url in ("/login", f"/c/{world.open_quote_token}/accept"):
        r = app.test_client().post(url, data={}, headers=HX)
        assert r.status_code == 400
        assert_security_headers(r, url)


# --- cookies and sessions ---------------------------------------------------------------


def _cookie(response, name: str) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}="))


@pytest.mark.parametrize(("base_url", "environ", "secure"), [
    ("http://localhost", {}, False),
    ("https://localhost", {}, True),
])
def test_session_cookie_flags(app, world, base_url, environ, secure):
    r = login(app.test_client(), base_url=base_url, environ_base=environ)
    cookie = _cookie(r, "encaisse_session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert ("Secure" in cookie) is secure
    if secure:
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_proxy_the_cookie_is_secure(app_config, app_factory, world):
    """ENCAISSE_PROXY_FIX_COUNT=1 behind an HTTPS reverse proxy: X-Forwarded-Proto makes it Secure."""
    app = app_factory({**app_config, "PROXY_FIX_COUNT": 1})
    r = login(app.test_client(), headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"})
    assert "Secure" in _cookie(r, "encaisse_session")


def test_session_is_renewed_at_login(app, client, world):
    """Whatever was in the session before login (planted by someone else, or left by a
    previous visitor of a shared tablet) is gone after it."""
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        sess["_user_id"] = "999:0"
    before = client.get_cookie("encaisse_session").value
    login(client)
    after = client.get_cookie("encaisse_session").value
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{world.user_id}:")
        assert sess.permanent


def test_logout_ends_the_session(app, client, world):
    login(client)
    stolen = client.get_cookie("encaisse_session").value
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302
    # The session is stored server-side: a copy of the cookie taken before logout is worthless
    # after it (a signed cookie used to carry the login for its whole lifetime).
    thief = app.test_client()
    thief.set_cookie("encaisse_session", stolen)
    assert thief.get("/").status_code == 302
    # …and a password change ends every other session.
    login(thief)
    login(client)
    client.post("/settings/password", data={"current_password": TEST_PASSWORD, "new_password": "nouveau-secret-2026",
                                            "confirm": "nouveau-secret-2026"})
    assert thief.get("/").status_code == 302


# --- login throttling ---------------------------------------------------------------------


def test_login_throttled_per_email_and_per_ip(app_config, app_factory, world):
    app = app_factory({**app_config, "LOGIN_MAX_FAILURES_PER_EMAIL": 3, "LOGIN_MAX_FAILURES_PER_IP": 5,
                       "LOGIN_WINDOW": timedelta(minutes=15)})
    attacker = {"REMOTE_ADDR": "203.0.113.66"}

    def attempt(email, password, environ):
        return app.test_client().post("/login", data={"email": email, "password": password}, environ_base=environ)

    for _ in range(3):
        assert "incorrect" in attempt(LOGIN["email"], "devine", attacker).text
    # Per e-mail: even the right password, from anywhere, waits for the window to pass.
    r = attempt(LOGIN["email"], TEST_PASSWORD, {"REMOTE_ADDR": "198.51.100.1"})
    assert r.status_code == 200 and "Trop de tentatives" in r.text

    # Per IP: spraying other addresses from one IP is stopped too, other IPs are not.
    for n in range(2):
        attempt(f"inconnu{n}@example.fr", "devine", attacker)
    assert "Trop de tentatives" in attempt("autre@example.fr", "devine", attacker).text
    assert "incorrect" in attempt("autre@example.fr", "devine", {"REMOTE_ADDR": "198.51.100.2"}).text
