"""Tenancy: every route that takes an id, called with another company's ids, is a 404.

Routes are enumerated from the URL map, so a new route cannot escape this test: any
id argument without an entry in `foreign_ids` fails the test until one is added.
"""

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from domain.models import Company
from extensions import db
from tests.conftest import make_client, make_company, make_user

# Routes reachable without a login, checked elsewhere (token based, not id based).
PUBLIC_PREFIXES = ("/static/",)


def build_foreign_objects(other: Company) -> dict[str, int]:
    """Objects of another company, by URL argument name."""
    from datetime import date

    from domain import payments
    from domain.models import CatalogItem, PaymentMethod
    from domain.payments import PaymentInput
    from tests.builders import accepted_quote, issued, make_invoice

    client = make_client(other, name="Client de B", email="b@example.fr")
    user = make_user(other, email="b2@b.example.fr")
    quote = accepted_quote(other, client, user)
    invoice = issued(make_invoice(other, client, user), user)
    payment = payments.record_payment(invoice, user, PaymentInput(1000, date(2026, 11, 23), PaymentMethod.CASH),
                                      today=date(2026, 11, 23))
    item = CatalogItem(company_id=other.id, label="Ligne de B", unit_price_cents=100)
    db.session.add(item)
    db.session.flush()
    from domain import reminders

    task = reminders.add_task(other.id, user, client_id=client.id, due_on=date(2026, 11, 23), note="Appeler B",
                              document=invoice)
    plan = reminders.save_plan(other, None, name="Plan de B", steps=reminders.DEFAULT_STEPS[1:2],
                               confirm_formal_notice=True)
    return {"client_id": client.id, "contact_id": client.contacts[0].id, "quote_id": quote.id,
            "invoice_id": invoice.id, "document_id": invoice.id, "payment_id": payment.id, "item_id": item.id,
            "task_id": task.id, "plan_id": plan.id}


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


def test_every_id_route_is_scoped(app, logged_in, foreign_ids):
    checked = 0
    for rule, args in id_routes(app):
        missing = [a for a in args if a not in foreign_ids]
        assert not missing, f"{rule.rule}: add {missing} to build_foreign_objects"
        url = rule.rule
        for name in rule.arguments:
            value = foreign_ids[name] if name in args else OTHER_ARGS[name]
            url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = logged_in.open(url, method=method)
            assert r.status_code == 404, f"{method} {url} -> {r.status_code}"
            checked += 1
    assert checked >= 34  # grows with each feature


def test_mixed_ids_are_404(app, logged_in, foreign_ids, company):
    with app.app_context():
        own_client = db.session.scalar(select(db.metadata.tables["clients"].c.id).where(
            db.metadata.tables["clients"].c.company_id == company))
    r = logged_in.post(f"/clients/{own_client}/contacts/{foreign_ids['contact_id']}/delete")
    assert r.status_code == 404
