"""Every form, fuzzed: random text, huge strings, unicode, odd numbers and dates, HTML/JS and
template payloads. Never a 500; whatever is stored comes back escaped in pages, e-mails and
PDFs.

The POST routes are enumerated from the URL map and their field names from their WTForms
classes (plus the lines editor's fields, parsed apart): a new route fails
`test_every_post_route_has_a_fuzz_spec` until it gets a spec, and a new field of a known
form is fuzzed without anyone touching this file. Each field gets either a valid value (so
the request goes deep enough to store something) or a hostile one, so stored payloads are
the norm, not the exception.

Hypothesis runs derandomized (same examples on every run, no example database) with a
modest number of examples per route, so CI stays deterministic and fast.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from blueprints.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from blueprints.bank.forms import ConfirmForm, MappingForm, SplitForm, UploadForm
from blueprints.catalog.forms import CatalogItemForm
from blueprints.clients.forms import ClientForm, ContactForm, NewClientForm
from blueprints.einvoicing.forms import FilingForm, PlatformForm
from blueprints.invoices.forms import CancelPaymentForm, CreditNoteForm, InvoiceForm, PaymentForm
from blueprints.invoices.forms import TokenForm as InvoiceTokenForm
from blueprints.portal.forms import AcceptForm, PromiseForm
from blueprints.portal.forms import RefuseForm as PortalRefuseForm
from blueprints.quotes.forms import DepositForm, QuoteForm, RefuseForm, SignForm
from blueprints.quotes.forms import TokenForm as QuoteTokenForm
from blueprints.reminders.forms import RateForm, SettingsForm, TemplateForm
from blueprints.settings.forms import CompanyForm, NewUserForm, PasswordForm, RoleForm
from domain.billing.models import Document
from domain.core.models import Client
from extensions import db
from tests.support.bank import bank_sample
from tests.support.config import TEST_PASSWORD
from tests.support.hostile import ATTR, IMG, SSTI, XSS, any_value, hostile_text, raw_markers_in, upload
from tests.support.routes import rules, url_of
from tests.support.world import TODAY, World
from web.panels import PauseForm, SendForm, TaskForm
from web.urls import link_secret

FUZZ = settings(
    max_examples=6, deadline=None, derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

OMIT = object()  # the field is left out of the request altogether
TOKEN = st.uuids().map(lambda u: u.hex)  # a fresh form token: each example acts, not replays


@pytest.fixture
def app_config(app_config, mail_config):
    # A real SMTP server (tests/conftest.py) receives what the send routes send; the portal's
    # throttles are lifted so every example reaches the form instead of the 429 page.
    return {**app_config, **mail_config, "PUBLIC_BASE_URL": "https://factures.example.fr",
            "PORTAL_MAX_ATTEMPTS_PER_LINK": 100_000, "PORTAL_MAX_ATTEMPTS_PER_IP": 100_000}


# --- what each POST route takes ----------------------------------------------------------

LINE_KEY = "k1"
LINES = {"row": LINE_KEY, f"line-{LINE_KEY}-kind": "item", f"line-{LINE_KEY}-label": "Pose",
         f"line-{LINE_KEY}-description": "", f"line-{LINE_KEY}-quantity": "2", f"line-{LINE_KEY}-unit": "u",
         f"line-{LINE_KEY}-unit_price": "100", f"line-{LINE_KEY}-discount": "", f"line-{LINE_KEY}-vat_rate": "2000"}


def _iso(days: int = 0) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


CLIENT = {"kind": "particulier", "name": "Jean Client", "address_line1": "1 rue du Four", "postal_code": "69003",
          "city": "Lyon", "country": "France", "payment_terms_days": "30"}
DOCUMENT = {"token": TOKEN, "subject": "Salle de bain", "vat_regime": "normal", "site_name": "Chantier",
            "site_address": "2 rue du Chantier", "notes": "Merci"}


@dataclass(frozen=True)
class Spec:
    """A POST route's forms and a valid baseline (a value, or a strategy, per field)."""

    forms: tuple = ()
    base: dict = field(default_factory=dict)
    lines: bool = False
    public: bool = False  # no login (a fresh anonymous browser each example)
    relogin: bool = False  # the route may end the session: log in again before each example
    named: object = None  # world → more baseline fields whose names depend on the world's ids


