"""Sign-up, login, logout, throttling, sessions."""

import re

from sqlalchemy import func, select

from domain.collections.models import ReminderPlan
from domain.core.models import Company, LoginAttempt, User
from extensions import db
from tests.support.config import TEST_PASSWORD
from tests.support.pages import page_text


def signup(client, **overrides):
    data = {"company_name": "Élec Martin", "name": "Paul Martin", "email": "paul@elec.example.fr",
            "password": "une phrase de passe", "password_confirm": "une phrase de passe"}
    data.update(overrides)
    return client.post("/signup", data=data)


def test_login_page(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert "Se connecter" in r.text


def test_signup_creates_company_and_user(client, app):
    r = signup(client)
    # The same answer as for an address that already has an account (tests/http/test_signup_and_verification.py):
    # "look in your mailbox", not logged in yet.
    assert r.status_code == 303 and r.headers["Location"].endswith("/signup/sent")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "paul@elec.example.fr"))
        assert user.company.name == "Élec Martin"
        assert user.password_hash.startswith("$argon2id$")
        # with its default reminder plan (J-3, J+7, J+15, J+30), ready for the first invoice
        plan = db.session.scalar(select(ReminderPlan).where(ReminderPlan.company_id == user.company_id))
        assert plan.is_default and [s["offset_days"] for s in plan.steps] == [-3, 7, 15, 30]
    assert client.get("/settings/").status_code == 302
    # the new owner logs in with the password just chosen
    r = client.post("/login", data={"email": "paul@elec.example.fr", "password": "une phrase de passe"})
    assert r.status_code == 303
    assert client.get("/settings/").status_code == 200


def test_signup_long_password_allowed(client):
    assert signup(client, password="x" * 300, password_confirm="x" * 300).status_code == 303


def test_signup_bad_input_saves_nothing(client, app, company):
    cases = [
        ({"company_name": ""}, "Saisissez le nom de votre entreprise."),
        ({"email": "paul.elec.example.fr"}, "il manque le « @ »"),
        ({"password": "court", "password_confirm": "court"}, "au moins 8 caractères"),
        ({"password_confirm": "autre chose"}, "ne correspondent pas"),
    ]
    for overrides, message in cases:
        r = signup(client, **overrides)
        assert r.status_code == 200, overrides
        assert message in page_text(r), overrides
    # An address that has an account: nothing saved, and nothing said on the page (an e-mail goes
    # to that account's owner instead).
    r = signup(client, email="ARTISAN@test.example.fr")
    assert r.status_code == 303 and r.headers["Location"].endswith("/signup/sent")
    with app.app_context():
        assert db.session.scalar(select(func.count(Company.id))) == 1
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_login_logout(client, auth, company):
    assert client.get("/").status_code == 302
    r = auth.login()
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 303
    assert client.get("/").status_code == 302


def test_login_wrong_password(client, auth, company):
    r = auth.login(password="mauvais mot de passe")
    assert r.status_code == 200
    assert "E-mail ou mot de passe incorrect." in r.text
    assert client.get("/").status_code == 302


def test_login_next_is_local_only(client, company):
    data = {"email": "artisan@test.example.fr", "password": TEST_PASSWORD}
    r = client.post("/login?next=/clients/", data=data)
    assert r.headers["Location"] == "/clients/"
    client.post("/logout")
    r = client.post("/login?next=https://evil.example/", data=data)
    assert r.headers["Location"] == "/"
    client.post("/logout")
    r = client.post("/login?next=//evil.example/", data=data)
    assert r.headers["Location"] == "/"


def test_login_throttled_after_failures(client, auth, app, company):
    for _ in range(5):
        assert "incorrect" in auth.login(password="faux-faux-faux").text
    r = auth.login()  # right password, but too many failures in the window
    assert "Trop de tentatives" in r.text
    assert client.get("/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.success.is_(False))) == 5


def test_session_cookie_flags_and_renewal(client, company):
    client.get("/login")
    before = client.get_cookie("encaisse_session")
    r = client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    cookie = r.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("encaisse_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain http on the tablet's LAN
    after = client.get_cookie("encaisse_session")
    assert before is None or before.value != after.value


def test_session_cookie_secure_over_https(app, company):
    client = app.test_client()
    r = client.post("/login", base_url="https://localhost",
                    data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    session_cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("encaisse_session="))
    assert "Secure" in session_cookie


def test_password_change_revokes_other_sessions(app, company):
    tablet, office = app.test_client(), app.test_client()
    for c in (tablet, office):
        c.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    r = tablet.post("/settings/password", data={"current_password": TEST_PASSWORD,
                                                  "new_password": "nouveau-secret-2026",
                                                  "confirm": "nouveau-secret-2026"})
    assert r.status_code == 303
    assert tablet.get("/").status_code == 200
    assert office.get("/").status_code == 302


def test_htmx_request_when_logged_out_gets_hx_redirect(client, company):
    r = client.get("/clients/", headers={"HX-Request": "true"})
    assert r.status_code == 204
    assert r.headers["HX-Redirect"].startswith("/login")


def test_csrf_token_required_when_enabled(app_config, app_factory, company):
    app = app_factory({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    r = client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    assert r.status_code == 400
    assert "Formulaire expiré" in r.text
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.status_code == 303
    # htmx requests carry the token in a header taken from <body hx-headers>
    page = client.get("/clients/").text
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    assert client.post("/clients/new", data={"kind": "particulier", "name": "X"}).status_code == 400
    r = client.post("/clients/new", data={"kind": "particulier", "name": "X"}, headers={"X-CSRFToken": header_token})
    assert r.status_code == 303
