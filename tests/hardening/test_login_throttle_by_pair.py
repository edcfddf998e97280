"""Login throttling that an attacker cannot turn against the owner, nor dodge with a header.

- Failures are counted per (e-mail, IP) pair: five wrong passwords from an attacker's address
  lock that address out, not the real owner logging in from elsewhere;
- a slower limit per e-mail, from every address together, still stops a guessing botnet;
- X-Forwarded-For is believed only from a configured proxy: an attacker reaching the app
  directly cannot rotate the header to look like a new client on each attempt.
"""

from __future__ import annotations

from sqlalchemy import select

from domain.core.models import LoginAttempt
from extensions import db
from tests.support.config import TEST_PASSWORD

OWNER = "artisan@test.example.fr"
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER_TABLET = {"REMOTE_ADDR": "198.51.100.20"}


def attempt(app, email, password, environ, headers=None):
    return app.test_client().post("/login", data={"email": email, "password": password}, environ_base=environ,
                                  headers=headers or {})


def test_five_wrong_passwords_from_one_ip_do_not_lock_the_owner_out(app, world):
    for _ in range(5):
        assert "incorrect" in attempt(app, OWNER, "devine-devine", ATTACKER).text
    # The attacker's address is stopped, even with the right password…
    r = attempt(app, OWNER, TEST_PASSWORD, ATTACKER)
    assert r.status_code == 200 and "Trop de tentatives" in r.text
    # …the owner, on the tablet, is not.
    assert attempt(app, OWNER, TEST_PASSWORD, OWNER_TABLET).status_code == 303


def test_a_slower_limit_per_account_holds_against_many_addresses(app_config, app_factory, world):
    app = app_factory({**app_config, "LOGIN_MAX_FAILURES_PER_EMAIL": 8, "LOGIN_EMAIL_WINDOW": 60})
    for n in range(8):
        assert "incorrect" in attempt(app, OWNER, "devine", {"REMOTE_ADDR": f"203.0.113.{n + 1}"}).text
    r = attempt(app, OWNER, TEST_PASSWORD, {"REMOTE_ADDR": "203.0.113.99"})
    assert "Trop de tentatives de connexion sur ce compte. Réessayez dans une heure" in r.text
    assert "incorrect" in attempt(app, "autre@example.fr", "devine", {"REMOTE_ADDR": "203.0.113.99"}).text


def test_a_rotating_forwarded_for_does_not_dodge_the_per_ip_limit(app_config, app_factory, world):
    """Behind a proxy on 10.0.0.5 (PROXY_FIX_COUNT=1), a client connecting directly sends a new
    X-Forwarded-For each time: its own address is what counts."""
    app = app_factory({**app_config, "PROXY_FIX_COUNT": 1, "TRUSTED_PROXIES": ["10.0.0.5"],
                       "LOGIN_MAX_FAILURES_PER_IP": 5})
    for n in range(5):
        r = attempt(app, f"inconnu{n}@example.fr", "devine", ATTACKER, {"X-Forwarded-For": f"192.0.2.{n + 1}"})
        assert "incorrect" in r.text
    r = attempt(app, "encore@example.fr", "devine", ATTACKER, {"X-Forwarded-For": "192.0.2.77"})
    assert "Trop de tentatives" in r.text
    with app.app_context():
        ips = set(db.session.scalars(select(LoginAttempt.ip)))
    assert ips == {"203.0.113.66"}


def test_forwarded_for_is_believed_from_the_configured_proxy(app_config, app_factory, world):
    """Positive control: through the proxy, each client is told apart by its forwarded address."""
    app = app_factory({**app_config, "PROXY_FIX_COUNT": 1, "TRUSTED_PROXIES": "10.0.0.0/24",
                       "LOGIN_MAX_FAILURES_PER_IP": 5})
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for n in range(6):
        r = attempt(app, f"inconnu{n}@example.fr", "devine", proxy, {"X-Forwarded-For": f"192.0.2.{n + 1}"})
        assert "incorrect" in r.text, n
    r = attempt(app, OWNER, TEST_PASSWORD, proxy, {"X-Forwarded-For": "192.0.2.50", "X-Forwarded-Proto": "https"})
    assert r.status_code == 303 and "Secure" in r.headers["Set-Cookie"]
    with app.app_context():
        ips = set(db.session.scalars(select(LoginAttempt.ip)))
    assert ips == {f"192.0.2.{n + 1}" for n in range(6)} | {"192.0.2.50"}