def _with_client(world: World, base: dict) -> dict:
    return {**base, "client_id": str(world.client_id)}


SPECS: dict[str, Spec] = {
    "auth.login": Spec((LoginForm,), {"email": "artisan@test.example.fr", "password": "pas le bon"}, public=True),
    "auth.signup": Spec((SignupForm,), {"company_name": "Élec Martin", "name": "Paul", "email": "paul@elec.example.fr",
                                        "password": "une phrase de passe", "password_confirm": "une phrase de passe"},
                        public=True),
    "auth.logout": Spec(relogin=True),
    "auth.forgot_password": Spec((ForgotPasswordForm,), {"email": "artisan@test.example.fr"}, public=True),
    "auth.reset_password": Spec((ResetPasswordForm,), {"password": "une phrase de passe",
                                                       "password_confirm": "une phrase de passe"}, public=True),
    "auth.confirm_email": Spec(public=True),
    "auth.resend_verification": Spec((), {"next": "/clients/"}),
    "catalog.create": Spec((CatalogItemForm,), {"kind": "prestation", "label": "Pose", "unit": "u",
                                                 "unit_price": "52,00", "vat_rate": "2000"}),
    "catalog.edit": Spec((CatalogItemForm,), {"kind": "prestation", "label": "Pose", "unit": "u",
                                               "unit_price": "52,00", "vat_rate": "2000"}),
    "catalog.set_archived": Spec(),
    "clients.create": Spec((NewClientForm,), {**CLIENT, "contact_name": "Jean", "contact_email": "jean@example.fr",
                                              "contact_phone": "06 12 34 56 78"}),
    "clients.edit": Spec((ClientForm,), CLIENT),
    "clients.set_archived": Spec(),
    "clients.add_contact": Spec((ContactForm,), {"name": "Paul", "email": "paul@example.fr",
                                                  "phone": "06 12 34 56 78", "role": "Gérant"}),
    "clients.delete_contact": Spec(),
    "portal.create_link": Spec(),
    "portal.regenerate_link": Spec(),
    "portal.revoke_link": Spec(),
    "portal.accept": Spec((AcceptForm,), {"full_name": "Hélène Dupont", "agree": "y"}, public=True),
    "portal.refuse": Spec((PortalRefuseForm,), {"reason": "Trop cher"}, public=True),
    "portal.promise": Spec((PromiseForm,), {"full_name": "Hélène Dupont", "pay_on": _iso(5)}, public=True),
    "invoices.create": Spec((InvoiceForm,), {**DOCUMENT, "payment_terms_days": "30"}, lines=True),
    "invoices.edit": Spec((InvoiceForm,), {**DOCUMENT, "payment_terms_days": "30"}, lines=True),
    "invoices.preview": Spec((), {"vat_regime": "normal", "document_id": ""}, lines=True),
    "invoices.delete": Spec(),
    "invoices.issue": Spec((InvoiceTokenForm,), {"token": TOKEN}),
    "invoices.mark_sent": Spec(),
    "invoices.record_payment": Spec((PaymentForm,), {"token": TOKEN, "amount": "10,00", "paid_on": _iso(),
                                                      "method": "virement", "reference": "CHQ 123"}),
    "invoices.cancel_payment": Spec((CancelPaymentForm,), {"reason": "Chèque impayé"}),
    "invoices.credit_full": Spec((CreditNoteForm,), {"token": TOKEN, "reason": "Geste commercial"}),
    "invoices.credit_partial": Spec((CreditNoteForm,), {"token": TOKEN, "reason": "Erreur"}, lines=True),
    "quotes.create": Spec((QuoteForm,), {**DOCUMENT, "validity_date": _iso(30)}, lines=True),
    "quotes.edit": Spec((QuoteForm,), {**DOCUMENT, "validity_date": _iso(30)}, lines=True),
    "quotes.preview": Spec((), {"vat_regime": "normal", "document_id": ""}, lines=True),
    "quotes.delete": Spec(),
    "quotes.issue": Spec((QuoteTokenForm,), {"token": TOKEN}),
    "quotes.mark_sent": Spec(),
    "quotes.accept": Spec(),
    "quotes.refuse": Spec((RefuseForm,), {"reason": "Trop cher"}),
    "quotes.duplicate": Spec((QuoteTokenForm,), {"token": TOKEN}),
    "quotes.create_deposit": Spec((DepositForm,), {"token": TOKEN, "percent": "30", "amount": ""}),
    "quotes.create_final": Spec((QuoteTokenForm,), {"token": TOKEN}),
    "quotes.sign": Spec((SignForm,), {"token": TOKEN, "full_name": "Hélène Dupont", "agree": "y",
                                      "signature": "data:image/png;base64,iVBORw0KGgo="}),
    "reminders.send": Spec((SendForm,), {"token": TOKEN, "template_key": "invoice_send", "subject": "Votre facture",
                                          "body": "Bonjour,\n\nVoici la facture.", "recipients": "helene@example.fr",
                                          "extra_recipient": "", "copy_me": "", "quick": ""}),
    "reminders.share": Spec((), {"phone": ""}),
    "reminders.pause": Spec((PauseForm,), {"until": _iso(7), "reason": "Promesse de paiement"}),
    "reminders.resume": Spec(),
    "reminders.automatic": Spec((), {"enabled": "1"}),
    "reminders.add_task": Spec((TaskForm,), {"due_on": _iso(1), "note": "Rappeler"}),
    "reminders.add_client_task": Spec((TaskForm,), {"due_on": _iso(1), "note": "Passer sur le chantier"}),
    "reminders.task_done": Spec((), {"from": "panel"}),
    "reminders.penalty_invoice": Spec(),
    "reminders.settings": Spec((SettingsForm,), {
        "reminders_enabled": "y", "confirm_formal_notice": "y", "formal_notice_deadline_days": "8",
        "auto_send_hour": "8", "offset_0": "-3", "template_0": "pre_due", "offset_1": "J+7", "template_1": "soft"}),
    "reminders.plan": Spec((), {"name": "Clients réguliers", "confirm_formal_notice": "y", "offset_0": "7",
                                "template_0": "soft", "offset_1": "15", "template_1": "firm"}),
    "reminders.client_settings": Spec((), {"plan": lambda w: str(w.plan_id)}),
    "reminders.document_plan": Spec((), {"plan": lambda w: str(w.plan_id)}),
    "reminders.template": Spec((TemplateForm,), {"subject": "Facture {{ numero }}", "body": "Bonjour {{ client }},"}),
    "reminders.reset_template": Spec(),
    "reminders.rates": Spec((RateForm,), {"kind": "ecb", "start": "2026-07-01", "rate": "2,15", "source": "BdF"}),
    "bank.upload": Spec((UploadForm,), {"token": TOKEN, "file": "statement"}),
    "bank.mapping": Spec((MappingForm,), {
        "token": TOKEN, "file_data": base64.b64encode(bank_sample("unknown_layout.csv")).decode(),
        "filename": "export.csv", "skip_rows": "1", "has_header": "1", "date_col": "0", "label_col": "1",
        "amount_col": "2", "debit_col": "", "credit_col": "", "decimal": ","}),
    "bank.rematch": Spec(),
    "bank.confirm_exact": Spec((ConfirmForm,), {"token": TOKEN, "acknowledge_excess": ""}),
    "bank.confirm": Spec((ConfirmForm,), {"token": TOKEN, "acknowledge_excess": ""}),
    "bank.split": Spec((SplitForm,), {"token": TOKEN, "client_id": lambda w: str(w.client_id),
                                      "acknowledge_excess": ""}, named=lambda w: {f"amount-{w.invoice_id}": "10,00"}),
    "bank.ignore": Spec(),
    "bank.restore": Spec(),
    "bank.undo": Spec(),
    "einvoicing.save_settings": Spec((PlatformForm,), {
        "flow_base_url": "https://pa.example.fr/flow-service", "directory_base_url": "https://pa.example.fr/annuaire",
        "token_url": "https://pa.example.fr/oauth/token", "client_id": "artisan-42", "client_secret": "secret",
        "webhook_secret": "", "send_syntax": "Factur-X", "confirm_password": TEST_PASSWORD}),
    "einvoicing.save_filing": Spec((FilingForm,), {"vat_filing": "rn_mensuel"}),
    "einvoicing.test_connection": Spec(),  # no platform yet: a French message, no network call
    "einvoicing.lookup_client": Spec(),
    "einvoicing.retransmit": Spec(),
    "einvoicing.webhook": Spec(public=True),  # signed by the platform, no session (tests/http/test_einvoicing_platform)
    "settings.save": Spec((CompanyForm,), {
        "name": "Plomberie Test", "legal_form": "EI", "siret": "73282932000074", "rcs_rm": "RM 69 732 829 320",
        "vat_regime": "normal", "vat_number": "FR44732829320", "address_line1": "1 rue du Test", "postal_code": "69003",
        "city": "Lyon", "country": "France", "email": "contact@test.example.fr", "phone": "04 78 00 00 00",
        "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "payment_terms_days": "30",
        "quote_validity_days": "30", "timezone": "Europe/Paris"}),
    "settings.add_user": Spec((NewUserForm,), {"name": "Léa", "email": "lea@example.fr",
                                               "password": "mot de passe provisoire"}),
    # A wrong current password: a successful change would end the test's other logins.
    "settings.change_password": Spec((PasswordForm,), {"current_password": "pas le bon",
                                                        "new_password": "nouveau-secret-2026",
                                                        "confirm": "nouveau-secret-2026"}, relogin=True),
    "settings.end_session": Spec(),  # the user's other device (World.session_id)
    "settings.end_other_sessions": Spec(),
    "settings.change_role": Spec((RoleForm,), {"role": "accountant"}),  # World.colleague_id
    "settings.deactivate_user": Spec(),
    "settings.reactivate_user": Spec(),
}

