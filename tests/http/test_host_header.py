"""Issue 12, finding 3: links in e-mails never come from the request's Host header;
production refuses to start without its public address and trusted host names; gunicorn
listens on loopback unless told otherwise."""

import os
import runpy
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from domain.billing import printing
from domain.core.models import Company
from domain.portal import links as portal
from extensions import db
from tests.support.builders import make_client, make_company, make_quote, make_user
from web.urls import link_secret

EVIL = "evil.example.com"


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config, "PUBLIC_BASE_URL": None}


def _quote_link(app):
    with app.app_context():
        company = db.session.scalar(select(Company)) or make_company()
        user = make_user(company)
        quote = make_quote(company, make_client(company), user)
        printing.issue_with_pdf(quote, user, today=quote.created_at.date())
        token = portal.ensure_link(quote, user, secret=link_secret()).token
        db.session.commit()
        return quote.id, token


def test_a_forged_host_never_reaches_the_artisans_email(app, client, smtp_server):
    quote_id, token = _quote_link(app)
    headers = {"Host": EVIL}
    client.get(f"/c/{token}", headers=headers)
    r = client.post(f"/c/{token}/accept", data={"full_name": "Hélène Dupont", "agree": "y"}, headers=headers)
    assert r.status_code == 303
    [msg] = smtp_server.sink.messages
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert EVIL not in body and EVIL not in msg.get_body(preferencelist=("html",)).get_content()
    assert f"http://127.0.0.1:5000/quotes/{quote_id}" in body


def test_the_configured_public_address_is_used_whatever_the_host(app, client, smtp_server):
    app.config["PUBLIC_BASE_URL"] = "https://factures.example.fr"
    quote_id, token = _quote_link(app)
    client.post(f"/c/{token}/accept", data={"full_name": "Hélène Dupont", "agree": "y"}, headers={"Host": EVIL})
    body = smtp_server.sink.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"https://factures.example.fr/quotes/{quote_id}" in body and EVIL not in body


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "TRUSTED_HOSTS"])
def test_production_refuses_to_start_without_its_address_and_hosts(app_config, missing):
    config = {**app_config, "PRODUCTION": True, "PUBLIC_BASE_URL": "https://factures.example.fr",
              "TRUSTED_HOSTS": ["factures.example.fr"], missing: None}
    with pytest.raises(RuntimeError, match=f"ENCAISSE_{missing}"):
        create_app(config)


def test_production_answers_only_its_trusted_hosts(app_config):
    app = create_app({**app_config, "PRODUCTION": True, "PUBLIC_BASE_URL": "https://factures.example.fr",
                      "TRUSTED_HOSTS": ["factures.example.fr"]})
    client = app.test_client()
    assert client.get("/login", headers={"Host": "factures.example.fr"}).status_code == 200
    assert client.get("/login", headers={"Host": EVIL}).status_code == 400


def test_gunicorn_listens_on_loopback_by_default_and_is_production(monkeypatch):
    conf = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
    for name in ("HOST", "PORT", "ENCAISSE_PRODUCTION"):
        monkeypatch.setenv(name, "x")  # recorded, so that the test leaves the environment as it was
        monkeypatch.delenv(name)
    settings = runpy.run_path(conf)
    assert settings["bind"] == "127.0.0.1:8000"
    assert os.environ["ENCAISSE_PRODUCTION"] == "true"  # create_app then checks the two settings
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert runpy.run_path(conf)["bind"] == "0.0.0.0:8000"
