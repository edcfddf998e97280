"""Roles and users: owners deactivate users (their sessions end), change roles; bank details
need the password again, are recorded, and every owner hears of them by e-mail."""

from __future__ import annotations

import html
import logging
import re

import pytest
from sqlalchemy import select

from domain.core import company as company_rules
from domain.core import roles
from domain.core.accounts import AccountError
from domain.core.models import Company, Event, User, UserSession
from extensions import db
from tests.support.builders import make_user
from tests.support.config import TEST_PASSWORD
from tests.support.forms import settings_data
from tests.support.pages import page_text

NEW_IBAN = "FR1420041010050500013M02606"
OWNER = "artisan@test.example.fr"


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


@pytest.fixture
def team(app, company):
    """A second owner, a staff member and an accountant, ids by role."""
    with app.app_context():
        c = db.session.get(Company, company)
        ids = {}
        for email, role in (("associe@test.example.fr", roles.OWNER), ("staff@test.example.fr", roles.STAFF),
                            ("compta@test.example.fr", roles.ACCOUNTANT)):
            user = make_user(c, email=email, name=f"Personne {role}")
            user.role = role
            ids[role if role != roles.OWNER else "partner"] = user.id
        ids["owner"] = db.session.scalar(select(User.id).where(User.email == OWNER))
        db.session.commit()
        return ids


def login_as(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD}).status_code == 303
    return client


def test_a_deactivated_user_is_logged_out_at_once_and_cannot_log_in(app, team):
    owner, staff = login_as(app, OWNER), login_as(app, "staff@test.example.fr")
    assert staff.get("/").status_code == 200
    r = owner.post(f"/settings/users/{team['staff']}/deactivate")
    assert r.status_code == 303
    assert staff.get("/").status_code == 302  # the open session ended
    assert "incorrect" in app.test_client().post("/login", data={"email": "staff@test.example.fr",
                                                                 "password": TEST_PASSWORD}).text
    with app.app_context():
        assert not db.session.get(User, team["staff"]).is_active_user
        assert db.session.scalar(select(UserSession.id).where(UserSession.user_id == team["staff"])) is None
    assert "accès désactivé" in page_text(owner.get("/settings/"))
    assert owner.post(f"/settings/users/{team['staff']}/reactivate").status_code == 303
    assert login_as(app, "staff@test.example.fr").get("/").status_code == 200


def test_an_owner_cannot_lock_themselves_out(app, team):
    owner = login_as(app, OWNER)
    for action in ("deactivate", "role"):
        r = owner.post(f"/settings/users/{team['owner']}/{action}", data={"role": roles.STAFF})
        assert r.status_code == 303
        assert "propre" in page_text(owner.get("/settings/"))
    with app.app_context():
        me = db.session.get(User, team["owner"])
        assert me.is_active_user and me.role == roles.OWNER


def test_owner_changes_a_role_and_it_applies_at_the_next_request(app, team):
    owner, accountant = login_as(app, OWNER), login_as(app, "compta@test.example.fr")
    assert accountant.post("/clients/new", data={"name": "X"}).status_code == 403
    assert owner.post(f"/settings/users/{team['accountant']}/role", data={"role": roles.STAFF}).status_code == 303
    assert accountant.post("/clients/new", data={"kind": "particulier", "name": "X"}).status_code == 303
    r = owner.post(f"/settings/users/{team['accountant']}/role", data={"role": "superadmin"})
    assert r.status_code == 303 and "Choisissez un rôle" in page_text(owner.get("/settings/"))


def test_new_users_are_staff_unless_chosen(app, team):
    owner = login_as(app, OWNER)
    owner.post("/settings/users", data={"name": "Léa", "email": "lea@test.example.fr", "password": "provisoire-2026"})
    owner.post("/settings/users", data={"name": "Cabinet", "email": "cabinet@test.example.fr",
                                        "password": "provisoire-2026", "role": roles.ACCOUNTANT})
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "lea@test.example.fr")) == roles.STAFF
        assert db.session.scalar(select(User.role).where(User.email == "cabinet@test.example.fr")) == roles.ACCOUNTANT


def test_staff_cannot_end_the_owners_session_but_the_owner_ends_theirs(app, team):
    owner, staff = login_as(app, OWNER), login_as(app, "staff@test.example.fr")
    with app.app_context():
        owner_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == team["owner"]))
        staff_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == team["staff"]))
    assert staff.post(f"/settings/sessions/{owner_session}/end").status_code == 404
    assert "Personne owner" not in page_text(staff.get("/settings/account"))  # not shown either
    assert owner.get("/").status_code == 200
    assert "Personne staff" in page_text(owner.get("/settings/account"))
    assert owner.post(f"/settings/sessions/{staff_session}/end").status_code == 303
    assert staff.get("/").status_code == 302


# --- bank details --------------------------------------------------------------------


def _iban(app, company) -> str:
    with app.app_context():
        return db.session.get(Company, company).iban