# Query-string forms (filters, search, editor helpers) of GET routes.
GET_PARAMS: dict[str, tuple[str, ...]] = {
    "clients.index": ("q", "archived", "page"),
    "catalog.index": ("archived", "page"),
    "quotes.index": ("q", "status", "client_id", "date_from", "date_to", "amount_min", "amount_max", "sort", "page"),
    "invoices.index": ("q", "status", "client_id", "date_from", "date_to", "amount_min", "amount_max", "sort", "kind",
                       "overdue", "open", "level", "due_from", "due_to", "page"),
    "payments.index": ("q", "method", "client_id", "date_from", "date_to", "sort", "cancelled", "page"),
    "quotes.catalog_search": ("catalog_q",),
    "invoices.catalog_search": ("catalog_q",),
    "quotes.line_row": ("kind", "item_id"),
    "invoices.line_row": ("kind", "item_id"),
    "quotes.create": ("client_id",),
    "invoices.create": ("client_id",),
    "reminders.compose": ("what",),
    "clients.statement": ("download",),
    "invoices.pdf": ("download",),
    "bank.index": ("view", "page"),
    "bank.line": ("client_id",),
    "bank.statement": ("page",),
    "auth.login": ("next",),
}

# Where what a route stores is shown, by blueprint: checked after the route's examples (each
# example's own answer, and the page it redirects to, are checked as it goes).
ECHO_ENDPOINTS = {
    "auth": ("dashboard.index",),
    "catalog": ("catalog.index",),
    "clients": ("clients.detail", "clients.index"),
    "quotes": ("quotes.detail", "quotes.index"),
    "invoices": ("invoices.detail", "invoices.index", "payments.index"),
    "reminders": ("reminders.index", "reminders.settings", "reminders.template", "reminders.rates",
                  "invoices.detail", "clients.detail"),
    "settings": ("settings.index", "dashboard.index"),
    "portal": ("portal.page", "quotes.detail", "invoices.detail"),
    "einvoicing": ("einvoicing.settings", "clients.detail", "invoices.detail", "dashboard.index"),
    "bank": ("bank.index", "bank.line", "bank.statement", "invoices.detail", "payments.index", "dashboard.index"),
}


