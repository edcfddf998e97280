"""Roles, route by route from the URL map (a route added later is covered without editing this file):

- an accountant is read-only: every request that changes something is refused (403) and the
  database is unchanged, except the person's own account (ACCOUNT_ENDPOINTS, listed here
  on purpose: growing that list is a decision to review); every page and PDF still opens;
- staff gets 403 on every route of the company's settings (identity, bank details, users)
  but their own account, and works on documents.

403, not 404: inside their own company these pages exist and people know it; the 404 is kept
for another company's ids (tests/http/test_tenancy.py).
"""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from domain.core import roles
from domain.core.models import User
from extensions import db
from tests.support.builders import make_user
from tests.support.config import TEST_PASSWORD
from tests.support.routes import SAFE_METHODS, rules, url_of
from web.roles import ACCOUNT_ENDPOINTS, OWNER_ENDPOINTS

EXPECTED_ACCOUNT_ENDPOINTS = {"auth.logout", "settings.account", "settings.change_password",
                              "settings.end_session", "settings.end_other_sessions", "auth.forgot_password",
                              "auth.reset_password", "auth.confirm_email", "auth.resend_verification"}
PUBLIC_GET = {"portal.page", "portal.pdf", "portal.pixel", "portal.lifecycle"}
# Owner-only outside the settings blueprint: where invoices go (the e-invoicing platform).
EXPECTED_OWNER_ENDPOINTS = {"einvoicing.settings", "einvoicing.save_settings", "einvoicing.test_connection",
                            "einvoicing.save_filing"}


def owners_only(endpoint: str) -> bool:
    return (endpoint.startswith("settings.") and endpoint not in ACCOUNT_ENDPOINTS) or endpoint in OWNER_ENDPOINTS


@pytest.fixture
def people(app, world):
    """A staff member and an accountant in the world's company."""
    with app.app_context():
        company = db.session.get(User, world.user_id).company
        for email, role in (("staff@test.example.fr", roles.STAFF), ("compta@test.example.fr", roles.ACCOUNTANT)):
            make_user(company, email=email, name=role).role = role
        db.session.commit()
    return {"staff": "staff@test.example.fr", "accountant": "compta@test.example.fr"}


def login_as(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD}).status_code == 303
    return client


def snapshot(app) -> dict:
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in ("user_sessions", "login_attempts")]
        return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in tables}


def test_the_account_endpoints_are_exactly_these():
    assert ACCOUNT_ENDPOINTS == EXPECTED_ACCOUNT_ENDPOINTS
    assert OWNER_ENDPOINTS == EXPECTED_OWNER_ENDPOINTS


def test_an_accountant_changes_nothing_anywhere(app, world, people):
    accountant = login_as(app, people["accountant"])
    before = snapshot(app)
    refused = set()
    for rule, method in rules(app):
        if method in SAFE_METHODS or rule.rule.startswith("/static/") or rule.endpoint in ACCOUNT_ENDPOINTS:
            continue
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        for headers in ({}, {"HX-Request": "true"}):
            r = accountant.open(url, method=method, headers=headers, data={"token": "t-" + rule.endpoint})
            assert r.status_code == 403, f"{method} {url} {headers} -> {r.status_code}"
        refused.add(rule.endpoint)
    assert snapshot(app) == before, "a refused request changed the database"
    assert len(refused) >= 60
    assert {"invoices.record_payment", "settings.save", "settings.add_user", "quotes.create"} <= refused
    assert "lecture seule" in html.unescape(accountant.post("/clients/new", data={"name": "X"}).text)


def test_an_accountant_reads_and_exports_everything_but_the_settings(app, world, people):
    accountant = login_as(app, people["accountant"])
    opened = set()
    for rule, _method in rules(app, methods={"GET"}):
        if rule.rule.startswith("/static/") or rule.endpoint in PUBLIC_GET:
            continue
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        with accountant.get(url) as r:
            expected = 403 if owners_only(rule.endpoint) else None
            if expected:
                assert r.status_code == 403, url
            else:
                assert r.status_code not in (401, 403) and r.status_code < 500, f"GET {url} -> {r.status_code}"
                opened.add(rule.endpoint)
    assert {"invoices.pdf", "quotes.pdf", "clients.statement", "dashboard.index", "settings.account"} <= opened
    pdf = accountant.get(f"/invoices/{world.invoice_id}/pdf?download=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    statement = accountant.get(f"/clients/{world.client_id}/statement.pdf")
    assert statement.status_code == 200 and statement.mimetype == "application/pdf"
    page = html.unescape(accountant.get("/").text)
    assert "Accès en lecture seule" in page and "Mon compte" in page and 'href="/settings/"' not in page


def test_staff_gets_403_on_the_company_settings_and_works_on_documents(app, world, people):
    staff = login_as(app, people["staff"])
    before = snapshot(app)
    checked = set()
    for rule, method in rules(app):
        if not owners_only(rule.endpoint):
            continue
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        r = staff.open(url, method=method, data={"iban": "FR7630006000011234567890189", "name": "Pirate",
                                                 "email": "pirate@example.fr", "password": "mot-de-passe-pirate",
                                                 "role": "owner"})
        assert r.status_code == 403, f"{method} {url} -> {r.status_code}"
        assert "réservés au titulaire" in html.unescape(r.text)
        checked.add(rule.endpoint)
    assert snapshot(app) == before
    assert {"settings.index", "settings.save", "settings.logo", "settings.add_user", "settings.change_role",
            "settings.deactivate_user", "settings.reactivate_user", *EXPECTED_OWNER_ENDPOINTS} <= checked
    # their own account, and the daily work
    assert staff.get("/settings/account").status_code == 200
    r = staff.post("/clients/new", data={"kind": "particulier", "name": "Client du collaborateur"})
    assert r.status_code == 303
    page = html.unescape(staff.get("/").text)
    assert "Mon compte" in page and 'href="/settings/"' not in page
