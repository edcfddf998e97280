"""Form data for the document pages, as the lines editor posts it (shared by the HTTP tests)."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from domain.billing import documents as docs
from domain.billing.models import Document
from domain.core.models import Client, Company, User
from extensions import db
from tests.builders import accepted_quote, issued, make_invoice, make_quote

TODAY = date(2026, 11, 23)

# The example, typed the way people type: "9,5", "38.40", "52".
EXAMPLE_ROWS = [
    {"label": "Tableau électrique", "quantity": "1", "unit": "u", "unit_price": "890,00", "vat_rate": "1000"},
    {"label": "Prises 16 A", "quantity": "12", "unit": "u", "unit_price": "38.40", "vat_rate": "1000"},
    {"label": "Main d'oeuvre", "quantity": "9,5", "unit": "h", "unit_price": "52", "vat_rate": "1000"},
    {"label": "Diagnostic", "quantity": "1", "unit": "forfait", "unit_price": "120,00", "vat_rate": "2000"},
]


def document_form(client_id, /, rows=EXAMPLE_ROWS, **fields) -> MultiDict:
    """POST data of the quote/invoice editor: header fields, then one block per row."""
    data = MultiDict()
    defaults = {"client_id": str(client_id), "subject": "Rénovation électrique", "vat_regime": "normal", "notes": ""}
    defaults.update({k: v for k, v in fields.items()})
    for key, value in defaults.items():
        if value is not None:
            data.add(key, value)
    for index, row in enumerate(rows):
        key = f"k{index}"
        data.add("row", key)
        data.add(f"line-{key}-kind", row.get("kind", "item"))
        for name, value in row.items():
            if name != "kind":
                data.add(f"line-{key}-{name}", value)
    return data


def setup_objects(app, company_id):
    """The company's user and two clients (a person and a business)."""
    with app.app_context():
        from tests.conftest import make_client

        company = db.session.get(Company, company_id)
        client = make_client(company)
        pro = make_client(company, name="Bâtir SAS", kind="professionnel", email="pro@example.fr",
                          siren="552100554", vat_number="FR44552100554")
        db.session.commit()
        return client.id, pro.id


def with_company(app, company_id, build):
    """Run build(company, user) in an app context, commit, return its result."""
    with app.app_context():
        company = db.session.get(Company, company_id)
        user = db.session.scalar(db.select(User).where(User.company_id == company_id))
        result = build(company, user)
        db.session.commit()
        return result


def count(model, *where) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


__all__ = ["TODAY", "EXAMPLE_ROWS", "document_form", "setup_objects", "with_company", "count", "accepted_quote",
           "issued", "make_invoice", "make_quote", "docs", "Client", "Document"]