def _post_rules(app) -> list[tuple[str, str]]:
    """(URL rule, endpoint) of every route that changes something."""
    return sorted({(rule.rule, rule.endpoint) for rule, _ in rules(app, methods={"POST", "PUT", "PATCH", "DELETE"})})


def _url_map_app():
    """An app built only to read its URL map at collection time (no database is opened)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect", "TESTING": True})


_COLLECT = _url_map_app()
POST_RULES = _post_rules(_COLLECT)
POST_ENDPOINTS = sorted({endpoint for _, endpoint in POST_RULES})


def test_every_post_route_has_a_fuzz_spec():
    assert POST_ENDPOINTS, "no POST route found"
    missing = sorted(set(POST_ENDPOINTS) - set(SPECS))
    assert not missing, f"describe the form of {missing} in SPECS"
    stale = sorted(set(SPECS) - set(POST_ENDPOINTS))
    assert not stale, f"{stale} no longer exist"
    assert set(GET_PARAMS) <= set(_COLLECT.view_functions)
    assert {endpoint.split(".")[0] for endpoint in POST_ENDPOINTS} <= set(ECHO_ENDPOINTS)


def form_fields(spec: Spec) -> list[str]:
    """Field names: the WTForms classes' fields, the baseline's extras, the lines editor's."""
    names = set(spec.base)
    for form in spec.forms:
        names |= {n for n in dir(form) if isinstance(getattr(form, n), UnboundField)}
    if spec.lines:
        names |= set(LINES)
    return sorted(names)


