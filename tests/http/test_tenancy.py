"""Tenancy: every route that takes an id, called with another company's ids, is a 404.

Routes are enumerated from the URL map, so a new route cannot escape this test: any
id argument without an entry in `foreign_ids` fails the test until one is added.
"""

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from domain.core.models import Company
from extensions import db
from tests.support.builders import accepted_quote, issued, make_client, make_company, make_invoice, make_user

# Routes reachable without a login, checked elsewhere (token based, not id based).
PUBLIC_PREFIXES = ("/static/",)


def build_foreign_objects(other: Company, tag: str = "B") -> dict[str, int]:
    """Objects of another company (or, tagged "A", of the user's own), by URL argument name."""
    from datetime import date

    from domain.billing import payments
    from domain.billing.models import CatalogItem, PaymentMethod
    from domain.billing.payments import PaymentInput

    client = make_client(other, name=f"Client de {tag}", email=f"{tag.lower()}@example.fr")
    user = make_user(other, email=f"{tag.lower()}2@{tag.lower()}.example.fr")
    quote = accepted_quote(other, client, user)
    invoice = issued(make_invoice(other, client, user), user)
    payment = payments.record_payment(invoice, user, PaymentInput(1000, date(2026, 11, 23), PaymentMethod.CASH),
                                      today=date(2026, 11, 23))
    item = CatalogItem(company_id=other.id, label=f"Ligne de {tag}", unit_price_cents=100)
    db.session.add(item)
    db.session.flush()
    from domain.collections import reminders

    task = reminders.add_task(other.id, user, client_id=client.id, due_on=date(2026, 11, 23), note=f"Appeler {tag}",
                              document=invoice)
    plan = reminders.save_plan(other, None, name=f"Plan de {tag}", steps=reminders.DEFAULT_STEPS[1:2],
                               confirm_formal_notice=True)
    from domain.core import sessions
    from domain.core.orm import utcnow

    device, _key = sessions.start(user, ip="192.0.2.1", user_agent="", now=utcnow())
    # A bank statement (one that does not name its account: any company's IBAN takes it) and its lines.
    from domain.banking import imports
    from tests.support.bank import bank_sample

    imported = imports.import_statement(other, user, bank_sample("credit_mutuel.csv"), f"releve-{tag}.csv").statement
    line_id = db.session.scalar(select(db.metadata.tables["bank_lines"].c.id).where(
        db.metadata.tables["bank_lines"].c.statement_id == imported.id).limit(1))
    return {"session_id": device.id, "user_id": user.id, "client_id": client.id, "contact_id": client.contacts[0].id,
            "quote_id": quote.id,
            "invoice_id": invoice.id, "document_id": invoice.id, "payment_id": payment.id, "item_id": item.id,
            "task_id": task.id, "plan_id": plan.id, "draft_invoice_id": make_invoice(other, client, user).id,
            "statement_id": imported.id, "line_id": line_id}


# Values for the non-id parts of a route (a valid value, so only the id can make it a 404).
OTHER_ARGS = {"channel": "whatsapp", "key": "soft"}


@pytest.fixture
def foreign_ids(app, company):
    with app.app_context():
        other = make_company("Entreprise B", siret="55210055400013")
        make_user(other, email="b@b.example.fr")
        ids = build_foreign_objects(other)
        # company A gets its own objects too, so "first row" bugs cannot pass by luck
        make_client(db.session.get(Company, company), name="Client de A", email="a@example.fr")
        db.session.commit()
        return ids


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        int_args = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if int_args:
            yield rule, int_args


def _url(rule, ids: dict) -> str:
    url = rule.rule
    for name in rule.arguments - set(rule.defaults or {}):  # a default tells two rules of one view apart
        value = ids[name] if name in ids else OTHER_ARGS[name]
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return url


# Pages, fragments (htmx), PDFs and downloads of the same URL.
VARIANTS = ({}, {"HX-Request": "true"})


def test_every_id_route_is_scoped(app, logged_in, foreign_ids):
    checked = 0
    for rule, args in id_routes(app):
        missing = [a for a in args if a not in foreign_ids]
        assert not missing, f"{rule.rule}: add {missing} to build_foreign_objects"
        url = _url(rule, foreign_ids)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in VARIANTS:
                query = {"download": "1"} if method == "GET" else {}
                r = logged_in.open(url, method=method, headers=headers, query_string=query)
                assert r.status_code == 404, f"{method} {url} {headers} -> {r.status_code}"
                checked += 1
    assert checked >= 68  # grows with each feature


@pytest.fixture
def own_ids(app, company, foreign_ids):
    with app.app_context():
        ids = build_foreign_objects(db.session.get(Company, company), tag="A")
        db.session.commit()
        return ids


# Own ids that are a 404 all the same (nothing to show yet).
OWN_404 = {"reminders.formal_notice_letter", "quotes.signed_pdf"}


