"""CSRF on every state-changing route, htmx included, public portal routes included.

The routes come from the URL map: a route added later is checked without anyone editing
this file. Each is called with the ids of the logged-in company's own objects (so only the
token can make it fail) and must answer 400 "Formulaire expiré" without a token, with a
forged one, and with another session's valid token, as a form post and as an htmx request;
the database is compared row by row before and after. A valid token then gets through
(the positive control that proves the 400 came from CSRF and nothing else).
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from extensions import csrf, db
from tests.support.config import TEST_PASSWORD
from tests.support.routes import SAFE_METHODS, rules, url_of

CSRF_TITLE = "Formulaire expiré"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def form_token(page: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def header_token(page: str) -> str:
    """The token htmx sends: <body hx-headers='{"X-CSRFToken": "…"}'>."""
    return re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)


def login(client) -> str:
    """Log in the way a browser does (token from the login page); the session's htmx token."""
    token = form_token(client.get("/login").text)
    r = client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD,
                                    "csrf_token": token})
    assert r.status_code == 303, r.text
    return header_token(client.get("/clients/").text)


def snapshot(app) -> dict:
    """Every row of every table."""
    with app.app_context():
        return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
                for table in db.metadata.sorted_tables}


# Routes no browser calls: the approved platform signs its notifications (HMAC, checked in
# domain/einvoicing/webhooks.py and tests/http/test_einvoicing_platform.py), there is no session
# to ride on, so CSRF does not apply. Any other exemption fails the test below.
SIGNED_MACHINE_ROUTES = {"einvoicing.webhook"}


def state_changing(app):
    for rule, method in rules(app):
        if (method not in SAFE_METHODS and not rule.rule.startswith("/static/")
                and rule.endpoint not in SIGNED_MACHINE_ROUTES):
            yield rule, method


def test_only_signed_machine_routes_are_exempt_from_csrf(app):
    exempt = {endpoint for endpoint, view in app.view_functions.items()
              if f"{view.__module__}.{view.__name__}" in csrf._exempt_views}
    assert exempt == SIGNED_MACHINE_ROUTES


def test_every_state_changing_route_refuses_requests_without_a_valid_token(app, client, world):
    own_token = login(client)
    other = app.test_client()
    other_token = login(other)  # valid, but for another session
    anonymous = app.test_client()
    before = snapshot(app)
    attempts = (
        (client, {}, {}),
        (client, {}, {"HX-Request": "true"}),
        (client, {"csrf_token": "forged-token"}, {}),
        (client, {}, {"HX-Request": "true", "X-CSRFToken": "forged-token"}),
        (client, {"csrf_token": other_token}, {"HX-Request": "true", "X-CSRFToken": other_token}),
        (anonymous, {}, {}),
        (anonymous, {}, {"HX-Request": "true"}),
    )
    checked = set()
    for rule, method in state_changing(app):
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        for browser, data, headers in attempts:
            r = browser.open(url, method=method, data=data, headers=headers)
            assert r.status_code == 400, f"{method} {url} {headers} {sorted(data)} -> {r.status_code}"
            assert CSRF_TITLE in html.unescape(r.text), f"{method} {url}"
        checked.add(rule.endpoint)
    assert snapshot(app) == before, "a refused request changed the database"
    public = {"auth.login", "auth.signup", "portal.accept", "portal.refuse", "portal.promise"}
    assert public <= checked
    assert len(checked) >= 55  # grows with each feature
    assert own_token != other_token


def test_a_valid_token_gets_through(app, client, world):
    """Positive control: with the session's token (htmx header or form field) no route says
    "Formulaire expiré", so the 400s above came from the missing token alone."""
    token = login(client)
    public_browser = app.test_client()
    public_token = form_token(public_browser.get(f"/c/{world.open_quote_token}").text)
    ordered = sorted(state_changing(app), key=lambda rm: rm[0].endpoint == "auth.logout")  # logout last
    for rule, method in ordered:
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        if rule.endpoint.startswith("portal.") and "<token>" in rule.rule:
            r = public_browser.open(url, method=method, data={"csrf_token": public_token})
        else:
            as_form = rule.endpoint in ("auth.logout",)
            r = client.open(url, method=method, data={"csrf_token": token} if as_form else {},
                            headers={} if as_form else {"HX-Request": "true", "X-CSRFToken": token})
        assert r.status_code < 500, f"{method} {url} -> {r.status_code}"
        assert CSRF_TITLE not in html.unescape(r.get_data(as_text=True)), f"{method} {url} refused a valid token"


def test_every_post_form_carries_a_token(app, client, world):
    """A form without its hidden token would fail for a real user (JavaScript off, or a plain
    <form method=post>): every page of the URL map is read and each such form checked."""
    login(client)
    forms = 0
    for rule, _method in rules(app, methods={"GET"}):
        if rule.rule.startswith("/static/") or rule.endpoint in ("portal.pixel",):
            continue
        url = url_of(app, rule, world.ids_for(rule.endpoint))
        for browser in (client, app.test_client()) if rule.endpoint.startswith("portal.") else (client,):
            r = browser.get(url)
            if r.mimetype != "text/html":
                continue
            for form in re.findall(r"<form\b[^>]*>.*?</form>", r.text, flags=re.S | re.I):
                opening = form[: form.index(">") + 1].lower()
                if 'method="post"' in opening:
                    forms += 1
                    assert 'name="csrf_token"' in form, f"{url}: {opening}"
    assert forms >= 10