# A statement any company's IBAN takes (it does not name its account), for the upload's valid baseline.
STATEMENT = st.just(b"").map(lambda _: (io.BytesIO(bank_sample("credit_mutuel.csv")), "releve.csv"))


def _strategy_for(name: str, base) -> st.SearchStrategy:
    if name == "logo":
        return upload()
    if name == "file":
        return st.one_of(STATEMENT, upload(), st.just(OMIT))
    valid = base if isinstance(base, st.SearchStrategy) else st.just(base)
    return st.one_of(valid, any_value(), st.just(OMIT))


def payload_strategy(spec: Spec, world: World) -> st.SearchStrategy:
    base = {k: v(world) if callable(v) else v for k, v in spec.base.items()}
    if spec.named is not None:
        base.update(spec.named(world))
    if spec.lines:
        base.update(LINES)
    if "client_id" in form_fields(spec) or spec.lines:
        base = _with_client(world, base)
    if base.get("document_id", None) == "":
        base["document_id"] = str(world.draft_invoice_id)
    names = form_fields(spec) + (["client_id"] if "client_id" in base else []) + sorted(
        spec.named(world) if spec.named is not None else ())
    return st.fixed_dictionaries({n: _strategy_for(n, base.get(n, "")) for n in sorted(set(names))})


# --- checks -----------------------------------------------------------------------------