def test_mixing_own_and_foreign_ids_is_404_and_own_ids_work(app, logged_in, foreign_ids, own_ids):
    """Every route with two ids refuses any mix; every page answers with the user's own ids
    (the control that shows the 404s above came from tenancy, not from a wrong URL)."""
    mixed = 0
    for rule, args in id_routes(app):
        if len(args) < 2:
            continue
        for foreign in args:
            ids = {a: (foreign_ids if a == foreign else own_ids)[a] for a in args}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                r = logged_in.open(_url(rule, ids), method=method)
                assert r.status_code == 404, f"{method} {_url(rule, ids)} -> {r.status_code}"
                mixed += 1
    assert mixed >= 4
    for rule, _args in id_routes(app):
        if "GET" in rule.methods and rule.endpoint not in OWN_404:
            with logged_in.get(_url(rule, own_ids), headers={"HX-Request": "true"}) as r:
                assert r.status_code != 404, f"GET {_url(rule, own_ids)}"


FOREIGN_MARKERS = ("Client de B", "Ligne de B", "Appeler B", "Plan de B", "Entreprise B")


def test_ids_in_forms_and_query_strings_are_scoped(app, logged_in, foreign_ids, own_ids):
    """Ids that travel in a query string or a form body, not in the path."""
    f, own = foreign_ids, own_ids
    for editor in ("quotes", "invoices"):
        assert logged_in.get(f"/{editor}/lines/row?item_id={f['item_id']}").status_code == 404
        assert logged_in.post(f"/{editor}/preview", data={"document_id": f["invoice_id"]}).status_code == 404
        lines = {"row": "k", "line-k-label": "Pose", "line-k-quantity": "1", "line-k-unit_price": "10",
                 "line-k-vat_rate": "2000"}
        r = logged_in.post(f"/{editor}/new", data={"client_id": f["client_id"], "vat_regime": "normal",
                                                   "token": f"t-{editor}", **lines})
        assert r.status_code == 200 and "Choisissez un client" in r.text
        page = logged_in.get(f"/{editor}/new?client_id={f['client_id']}").text
        assert "Client de B" not in page
    r = logged_in.post(f"/invoices/{own['draft_invoice_id']}/edit", data={
        "client_id": f["client_id"], "vat_regime": "normal", "row": "k", "line-k-label": "Pose",
        "line-k-unit_price": "1"})
    assert r.status_code == 200 and "Choisissez un client" in r.text
    logged_in.post(f"/reminders/clients/{own['client_id']}/settings", data={"plan": f["plan_id"]})
    r = logged_in.post(f"/reminders/documents/{own['invoice_id']}/plan", data={"plan": f["plan_id"]},
                       headers={"HX-Request": "true"})
    assert "Plan inconnu" in r.text
    with app.app_context():
        from domain.billing.models import Document
        from domain.core.models import Client

        assert db.session.get(Client, own["client_id"]).reminder_plan_id is None
        assert db.session.get(Document, own["invoice_id"]).reminder_plan_id is None
        assert db.session.scalar(select(db.func.count(Document.id)).where(Document.client_id == f["client_id"])) == 3
    # The bank's split screen: another company's client in the query string shows nothing of it, and
    # its invoice in the form body is not paid.
    page = logged_in.get(f"/bank/lines/{own['line_id']}?client_id={f['client_id']}").text
    assert "Client de B" not in page
    r = logged_in.post(f"/bank/lines/{own['line_id']}/split", data={
        "token": "foreign-split", "client_id": f["client_id"], f"amount-{f['invoice_id']}": "1"})
    assert r.status_code == 200
    with app.app_context():
        from domain.billing.models import Payment

        assert db.session.scalar(select(db.func.count(Payment.id)).where(Payment.document_id == f["invoice_id"])) == 1
    for url in (f"/invoices/?client_id={f['client_id']}", f"/quotes/?client_id={f['client_id']}",
                f"/payments/?client_id={f['client_id']}", "/quotes/lines/catalog?catalog_q=Ligne",
                "/invoices/lines/catalog?catalog_q=Ligne", "/clients/?q=Client", "/catalog/"):
        page = logged_in.get(url).text
        assert not [m for m in FOREIGN_MARKERS if m in page], url


def test_no_page_shows_another_companys_data(app, logged_in, foreign_ids, own_ids):
    """Lists, dashboard, fragments: walked from the URL map with the user's own ids."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(PUBLIC_PREFIXES) or "<token>" in rule.rule:
            continue
        url = _url(rule, own_ids)
        for headers in VARIANTS:
            with logged_in.get(url, headers=headers) as r:
                if r.mimetype == "text/html":
                    found = [m for m in FOREIGN_MARKERS if m in r.get_data(as_text=True)]
                    assert not found, f"GET {url} {headers}: {found}"


def test_mixed_ids_are_404(app, logged_in, foreign_ids, company):
    with app.app_context():
        own_client = db.session.scalar(select(db.metadata.tables["clients"].c.id).where(
            db.metadata.tables["clients"].c.company_id == company))
    r = logged_in.post(f"/clients/{own_client}/contacts/{foreign_ids['contact_id']}/delete")
    assert r.status_code == 404
