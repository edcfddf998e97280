"""Sign-up that does not tell who has an account, and e-mail confirmation before anything is sent
to clients.

- An address with an account gets the same answer as a new one; its owner gets an e-mail instead.
- A new account confirms its address with an e-mailed link (single-use, time-limited, stored
  hashed); until then `can_send_to_clients(company)` is False and every page says why, with a
  button to resend the link.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from domain.core import verification
from domain.core.models import AccountToken, Company, User
from domain.core.orm import utcnow
from extensions import db
from tests.support.builders import make_user
from tests.support.config import TEST_PASSWORD
from tests.support.pages import page_text

NEW = {"company_name": "Élec Martin", "name": "Paul Martin", "email": "paul@elec.example.fr",
       "password": "une phrase de passe", "password_confirm": "une phrase de passe"}


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


def sign_up(app, ip="198.51.100.30", **overrides):
    """Sign up from a fresh browser; the response, closed (e-mails leave after it)."""
    client = app.test_client()
    with client.post("/signup", data={**NEW, **overrides}, environ_base={"REMOTE_ADDR": ip}) as r:
        return r


def mails_to(smtp_server, address):
    return [m for m in smtp_server.sink.messages if m["To"] == address]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def confirmation_path(message) -> str:
    return re.search(r"http://127\.0\.0\.1:5000(/verify/[A-Za-z0-9_-]+)", body(message)).group(1)


def company_of(app, email) -> Company:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return db.session.get(Company, user.company_id)


def login(app, email=NEW["email"], password=NEW["password"]):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 303
    return client


def test_an_existing_address_gets_the_same_answer_and_its_owner_an_email(app, company, smtp_server):
    taken = sign_up(app, email="ARTISAN@test.example.fr")
    fresh = sign_up(app)
    for r in (taken, fresh):
        assert r.status_code == 303 and r.headers["Location"] == "/signup/sent"
    assert taken.get_data() == fresh.get_data()
    assert [c.split("=")[0] for c in taken.headers.getlist("Set-Cookie")] == \
           [c.split("=")[0] for c in fresh.headers.getlist("Set-Cookie")]
    page = page_text(app.test_client().get("/signup/sent"))
    assert "Vérifiez votre boîte mail" in page and "existe" not in page.replace("compte avec cette adresse", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == 2  # the test company and Élec Martin only
    (notice,) = mails_to(smtp_server, "artisan@test.example.fr")
    assert notice["Subject"] == "Votre compte Encaisse existe déjà"
    assert "/password/forgot" in body(notice) and "/login" in body(notice)
    (welcome,) = mails_to(smtp_server, NEW["email"])
    assert "Confirmez votre adresse" in welcome["Subject"] and "/verify/" in body(welcome)


def test_notices_to_an_existing_address_and_sign_ups_per_ip_are_limited(app_config, app_factory, company,
                                                                        smtp_server):
    app = app_factory({**app_config, "ACCOUNT_MAILS_PER_ADDRESS": 2, "SIGNUP_MAX_PER_IP": 3})
    for n in range(3):
        assert sign_up(app, ip=f"198.51.100.{n + 1}", email="artisan@test.example.fr").status_code == 303
    assert len(mails_to(smtp_server, "artisan@test.example.fr")) == 2
    for n in range(3):
        assert sign_up(app, ip="203.0.113.9", email=f"nouveau{n}@example.fr").status_code == 303
    r = sign_up(app, ip="203.0.113.9", email="encore@example.fr")
    assert r.status_code == 200 and "Trop de comptes créés depuis votre connexion" in page_text(r)


def test_nothing_is_sent_to_clients_until_the_address_is_confirmed(app, smtp_server):
    sign_up(app)
    assert not verification.can_send_to_clients(company_of(app, NEW["email"]))
    with pytest.raises(verification.SendingBlocked, match="Confirmez d'abord l'adresse e-mail"):
        verification.ensure_can_send_to_clients(company_of(app, NEW["email"]))
    owner = login(app)
    page = page_text(owner.get("/"))
    assert "Rien ne part vers vos clients tant que l'adresse e-mail du compte n'est pas confirmée" in page
    assert "Renvoyer l'e-mail de confirmation" in page and NEW["email"] in page

    path = confirmation_path(mails_to(smtp_server, NEW["email"])[0])
    opened = app.test_client().get(path)  # opening the link (or a mail scanner doing so) changes nothing
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    assert not verification.can_send_to_clients(company_of(app, NEW["email"]))
    r = owner.post(path)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    company = company_of(app, NEW["email"])
    assert verification.can_send_to_clients(company) and company.email_verified_at is not None
    page = page_text(owner.get("/"))
    assert "Adresse e-mail confirmée" in page and "Rien ne part vers vos clients" not in page
    # used once: opened again, it says so; posted again, refused
    assert "déjà confirmée" in page_text(app.test_client().get(path))
    assert app.test_client().post(path).status_code == 404


def test_wrong_expired_or_stale_confirmation_links_are_refused(app, smtp_server):
    sign_up(app)
    path = confirmation_path(mails_to(smtp_server, NEW["email"])[0])
    with app.app_context():
        stored = db.session.scalar(select(AccountToken.token_hash))
    assert path.rsplit("/", 1)[1] != stored and path.rsplit("/", 1)[1] not in stored  # only a hash is kept
    for bad in ("/verify/faux", "/verify/" + "B" * 43):
        assert app.test_client().get(bad).status_code == 404
        assert app.test_client().post(bad).status_code == 404
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    r = app.test_client().post(path)
    assert r.status_code == 404 and "plus valable" in page_text(r)
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() + timedelta(hours=1)))
        db.session.execute(update(User).where(User.email == NEW["email"]).values(email="autre@elec.example.fr"))
        db.session.commit()
    assert app.test_client().post(path).status_code == 404  # sent to an address the account no longer has
    assert not verification.can_send_to_clients(company_of(app, "autre@elec.example.fr"))


def test_resending_replaces_the_link_and_is_limited(app_config, app_factory, smtp_server):
    app = app_factory({**app_config, "ACCOUNT_MAILS_PER_ADDRESS": 2})
    sign_up(app)
    owner = login(app)
    r = owner.post("/account/resend-confirmation", data={"next": "/clients/"})
    assert r.status_code == 303 and r.headers["Location"] == "/clients/"
    assert f"Un nouveau lien de confirmation vient d'être envoyé à {NEW['email']}" in page_text(owner.get("/"))
    first, second = (confirmation_path(m) for m in mails_to(smtp_server, NEW["email"]))
    owner.post("/account/resend-confirmation")
    assert len(mails_to(smtp_server, NEW["email"])) == 2  # the limit per address holds
    assert "attendez un peu" in page_text(owner.get("/"))
    assert app.test_client().post(first).status_code == 404  # replaced by the newer link
    assert app.test_client().post(second).status_code == 303
    assert verification.can_send_to_clients(company_of(app, NEW["email"]))
    owner.post("/account/resend-confirmation", data={"next": "https://evil.example/"})
    assert "déjà confirmée" in page_text(owner.get("/"))


def test_staff_of_an_unconfirmed_company_are_told_who_confirms(app, smtp_server):
    sign_up(app)
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.name == "Élec Martin"))
        make_user(company, email="staff@elec.example.fr").role = "staff"
        db.session.commit()
    staff = login(app, email="staff@elec.example.fr", password=TEST_PASSWORD)
    page = page_text(staff.get("/"))
    assert "Le titulaire du compte doit confirmer son adresse e-mail" in page
    assert "Renvoyer l'e-mail de confirmation" not in page