def _local(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check(response, where: str) -> None:
    """Never a 500, never a hostile marker raw in HTML."""
    assert response.status_code < 500, f"{where} -> {response.status_code}"
    if response.mimetype == "text/html":
        found = raw_markers_in(response.get_data(as_text=True))
        assert not found, f"{where}: unescaped {found}"


def check_and_follow(client, response, where: str) -> None:
    check(response, where)
    target = response.headers.get("HX-Redirect")
    if target is None and 300 <= response.status_code < 400:
        target = response.headers.get("Location")
    target = _local(target)
    if target:
        check(client.get(target), f"{where} → GET {target}")


def echo_pages(app, client, world: World, endpoint: str) -> None:
    """The pages that show stored data: no 500, nothing unescaped."""
    values = world.ids_for(endpoint)
    echo = ECHO_ENDPOINTS[endpoint.split(".")[0]]
    for rule, _ in rules(app, methods={"GET"}):
        if rule.endpoint in echo:
            url = url_of(app, rule, values)
            check(client.get(url), f"GET {url} after fuzzing {endpoint}")
    if endpoint.startswith(("reminders.", "portal.")):
        url = url_of(app, next(app.url_map.iter_rules("reminders.panel")), values)
        check(client.get(url, headers={"HX-Request": "true"}), f"GET {url} (htmx) after fuzzing {endpoint}")


def check_mails(smtp_server, endpoint: str) -> None:
    """E-mails sent while fuzzing: the HTML part escapes what the user typed."""
    for message in smtp_server.sink.messages:
        part = message.get_body(preferencelist=("html",))
        if part is not None:
            found = raw_markers_in(part.get_content())
            assert not found, f"{endpoint}: e-mail HTML part with unescaped {found}"


def login(client):
    r = client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    assert r.status_code in (302, 303), r.status_code


# --- the fuzzing ------------------------------------------------------------------------


def _rule(app, rule_text: str, endpoint: str):
    return next(r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint)


@pytest.mark.parametrize(("rule_text", "endpoint"), POST_RULES)
def test_post_route_survives_fuzzing(rule_text, endpoint, app, client, world, smtp_server):
    spec = SPECS[endpoint]
    url = url_of(app, _rule(app, rule_text, endpoint), world.ids_for(endpoint))
    payloads = payload_strategy(spec, world)
    login(client)

    @FUZZ
    @given(payload=payloads, htmx=st.booleans())
    def post(payload, htmx):
        payload = {k: v for k, v in payload.items() if v is not OMIT}
        browser = app.test_client() if spec.public else client
        if spec.relogin:
            login(client)
        response = browser.post(url, data=payload, headers={"HX-Request": "true"} if htmx else {})
        # The test client spools a big multipart body to a temporary file it never closes.
        response.request.environ["wsgi.input"].close()
        check_and_follow(browser, response, f"POST {url} {sorted(payload)}")

    post()
    login(client)
    echo_pages(app, client, world, endpoint)
    check_mails(smtp_server, endpoint)


@pytest.mark.parametrize("endpoint", sorted(GET_PARAMS))
def test_query_string_survives_fuzzing(endpoint, app, client, world):
    if endpoint != "auth.login":
        login(client)
    url = url_of(app, next(app.url_map.iter_rules(endpoint)), world.ids_for(endpoint))
    params = st.fixed_dictionaries({name: st.one_of(any_value(), st.just(OMIT)) for name in GET_PARAMS[endpoint]})

    @FUZZ
    @given(params=params, htmx=st.booleans())
    def get(params, htmx):
        params = {k: v for k, v in params.items() if v is not OMIT}
        response = client.get(url, query_string=params, headers={"HX-Request": "true"} if htmx else {})
        check_and_follow(client, response, f"GET {url} {params}")

    get()


# --- stored payloads come back escaped ----------------------------------------------------


def test_client_name_is_shown_escaped(app, client, world):
    """Any name a client can be given is shown as text, never as markup."""
    login(client)

    @settings(FUZZ, max_examples=25)
    @given(name=hostile_text(max_size=60).filter(lambda s: s.strip() and "\x00" not in s))
    def create(name):
        _create_and_read_back(app, client, name)

    create()


def _create_and_read_back(app, client, name):
    r = client.post("/clients/new", data={"kind": "particulier", "name": name})
    check(r, "POST /clients/new")
    if r.status_code != 303:  # refused (e.g. too long once stripped): the form came back, escaped
        return
    client_id = int(r.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        stored = db.session.get(Client, client_id).name
    for url in (f"/clients/{client_id}", f"/invoices/new?client_id={client_id}"):
        page = client.get(url)
        check(page, url)
        assert str(escape(stored)) in page.get_data(as_text=True), url


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def test_payloads_come_back_escaped_in_pages_emails_and_pdfs(app, client, world, smtp_server):
    """Hostile text typed into a client, a contact, a quote's lines, subject, site and notes,
    and the company itself: shown as text on every page, in the e-mail (HTML part escaped,
    text part verbatim) and in the PDF; `{{7*7}}` stays literal everywhere (no template
    injection through data)."""
    login(client)
    payloads = {"name": f"Client {SSTI} {XSS}", "subject": f"Objet {ATTR}", "site": f"Chantier {IMG}",
                "label": f"Ligne {XSS}", "description": f"Détail {SSTI}", "notes": f"Notes {ATTR} {SSTI}"}
    r = client.post(f"/clients/{world.client_id}/edit", data={**CLIENT, "name": payloads["name"]})
    assert r.status_code == 303, r.text
    r = client.post("/invoices/new", data={
        **{k: v for k, v in DOCUMENT.items() if k != "token"}, "token": "escaping-test",
        "client_id": str(world.client_id),
        "subject": payloads["subject"], "site_name": payloads["site"], "notes": payloads["notes"], **LINES,
        f"line-{LINE_KEY}-label": payloads["label"], f"line-{LINE_KEY}-description": payloads["description"]})
    assert r.status_code == 303, r.text
    invoice_url = r.headers["Location"]
    invoice_id = int(invoice_url.rsplit("/", 1)[1])
    check(client.post(f"{invoice_url}/issue", data={"token": "escaping-issue"}), "issue")

    page = client.get(invoice_url)
    check(page, invoice_url)
    body = page.get_data(as_text=True)
    for value in payloads.values():
        assert str(escape(value)) in body, value
    assert "Client 49" not in body and "Détail 49" not in body

    with app.app_context():
        from domain.portal import links as portal

        link = portal.ensure_link(db.session.get(Document, invoice_id), None, secret=link_secret()).token
        db.session.commit()
    public = app.test_client().get(f"/c/{link}")
    check(public, "portal page")
    for key in ("label", "description", "subject"):
        assert str(escape(payloads[key])) in public.get_data(as_text=True), key

    # The e-mail: the template fills in the client's name; its HTML part is escaped.
    compose = client.get(f"/reminders/documents/{invoice_id}/compose", headers={"HX-Request": "true"})
    check(compose, "compose")
    assert str(escape(payloads["name"])) in compose.text
    with app.app_context():
        from domain.collections import reminders

        draft = reminders.compose(db.session.get(Document, invoice_id), "invoice_send", TODAY, link=link)
        subject, body_text = draft.subject, draft.body
    assert payloads["name"] in body_text  # the variable is filled with the name, verbatim, unevaluated
    r = client.post(f"/reminders/documents/{invoice_id}/send", headers={"HX-Request": "true"}, data={
        "token": "escaping-send", "template_key": "invoice_send", "recipients": "helene@example.fr",
        "subject": subject + " " + XSS, "body": body_text + "\n" + ATTR})
    check(r, "send")
    assert "E-mail envoyé" in html_lib.unescape(r.text)
    (message,) = smtp_server.sink.messages
    html_part = message.get_body(preferencelist=("html",)).get_content()
    text_part = message.get_body(preferencelist=("plain",)).get_content()
    assert not raw_markers_in(html_part)
    assert html_lib.escape(payloads["name"]) in html_part
    assert payloads["name"] in text_part and ATTR in text_part and SSTI in text_part
    assert XSS in message["Subject"]
    assert "Client 49" not in text_part

    # The PDF: the payloads are printed as text (WeasyPrint never sees them as markup).
    pdf = client.get(f"{invoice_url}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    for key in ("name", "label", "description", "notes"):
        assert re.sub(r"\s+", "", payloads[key]) in text, key
    assert b"/JavaScript" not in pdf.data
    # Its one attachment is the e-invoice XML (Factur-X), where the payloads are text too.
    attachments = PdfReader(io.BytesIO(pdf.data)).attachments
    assert list(attachments) == ["factur-x.xml"]
    xml = etree.fromstring(attachments["factur-x.xml"][0])
    texts = " ".join(t for t in xml.itertext())
    for key in ("name", "label", "description", "notes"):
        assert payloads[key].strip() in texts, key
    assert not xml.xpath("//*[local-name()='script' or local-name()='img']")
    statement = client.get(f"/clients/{world.client_id}/statement.pdf")
    assert re.sub(r"\s+", "", payloads["name"]) in _pdf_text(statement.data)


# --- what the fuzzing found (kept as plain regression tests) ----------------------------

BIG = "99999999999999999999"  # > 2**63: SQLite could not even bind it (OverflowError → 500)
INT4 = "2147483648"  # > 2**31 - 1: PostgreSQL's "integer out of range" (→ 500)


@pytest.mark.parametrize("big", [BIG, INT4])
def test_ids_too_big_for_the_database_are_404_or_ignored(app, client, world, big):
    login(client)
    assert client.get(f"/clients/{big}").status_code == 404
    assert client.post(f"/invoices/{big}/issue").status_code == 404
    for url in (f"/invoices/?client_id={big}", f"/payments/?client_id={big}", f"/quotes/lines/row?item_id={big}",
                f"/quotes/new?client_id={big}"):
        assert client.get(url).status_code == 200, url
    assert client.post("/invoices/preview", data={"document_id": big, **LINES}).status_code == 200
    r = client.post("/quotes/new", data={**DOCUMENT, "token": "big-client", "client_id": big,
                                         "validity_date": _iso(30), **LINES})
    assert r.status_code == 200 and "Choisissez un client" in html_lib.unescape(r.text)
    for choice in (big, "²", "٣"):  # Unicode digits pass str.isdigit() but are no id
        assert client.post(f"/reminders/clients/{world.client_id}/settings", data={"plan": choice}).status_code == 303
        assert client.post(f"/reminders/documents/{world.invoice_id}/plan", data={"plan": choice}).status_code == 200


def test_amounts_too_big_to_store_are_french_errors(app, client, world):
    """Quantity and unit price are each within bounds, their product is not; nor is the sum of
    lines that are each within bounds (amounts are 32-bit INTEGER columns on PostgreSQL)."""
    login(client)
    base = {**DOCUMENT, "client_id": str(world.client_id), "validity_date": _iso(30), **LINES}
    r = client.post("/quotes/new", data={**base, "token": "huge-line", f"line-{LINE_KEY}-quantity": "2000000",
                                         f"line-{LINE_KEY}-unit_price": "20000"})
    assert r.status_code == 200
    assert "Le montant de la ligne « Pose » est trop élevé" in html_lib.unescape(r.text)
    three = {"row": ["a", "b", "c"]}
    for key in three["row"]:
        three |= {f"line-{key}-label": f"Lot {key}", f"line-{key}-quantity": "1",
                  f"line-{key}-unit_price": "10000000", f"line-{key}-vat_rate": "2000"}
    r = client.post("/quotes/new", data={**{k: v for k, v in base.items() if not k.startswith(("row", "line-"))},
                                         "token": "huge-total", **three})
    assert r.status_code == 200
    assert "Le total du document dépasse 21\u202f474\u202f836,47" in html_lib.unescape(r.text).replace("\xa0", " ")
    with app.app_context():
        assert db.session.scalar(select(Document).where(Document.subject == DOCUMENT["subject"])) is None


def test_a_number_too_long_for_a_day_count_is_a_form_error(app, client, world):
    """WTForms' NumberRange calls math.isnan() on the value: a 400-digit int overflows (a 500)."""
    login(client)
    r = client.post("/clients/new", data={**CLIENT, "payment_terms_days": "9" * 400})
    assert r.status_code == 200
    assert 'class="field has-error " id="field-payment_terms_days"' in r.text
    assert "N&#39;est pas un entier valide" in r.text
    r = client.post("/reminders/settings", data={"formal_notice_deadline_days": "9" * 30,
                                                 "auto_send_hour": "-" + "9" * 30})
    assert r.status_code == 200
    r = client.post("/settings/", data={"payment_terms_days": "1" + "0" * 50, "quote_validity_days": "30"})
    assert r.status_code == 200


def test_a_nul_character_is_refused_everywhere(app, client, world):
    """PostgreSQL text cannot hold U+0000 (psycopg refuses the query: a 500 there)."""
    login(client)
    for method, url, data in (("POST", "/clients/new", {**CLIENT, "name": "a\x00b"}),
                              ("POST", f"/clients/{world.client_id}/contacts", {"name": "x", "role": "\x00"}),
                              ("GET", "/clients/?q=a%00b", None), ("GET", "/invoices/?q=%00", None),
                              ("POST", f"/c/{world.open_quote_token}/accept", {"full_name": "a\x00b", "agree": "y"})):
        r = client.open(url, method=method, data=data)
        assert r.status_code == 400 and "caractère invisible" in html_lib.unescape(r.text), url
    with app.app_context():
        assert db.session.scalar(select(Client).where(Client.name.like("a%b"))) is None
        assert db.session.get(Document, world.open_quote_id).accepted_at is None
