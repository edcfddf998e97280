"""The audit trail: security events reach the "encaisse.security" logger, one line each,
without secrets.

Logins (ok, failed, throttled), logout, password changes, users added, access to another
company's objects (denied) and CSRF refusals (artisan side and public portal).
"""

from __future__ import annotations

import logging

import pytest

from extensions import db
from tests.support.builders import make_company, make_user
from tests.support.config import TEST_PASSWORD
from tests.support.world import build_world

LOGGER = "encaisse.security"
LOGIN = {"email": "artisan@test.example.fr", "password": TEST_PASSWORD}


@pytest.fixture
def audit(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == LOGGER]

    return lines


def test_logins_logout_and_account_changes_are_audited(app, client, world, audit):
    client.post("/login", data={**LOGIN, "password": "mauvais-secret-42"},
                environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert client.post("/login", data=LOGIN, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 303
    client.post("/settings/password", data={"current_password": "pas le bon", "new_password": "nouveau-secret-2026",
                                            "confirm": "nouveau-secret-2026"})
    client.post("/settings/password", data={"current_password": TEST_PASSWORD, "new_password": "nouveau-secret-2026",
                                            "confirm": "nouveau-secret-2026"})
    client.post("/settings/users", data={"name": "Léa", "email": "lea@example.fr", "password": "provisoire-2026"})
    client.post("/logout", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    log = audit()
    uid, cid = world.user_id, world.company_id
    expected = [
        "login failed email=artisan@test.example.fr ip=203.0.113.5",
        f"login ok user={uid} company={cid} ip=203.0.113.5",
        f"password change refused user={uid} (wrong current password)",
        f"password changed user={uid} company={cid} (other sessions revoked)",
        f"logout user={uid} ip=203.0.113.5",
    ]
    for line in expected:
        assert line in log, (line, log)
    assert any(line.startswith("user added user=") and f"company={cid}" in line for line in log), log
    assert not any(secret in line for line in log for secret in
                   ("mauvais-secret-42", TEST_PASSWORD, "nouveau-secret-2026", "provisoire-2026"))


def test_throttled_login_is_audited(app_config, app_factory, world, audit):
    app = app_factory({**app_config, "LOGIN_MAX_FAILURES_PER_EMAIL": 2})
    for _ in range(3):
        app.test_client().post("/login", data={**LOGIN, "password": "faux"},
                               environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert "login throttled email=artisan@test.example.fr ip=203.0.113.8" in audit()


def test_access_to_another_companys_objects_is_audited(app, client, world, audit):
    with app.app_context():
        other = make_company("Entreprise B", siret="55210055400013")
        make_user(other, email="b@b.example.fr")
        db.session.flush()
        theirs = build_world(other.id)
    client.post("/login", data=LOGIN)
    assert client.get(f"/invoices/{theirs.invoice_id}/pdf").status_code == 404
    assert client.post(f"/clients/{theirs.client_id}/archive").status_code == 404
    log = audit()
    assert f"denied Document id={theirs.invoice_id} user={world.user_id} company={world.company_id}" in log
    assert f"denied Client id={theirs.client_id} user={world.user_id} company={world.company_id}" in log


def test_csrf_refusals_are_audited_everywhere(app_config, app_factory, world, audit):
    """Artisan routes, the portal blueprint's own routes and its public pages all log the refusal."""
    app = app_factory({**app_config, "WTF_CSRF_ENABLED": True})
    browser = app.test_client()
    urls = ("/login", f"/documents/{world.invoice_id}/client-link", f"/c/{world.open_quote_token}/accept")
    for url in urls:
        assert browser.post(url, data={}, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 400
    log = audit()
    for url in urls:
        assert any(line.startswith(f"csrf refused path={url} ip=203.0.113.9 reason=") for line in log), (url, log)


def test_portal_throttling_is_audited(app_config, app_factory, world, audit):
    app = app_factory({**app_config, "PORTAL_MAX_ATTEMPTS_PER_LINK": 1})
    for _ in range(2):
        app.test_client().post(f"/c/{world.open_quote_token}/refuse", data={"reason": "x"},
                               environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert any(line.startswith("portal throttled action=refuse link=") and line.endswith("ip=203.0.113.10")
               for line in audit())


def test_an_audit_entry_cannot_be_forged_with_a_newline(app_config, app_factory, client, world, audit, caplog):
    forged = "x@example.fr\nINFO encaisse.security login ok user=1 company=1 ip=10.0.0.1"
    client.post("/login", data={"email": forged, "password": "faux"})
    csrf_app = app_factory({**app_config, "WTF_CSRF_ENABLED": True})
    assert csrf_app.test_client().post("/c/x%0Alogin%20ok%20user=1/accept").status_code == 400
    records = [r for r in caplog.records if r.name == LOGGER]
    assert records
    for record in records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message, message
    log = audit()
    assert "login failed email=x@example.fr\\ninfo encaisse.security login ok user=1 company=1 ip=10.0.0.1 " \
           "ip=127.0.0.1" in log
    assert any(line.startswith("csrf refused path=/c/x\\nlogin ok user=1/accept ") for line in log), log