def test_changing_the_iban_needs_the_password(app, company, team, smtp_server):
    owner = login_as(app, OWNER)
    before = _iban(app, company)
    for password, message in (("", "Saisissez votre mot de passe pour modifier l'IBAN"),
                              ("pas le bon", "Mot de passe incorrect")):
        r = owner.post("/settings/", data=settings_data(iban=NEW_IBAN, name="Nouveau nom", confirm_password=password))
        assert r.status_code == 200
        text = page_text(r)
        assert message in text and "rien n'a été enregistré" in text
    with app.app_context():
        c = db.session.get(Company, company)
        assert (c.iban, c.name) == (before, "Plomberie Test")  # nothing at all was saved
        assert db.session.scalar(select(Event).where(Event.kind == "bank_details_changed")) is None
    assert smtp_server.sink.messages == []
    # other settings need no password
    assert owner.post("/settings/", data=settings_data(iban=before, bic="AGRIFRPP")).status_code == 303


def test_a_new_iban_is_recorded_and_every_owner_is_told(app, company, team, smtp_server, caplog):
    caplog.set_level(logging.INFO, logger="encaisse.security")
    owner = login_as(app, OWNER)
    r = owner.post("/settings/", data=settings_data(iban=NEW_IBAN, bic="PSSTFRPPXXX", confirm_password=TEST_PASSWORD))
    assert r.status_code == 303
    assert _iban(app, company) == NEW_IBAN
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "bank_details_changed"))
        assert event.actor_id == team["owner"] and event.company_id == company and event.document_id is None
        assert event.data["changes"]["iban"] == ["FR76 •••• 0189", "FR14 •••• 2606"]
        assert event.data["changes"]["bic"] == ["AGRIFRPP", "PSSTFRPPXXX"]
    assert f"bank details changed company={company} user={team['owner']} fields=iban,bic" in caplog.messages
    # one e-mail per owner, none to staff or the accountant
    recipients = sorted(m["To"] for m in smtp_server.sink.messages)
    assert recipients == ["artisan@test.example.fr", "associe@test.example.fr"]
    body = smtp_server.sink.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "Coordonnées bancaires modifiées" in smtp_server.sink.messages[0]["Subject"]
    assert "IBAN : FR76 •••• 0189 → FR14 •••• 2606" in body and "BIC : AGRIFRPP → PSSTFRPPXXX" in body
    assert "Jean Test (artisan@test.example.fr)" in body and NEW_IBAN not in body
    assert "FR14 •••• 2606" in page_text(owner.get("/settings/"))  # the history under "Banque"


PLATFORM = {"flow_base_url": "https://pa.example.fr/flow-service",
            "directory_base_url": "https://pa.example.fr/directory-service",
            "token_url": "https://pa.example.fr/oauth/token", "client_id": "artisan-42",
            "client_secret": "secret-du-client-tres-long", "webhook_secret": "", "send_syntax": "Factur-X"}


def test_changing_the_einvoicing_platform_needs_an_owner_and_the_password(app, company, team, smtp_server):
    """Where invoices go is as sensitive as where money goes: same rule as the IBAN."""
    staff = login_as(app, "staff@test.example.fr")
    assert staff.get("/einvoicing/settings").status_code == 403
    assert staff.post("/einvoicing/settings", data={**PLATFORM, "confirm_password": TEST_PASSWORD}).status_code == 403
    assert staff.post("/einvoicing/settings/filing", data={"vat_filing": "rn_mensuel"}).status_code == 403
    assert "connectez votre plateforme" not in page_text(staff.get("/")).lower()  # no link to a refused page
    owner = login_as(app, OWNER)
    for password, message in (("", "Saisissez votre mot de passe pour modifier la plateforme"),
                              ("pas le bon", "Mot de passe incorrect : la plateforme n'a pas été modifiée")):
        r = owner.post("/einvoicing/settings", data={**PLATFORM, "confirm_password": password})
        assert r.status_code == 422
        field = re.search(r'<div class="field has-error[^"]*" id="field-confirm_password">.*?</div>', r.text, re.S)
        assert field is not None and message in html.unescape(field.group(0))  # next to the password field
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.kind == "platform_configured")) is None
    assert smtp_server.sink.messages == []


def test_a_new_einvoicing_platform_is_recorded_and_every_owner_is_told(app, company, team, smtp_server):
    owner = login_as(app, OWNER)
    r = owner.post("/einvoicing/settings", data={**PLATFORM, "confirm_password": TEST_PASSWORD})
    assert r.status_code == 303, page_text(r)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "platform_configured"))
        assert event.actor_id == team["owner"] and event.company_id == company
    recipients = sorted(m["To"] for m in smtp_server.sink.messages)
    assert recipients == ["artisan@test.example.fr", "associe@test.example.fr"]
    message = smtp_server.sink.messages[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Plateforme de facturation électronique modifiée" in message["Subject"]
    assert "https://pa.example.fr/flow-service" in body and "- Secret client" in body
    assert "Jean Test (artisan@test.example.fr)" in body and PLATFORM["client_secret"] not in body


def test_the_domain_refuses_a_silent_bank_change(app, company, team):
    """Whatever the caller (a future API, a script), bank details never change without an owner's password."""
    with app.app_context():
        c = db.session.get(Company, company)
        staff = db.session.get(User, team["staff"])
        owner = db.session.get(User, team["owner"])
        with pytest.raises(AccountError):
            company_rules.update_settings(c, iban=NEW_IBAN)
        with pytest.raises(AccountError):
            company_rules.update_settings(c, actor=staff, password=TEST_PASSWORD, iban=NEW_IBAN)
        with pytest.raises(AccountError):
            company_rules.update_settings(c, actor=owner, password="faux", bic="PSSTFRPPXXX")
        assert company_rules.update_settings(c, actor=owner, password=TEST_PASSWORD, iban=NEW_IBAN) is not None
