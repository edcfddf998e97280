"""Password reset by e-mail: the same answer for every address, a link that works once and in
time, stored only as a hash; every session ends after the reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain.core.models import AccountToken, User, UserSession
from domain.core.orm import utcnow
from extensions import db
from tests.support.config import TEST_PASSWORD
from tests.support.pages import page_text

OWNER = "artisan@test.example.fr"
NEW = "un tout nouveau mot de passe"


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


def ask(app, email):
    """Ask for a link the way a browser does; the answer (closed: the e-mail leaves after it)."""
    with app.test_client().post("/password/forgot", data={"email": email}) as r:
        return r


def link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/password/reset/[A-Za-z0-9_-]+)", body).group(1)


def login(app, password, email=OWNER):
    return app.test_client().post("/login", data={"email": email, "password": password})


def reset(app, path, password=NEW, client=None):
    return (client or app.test_client()).post(path, data={"password": password, "password_confirm": password})


def test_the_answer_is_the_same_with_or_without_an_account(app, company, smtp_server):
    known, unknown = ask(app, OWNER), ask(app, "personne@example.fr")
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    assert known.status_code == 303
    for_known = app.test_client()
    with for_known.post("/password/forgot", data={"email": "personne@example.fr"}):
        pass
    assert "Si un compte existe pour cette adresse" in page_text(for_known.get("/login"))
    assert [m["To"] for m in smtp_server.sink.messages] == [OWNER]
    assert "nouveau mot de passe" in smtp_server.sink.messages[0]["Subject"]


def test_a_link_works_once_and_every_session_ends(app, company, smtp_server):
    tablet = app.test_client()
    assert tablet.post("/login", data={"email": OWNER, "password": TEST_PASSWORD}).status_code == 303
    ask(app, OWNER)
    path = link_in(smtp_server.sink.messages[0])
    page = app.test_client().get(path)
    assert page.status_code == 200 and "Nouveau mot de passe" in page_text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    r = reset(app, path)
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert tablet.get("/").status_code == 302  # the session opened before the reset ended
    assert login(app, TEST_PASSWORD).status_code == 200
    assert login(app, NEW).status_code == 303
    again = reset(app, path, password="encore un autre mot de passe")
    assert again.status_code == 404 and "plus valable" in page_text(again)
    assert login(app, "encore un autre mot de passe").status_code == 200


def test_a_wrong_or_expired_link_is_refused(app, company, smtp_server):
    for path in ("/password/reset/pas-un-vrai-jeton", "/password/reset/" + "A" * 43):
        assert app.test_client().get(path).status_code == 404
        assert reset(app, path).status_code == 404
    ask(app, OWNER)
    path = link_in(smtp_server.sink.messages[0])
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    r = reset(app, path)
    assert r.status_code == 404 and "expiré" in page_text(r)
    assert login(app, NEW).status_code == 200 and login(app, TEST_PASSWORD).status_code == 303


def test_the_token_is_stored_hashed_and_a_newer_link_replaces_the_older(app, company, smtp_server):
    ask(app, OWNER)
    ask(app, OWNER)
    first, second = (link_in(m) for m in smtp_server.sink.messages)
    with app.app_context():
        stored = [row.token_hash for row in db.session.scalars(select(AccountToken))]
    for path in (first, second):
        assert path.rsplit("/", 1)[1] not in stored
    assert reset(app, first).status_code == 404
    assert reset(app, second).status_code == 303


def test_a_refused_password_keeps_the_link_usable(app, company, smtp_server):
    ask(app, OWNER)
    path = link_in(smtp_server.sink.messages[0])
    r = reset(app, path, password="court")
    assert r.status_code == 200 and "au moins 8 caractères" in page_text(r)
    assert reset(app, path).status_code == 303


def test_reset_emails_to_one_address_are_limited(app_config, app_factory, company, smtp_server):
    app = app_factory({**app_config, "ACCOUNT_MAILS_PER_ADDRESS": 2})
    for _ in range(4):
        assert ask(app, OWNER).status_code == 303  # the same answer every time
    assert len(smtp_server.sink.messages) == 2


def test_a_deactivated_user_gets_no_link(app, company, smtp_server):
    with app.app_context():
        db.session.execute(update(User).values(is_active_user=False))
        db.session.commit()
    assert ask(app, OWNER).status_code == 303
    assert smtp_server.sink.messages == []
    with app.app_context():
        assert db.session.scalar(select(UserSession.id)) is None
