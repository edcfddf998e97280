"""The catalogue of frequent lines: list, add (bad input), edit, archive/restore, franchise."""

import pytest

from domain.billing.models import CatalogItem
from domain.core.models import Company
from extensions import db
from tests.support.builders import make_company, make_user
from tests.support.pages import HX, euros, page_text

GOOD = {"kind": "prestation", "label": "Main d'oeuvre électricien", "description": "Taux horaire",
        "unit": "h", "unit_price": "52", "vat_rate": "1000"}


def _items():
    return db.session.scalars(db.select(CatalogItem).order_by(CatalogItem.id)).all()


def test_add_list_edit_archive(logged_in, app, company):
    page = logged_in.get("/catalog/")
    assert page.status_code == 200 and "Catalogue vide" in page_text(page)
    r = logged_in.post("/catalog/", data=GOOD)
    assert r.status_code == 303
    listing = page_text(logged_in.get("/catalog/"))
    assert "Main d'oeuvre électricien" in listing and euros("52,00 €") + " HT / h" in listing
    fragment = logged_in.get("/catalog/", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="catalog-list"')
    with app.app_context():
        (item,) = _items()
        assert (item.unit_price_cents, item.vat_rate_bp, item.unit, item.company_id) == (5200, 1000, "h", company)
        item_id = item.id
    edit = logged_in.get(f"/catalog/{item_id}/edit")
    assert 'value="52,00"' in edit.text and '<option selected value="1000">' in edit.text
    r = logged_in.post(f"/catalog/{item_id}/edit", data={**GOOD, "unit_price": "55,50", "label": "Main d'oeuvre"})
    assert r.status_code == 303
    assert logged_in.post(f"/catalog/{item_id}/archive").status_code == 303
    assert "Main d'oeuvre" not in page_text(logged_in.get("/catalog/", headers=HX))
    assert "Main d'oeuvre" in page_text(logged_in.get("/catalog/?archived=1", headers=HX))
    # an archived line is not offered in the lines editor
    assert "Main d'oeuvre" not in page_text(logged_in.get("/quotes/lines/catalog?catalog_q=main", headers=HX))
    logged_in.post(f"/catalog/{item_id}/restore")
    assert "Main d'oeuvre" in page_text(logged_in.get("/quotes/lines/catalog?catalog_q=main", headers=HX))
    with app.app_context():
        (item,) = _items()
        assert (item.label, item.unit_price_cents, item.archived) == ("Main d'oeuvre", 5550, False)


@pytest.mark.parametrize("data, field, message", [
    ({"label": ""}, "label", "Saisissez la désignation."),
    ({"unit_price": ""}, "unit_price", "Saisissez le prix unitaire HT"),
    ({"unit_price": "52,123"}, "unit_price", "deux décimales"),
    ({"unit_price": "-3"}, "unit_price", "ne peut pas être négatif"),
    ({"unit_price": "cinquante"}, "unit_price", "Saisissez un montant valide"),
    ({"vat_rate": "1900"}, "vat_rate", "pas un choix valide"),
    ({"unit": "parsec"}, "unit", "pas un choix valide"),
])
def test_bad_items_are_refused(logged_in, app, data, field, message):
    r = logged_in.post("/catalog/", data={**GOOD, **data})
    assert r.status_code == 200 and message in page_text(r) and f'id="{field}-error"' in r.text
    with app.app_context():
        assert _items() == []


def test_franchise_company_lines_carry_no_vat(app, client, auth):
    with app.app_context():
        company = make_company(vat_regime="franchise", vat_number="")
        make_user(company)
        db.session.commit()
    auth.login()
    assert '<option selected value="0">' in client.get("/catalog/").text
    r = client.post("/catalog/", data=GOOD)
    assert r.status_code == 200 and "293 B" in page_text(r)
    assert client.post("/catalog/", data={**GOOD, "vat_rate": "0"}).status_code == 303
    # and a catalogue line inserted in a franchise document comes in at 0 %
    with app.app_context():
        db.session.add(CatalogItem(company_id=db.session.scalar(db.select(Company.id)), label="Ancienne ligne",
                                   unit_price_cents=100, vat_rate_bp=2000))
        db.session.commit()
        old_id = db.session.scalar(db.select(CatalogItem.id).where(CatalogItem.label == "Ancienne ligne"))
    row = client.get(f"/quotes/lines/row?item_id={old_id}", headers=HX)
    assert '<option value="0" selected>' in row.text and 'value="2000"' not in row.text
