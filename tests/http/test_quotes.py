"""Quote pages and fragments: list, lines editor, live totals, issue, accept/refuse,
duplicate, deposits, final invoice, frozen documents, stale forms, double taps."""

from datetime import date, timedelta

import pytest

from domain.billing import documents as docs
from domain.billing import status
from domain.billing.documents import FROZEN_MESSAGE, STALE_MESSAGE
from domain.billing.models import CatalogItem, Document, DocumentLine, Kind
from domain.core.models import Client, Company, Event, FormSubmission
from extensions import db
from tests.support.builders import (
    accepted_quote,
    count,
    issued,
    make_client,
    make_company,
    make_invoice,
    make_quote,
    setup_objects,
    with_company,
)
from tests.support.forms import EXAMPLE_ROWS, document_form
from tests.support.pages import HX, euros, page_text


@pytest.fixture
def clients(app, company):
    return setup_objects(app, company)


def _quote_id(app):
    with app.app_context():
        return db.session.scalar(db.select(Document.id).where(Document.kind == Kind.QUOTE).order_by(Document.id.desc()))


# --- list ----------------------------------------------------------------------------


def test_list_page_and_fragment(logged_in, app, company, clients):
    with_company(app, company, lambda c, u: make_quote(c, make_client(c, name="Zoé Petit", email="z@example.fr"), u))
    page = logged_in.get("/quotes/")
    assert page.status_code == 200 and "<html" in page.text
    assert 'id="quote-filters"' in page.text and 'id="quote-list"' in page.text
    fragment = logged_in.get("/quotes/", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="quote-list"')
    assert "<html" not in fragment.text and "Zoé Petit" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "1 devis" in fragment.text and euros("2 173,28 €") in fragment.text
    restore = logged_in.get("/quotes/", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


# --- create: the lines editor ----------------------------------------------------------


def test_create_quote_with_the_issue_example(logged_in, app, clients):
    client_id, _ = clients
    form = document_form(client_id, token="tok-create-1", validity_date="2026-12-31",
                         rows=[{"kind": "section", "label": "Électricité"}, *EXAMPLE_ROWS])
    r = logged_in.post("/quotes/new", data=form)
    assert r.status_code == 303
    page = logged_in.get(r.headers["Location"])
    text = page.text
    for amount in ("1 964,80 €", "184,48 €", "24,00 €", "2 173,28 €"):
        assert euros(amount) in text, amount
    assert "attestation" in page_text(page)
    with app.app_context():
        quote = db.session.scalar(db.select(Document))
        assert (quote.kind, quote.number, quote.total_ttc_cents) == (Kind.QUOTE, None, 217328)
        assert [(row.kind, row.label, row.quantity_milli, row.unit_price_cents) for row in quote.lines][:4] == [
            ("section", "Électricité", 0, 0), ("item", "Tableau électrique", 1000, 89000),
            ("item", "Prises 16 A", 12000, 3840), ("item", "Main d'oeuvre", 9500, 5200)]
        assert str(quote.validity_date) == "2026-12-31"
    # double tap: the same form token creates nothing more and leads to the same quote
    again = logged_in.post("/quotes/new", data=form)
    assert again.status_code == 303 and again.headers["Location"] == r.headers["Location"]
    with app.app_context():
        assert count(Document) == 1


def test_new_quote_page_prefills(logged_in, app, clients):
    client_id, _ = clients
    r = logged_in.get(f"/quotes/new?client_id={client_id}")
    assert r.status_code == 200
    assert f'<option selected value="{client_id}">' in r.text
    assert 'name="row"' in r.text and 'id="doc-totals"' in r.text and 'hx-post="/quotes/preview"' in r.text
    assert 'value="2026-12-23"' in r.text or 'type="date"' in r.text  # validity = today + 30 days


@pytest.mark.parametrize("rows, fields, message", [
    ([{"label": "Pose", "quantity": "abc", "unit_price": "10"}], {},
     "Ligne 1 : saisissez une quantité valide, par exemple 9,5."),
    ([{"label": "Pose", "quantity": "-2", "unit_price": "10"}], {},
     "Ligne 1 : la quantité doit être supérieure à zéro."),
    ([{"label": "Pose", "quantity": "0", "unit_price": "10"}], {},
     "Ligne 1 : la quantité doit être supérieure à zéro."),
    ([{"label": "Pose", "quantity": "1", "unit_price": "12,345"}], {}, "Ligne 1 : un montant a au plus deux décimales"),
    ([{"label": "Pose", "quantity": "1", "unit_price": "douze"}], {}, "Ligne 1 : saisissez un montant valide"),
    ([{"label": "Pose", "quantity": "1", "unit_price": "-5"}], {}, "Ligne 1 : le montant ne peut pas être négatif."),
    ([{"label": "Pose", "quantity": "1", "unit_price": "5", "discount": "120"}], {},
     "Ligne 1 : un pourcentage ne peut pas dépasser 100."),
    ([{"label": "Pose", "quantity": "1", "unit_price": "5", "vat_rate": "1900"}], {},
     "Ligne 1 : choisissez un taux de TVA"),
    ([EXAMPLE_ROWS[0], {"label": "", "quantity": "2", "unit_price": "5"}], {}, "Ligne 2 : saisissez la désignation."),
    ([{"kind": "section", "label": "Salle de bain"}], {}, "Ajoutez au moins une ligne (prestation ou fourniture)."),
    ([], {}, "Ajoutez au moins une ligne (prestation ou fourniture)."),
    (EXAMPLE_ROWS, {"client_id": ""}, "Choisissez un client."),
    (EXAMPLE_ROWS, {"validity_date": "31/02/2026"}, "Saisissez une date valide, par exemple 23/11/2026."),
    (EXAMPLE_ROWS, {"validity_date": "2020-01-31"}, "La date de validité ne peut pas être déjà passée."),
    (EXAMPLE_ROWS, {"vat_regime": "autoliquidation"}, "L'autoliquidation ne concerne que la sous-traitance"),
])
def test_bad_quote_input_saves_nothing(logged_in, app, clients, rows, fields, message):
    client_id, _ = clients
    r = logged_in.post("/quotes/new", data=document_form(client_id, rows=rows, **fields))
    assert r.status_code == 200
    text = page_text(r)
    assert message in text
    # the typed values come back unchanged
    for row in rows:
        for name, value in row.items():
            if value and name not in ("kind", "vat_rate"):  # a select cannot show a forged rate
                assert f'value="{value}"' in text or value in text
    with app.app_context():
        assert count(Document) == 0 and count(DocumentLine) == 0 and count(Event) == 0


def test_line_errors_sit_next_to_their_field(logged_in, clients):
    client_id, _ = clients
    rows = [EXAMPLE_ROWS[0], {"label": "Pose", "quantity": "1,5", "unit_price": "12,345"}]
    r = logged_in.post("/quotes/new", data=document_form(client_id, rows=rows))
    assert 'id="line-k1-unit_price-error"' in r.text
    assert 'aria-describedby="line-k1-unit_price-error"' in r.text
    assert 'id="line-k0-unit_price-error"' not in r.text and 'id="line-k1-quantity-error"' not in r.text


def test_a_foreign_client_is_refused(logged_in, app, clients):
    with app.app_context():
        other = make_company("Entreprise B", siret="55210055400013")
        foreign = make_client(other, name="Client de B", email="b@example.fr")
        db.session.commit()
        foreign_id = foreign.id
    r = logged_in.post("/quotes/new", data=document_form(foreign_id))
    assert r.status_code == 200 and "Choisissez un client." in r.text
    assert "Client de B" not in r.text  # not offered in the picker either
    with app.app_context():
        assert count(Document) == 0


def test_empty_rows_are_ignored(logged_in, app, clients):
    client_id, _ = clients
    rows = [*EXAMPLE_ROWS, {"label": "", "quantity": "1", "unit_price": ""}, {"kind": "section", "label": ""}]
    assert logged_in.post("/quotes/new", data=document_form(client_id, rows=rows)).status_code == 303
    with app.app_context():
        assert count(DocumentLine) == 4


# --- editor fragments ------------------------------------------------------------------


def test_row_fragments(logged_in, app, company):
    row = logged_in.get("/quotes/lines/row", headers=HX)
    assert row.status_code == 200 and row.text.lstrip().startswith('<div class="line-row"')
    assert 'data-remove-row' in row.text and 'name="row"' in row.text
    assert '<option value="2000" selected>' in row.text  # 20 % by default
    section = logged_in.get("/invoices/lines/row?kind=section", headers=HX)
    assert 'line-section' in section.text and "Titre de section" in section.text
    item_id = with_company(app, company, lambda c, u: _catalog_item(c).id)
    from_catalog = logged_in.get(f"/quotes/lines/row?item_id={item_id}", headers=HX)
    assert 'value="Main d&#39;oeuvre électricien"' in from_catalog.text
    assert 'value="52,00"' in from_catalog.text and '<option value="h" selected>' in from_catalog.text
    assert '<option value="1000" selected>' in from_catalog.text


def _catalog_item(company, **fields):
    item = CatalogItem(company_id=company.id, label="Main d'oeuvre électricien", unit="h", unit_price_cents=5200,
                       vat_rate_bp=1000, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def test_catalog_quick_insert_search(logged_in, app, company):
    def build(c, u):
        _catalog_item(c)
        db.session.add(CatalogItem(company_id=c.id, label="Prise 16 A", unit="u", unit_price_cents=3840))
        db.session.add(CatalogItem(company_id=c.id, label="Prise archivée", archived=True))
    with_company(app, company, build)
    r = logged_in.get("/quotes/lines/catalog?catalog_q=electricien", headers=HX)
    assert r.text.lstrip().startswith('<div id="catalog-results"')
    assert "Main d'oeuvre électricien" in page_text(r) and "Prise 16 A" not in r.text
    assert 'hx-get="/quotes/lines/row?item_id=' in r.text and 'hx-target="#line-rows"' in r.text
    prises = logged_in.get("/invoices/lines/catalog?catalog_q=PRISE", headers=HX)
    assert "Prise 16 A" in prises.text and "archivée" not in prises.text
    assert 'hx-get="/invoices/lines/row?item_id=' in prises.text
    assert "Rien dans le catalogue" in page_text(logged_in.get("/quotes/lines/catalog?catalog_q=zzz", headers=HX))


def test_foreign_catalog_item_is_404(logged_in, app):
    with app.app_context():
        other = make_company("Entreprise B", siret="55210055400013")
        item = _catalog_item(other)
        db.session.commit()
        item_id = item.id
    assert logged_in.get(f"/quotes/lines/row?item_id={item_id}", headers=HX).status_code == 404


def test_live_totals_preview(logged_in, clients):
    client_id, _ = clients
    r = logged_in.post("/quotes/preview", data=document_form(client_id), headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="doc-totals"')
    assert f'id="total-ttc">{euros("2 173,28 €")}' in r.text
    assert f'id="vat-1000">{euros("184,48 €")}' in r.text and f'id="vat-2000">{euros("24,00 €")}' in r.text
    # the fragment re-arms itself, and refreshes each line's total out of band
    assert 'hx-post="/quotes/preview"' in r.text
    line_total = '<span class="sr-only">Total HT de la ligne : </span>'
    assert f'id="line-k2-total" hx-swap-oob="true">{line_total}{euros("494,00 €")}' in r.text
    # a line with an error is left out and said so
    bad = logged_in.post("/quotes/preview", data=document_form(client_id, rows=[
        *EXAMPLE_ROWS[:3], {"label": "Diagnostic", "quantity": "1", "unit_price": "12O"}]), headers=HX)
    assert f'id="total-ttc">{euros("2 029,28 €")}' in bad.text and "lignes à corriger (1)" in bad.text
    # autoliquidation: bases per rate, no VAT
    auto = logged_in.post("/quotes/preview", data=document_form(client_id, vat_regime="autoliquidation"), headers=HX)
    assert f'id="total-ttc">{euros("1 964,80 €")}' in auto.text and "283-2 nonies" in auto.text


# --- edit, stale form, frozen ----------------------------------------------------------


def test_edit_draft_and_stale_form(logged_in, app, company, clients):
    client_id, _ = clients
    logged_in.post("/quotes/new", data=document_form(client_id))
    quote_id = _quote_id(app)
    form_page = logged_in.get(f"/quotes/{quote_id}/edit")
    assert form_page.status_code == 200 and 'name="version"' in form_page.text
    assert 'value="9,5"' in form_page.text and 'value="38,40"' in form_page.text
    with app.app_context():
        version = db.session.get(Document, quote_id).version
    first = logged_in.post(f"/quotes/{quote_id}/edit", data=document_form(client_id, rows=EXAMPLE_ROWS[:2],
                                                                          version=str(version), token="save-1"))
    assert first.status_code == 303
    # a double tap on "Enregistrer" (same form, same token) is not mistaken for a stale form
    twin = logged_in.post(f"/quotes/{quote_id}/edit", data=document_form(client_id, rows=EXAMPLE_ROWS[:2],
                                                                         version=str(version), token="save-1"))
    assert twin.status_code == 303 and twin.headers["Location"] == f"/quotes/{quote_id}"
    # another tab still holds the old version: refused, nothing lost on screen, nothing saved
    stale = logged_in.post(f"/quotes/{quote_id}/edit", data=document_form(
        client_id, rows=[{"label": "Saisie de l'autre onglet", "quantity": "3", "unit_price": "7,77"}],
        version=str(version)))
    assert stale.status_code == 200
    text = page_text(stale)
    assert STALE_MESSAGE in text and 'value="Saisie de l\'autre onglet"' in text and 'value="7,77"' in text
    with app.app_context():
        quote = db.session.get(Document, quote_id)
        assert [row.label for row in quote.lines] == ["Tableau électrique", "Prises 16 A"]
        assert quote.total_ht_cents == 89000 + 46080


def test_issued_quote_is_frozen_even_against_forged_posts(logged_in, app, company, clients):
    client_id, _ = clients
    quote_id = with_company(app, company, lambda c, u: issued(make_quote(c, db.session.get(
        Client, client_id), u), u).id)
    page = logged_in.get(f"/quotes/{quote_id}")
    assert f"/quotes/{quote_id}/edit" not in page.text and "Émettre" not in page.text
    assert logged_in.get(f"/quotes/{quote_id}/edit").status_code == 409
    forged = logged_in.post(f"/quotes/{quote_id}/edit", data=document_form(client_id, rows=[
        {"label": "Pirate", "quantity": "1", "unit_price": "1"}]))
    assert forged.status_code == 409
    assert FROZEN_MESSAGE in page_text(forged) and "Dupliquer le devis" in forged.text
    deleted = logged_in.post(f"/quotes/{quote_id}/delete")
    assert deleted.status_code == 409
    with app.app_context():
        quote = db.session.get(Document, quote_id)
        assert quote.number == "D-2026-0001" and len(quote.lines) == 4 and quote.total_ttc_cents == 217328


# --- issue (double tap), accept, refuse, duplicate ---------------------------------------


def test_issue_once_with_a_double_tap(logged_in, app, company, clients):
    client_id, _ = clients
    logged_in.post("/quotes/new", data=document_form(client_id))
    quote_id = _quote_id(app)
    detail = logged_in.get(f"/quotes/{quote_id}")
    # confirmed before issuing; app.js disables every htmx control while its request runs
    # (tests/browser/test_tap_feedback.py), so the double tap below comes from a script
    assert "hx-confirm=" in detail.text
    first = logged_in.post(f"/quotes/{quote_id}/issue", data={"token": "tap-1"}, headers=HX)
    assert first.status_code == 204 and first.headers["HX-Redirect"] == f"/quotes/{quote_id}"
    second = logged_in.post(f"/quotes/{quote_id}/issue", data={"token": "tap-1"}, headers=HX)
    assert second.status_code == 204 and second.headers["HX-Redirect"] == f"/quotes/{quote_id}"
    # a second token on an issued quote changes nothing either (the domain is idempotent)
    assert logged_in.post(f"/quotes/{quote_id}/issue", data={"token": "tap-2"}).status_code == 303
    with app.app_context():
        quote = db.session.get(Document, quote_id)
        assert quote.number == "D-2026-0001"
        assert count(Event, Event.kind == "issued") == 1
        assert count(FormSubmission) == 2
    page = page_text(logged_in.get(f"/quotes/{quote_id}"))
    assert "Devis D-2026-0001" in page and "En attente" in page and "Le client accepte" in page


def test_issue_refused_when_settings_are_incomplete(logged_in, app, company, clients):
    client_id, _ = clients
    logged_in.post("/quotes/new", data=document_form(client_id))
    quote_id = _quote_id(app)
    with app.app_context():
        db.session.get(Company, company).siret = ""
        db.session.commit()
    r = logged_in.post(f"/quotes/{quote_id}/issue", data={"token": "t"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="quote-actions"')
    assert "Complétez d'abord vos réglages : il manque le SIRET." in page_text(r)
    with app.app_context():
        assert db.session.get(Document, quote_id).number is None
        assert count(FormSubmission) == 0  # the token can be used again once fixed


def test_sent_accept_refuse(logged_in, app, company, clients):
    client_id, _ = clients

    def build(c, u):
        client = db.session.get(Client, client_id)
        return issued(make_quote(c, client, u), u).id, issued(make_quote(c, client, u), u).id
    first, second = with_company(app, company, build)
    assert logged_in.post(f"/quotes/{first}/sent").status_code == 303
    assert logged_in.post(f"/quotes/{first}/accept").status_code == 303
    assert logged_in.post(f"/quotes/{second}/refuse", data={"reason": "Trop cher"}).status_code == 303
    # refusing an accepted quote is refused, in French, in the actions panel
    r = logged_in.post(f"/quotes/{first}/refuse", data={"reason": "?"}, headers=HX)
    assert r.text.lstrip().startswith('<section id="quote-actions"') and "déjà accepté" in page_text(r)
    with app.app_context():
        a, b = db.session.get(Document, first), db.session.get(Document, second)
        assert a.sent_at and a.accepted_at and not a.refused_at
        assert b.refused_at and b.refusal_reason == "Trop cher"
    text = page_text(logged_in.get(f"/quotes/{second}"))
    assert "Refusé" in text and "Trop cher" in text
    history = page_text(logged_in.get(f"/quotes/{first}"))
    for label in ("Créé", "Émis", "Marqué comme envoyé", "Accepté"):
        assert label in history


def test_duplicate_issued_quote(logged_in, app, company, clients):
    client_id, _ = clients
    quote_id = with_company(app, company, lambda c, u: issued(make_quote(c, db.session.get(
        Client, client_id), u), u).id)
    r = logged_in.post(f"/quotes/{quote_id}/duplicate", data={"token": "dup"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/edit")
    again = logged_in.post(f"/quotes/{quote_id}/duplicate", data={"token": "dup"})
    assert again.headers["Location"] == r.headers["Location"]
    with app.app_context():
        copies = db.session.scalars(db.select(Document).where(Document.id != quote_id)).all()
        assert len(copies) == 1 and copies[0].number is None and len(copies[0].lines) == 4


def test_delete_draft(logged_in, app, clients):
    client_id, _ = clients
    logged_in.post("/quotes/new", data=document_form(client_id))
    quote_id = _quote_id(app)
    assert logged_in.post(f"/quotes/{quote_id}/delete").status_code == 303
    with app.app_context():
        assert count(Document) == 0


# --- deposits and final invoice -----------------------------------------------------------


@pytest.fixture
def accepted(app, company, clients):
    client_id, _ = clients
    return with_company(app, company, lambda c, u: accepted_quote(c, db.session.get(
        Client, client_id), u).id)


def test_deposit_forty_percent_then_final(logged_in, app, accepted):
    page = page_text(logged_in.get(f"/quotes/{accepted}"))
    assert "Reste à facturer en acomptes" in page and euros("2 173,28 €") in page
    r = logged_in.post(f"/quotes/{accepted}/deposits", data={"percent": "40", "token": "dep"}, headers=HX)
    assert r.status_code == 204
    deposit_url = r.headers["HX-Redirect"]
    replay = logged_in.post(f"/quotes/{accepted}/deposits", data={"percent": "40", "token": "dep"}, headers=HX)
    assert replay.headers["HX-Redirect"] == deposit_url
    deposit_page = page_text(logged_in.get(deposit_url))
    assert "Facture d'acompte" in deposit_page and euros("869,31 €") in deposit_page
    deposit_id = int(deposit_url.rsplit("/", 1)[1])
    assert logged_in.post(f"/invoices/{deposit_id}/issue", data={"token": "i1"}).status_code == 303
    final = logged_in.post(f"/quotes/{accepted}/final", data={"token": "fin"})
    assert final.status_code == 303
    final_page = page_text(logged_in.get(final.headers["Location"]))
    assert "Facture de solde" in final_page and "Acompte F-2026-0001" in final_page
    assert euros("1 303,97 €") in final_page
    again = logged_in.post(f"/quotes/{accepted}/final", data={"token": "fin"})
    assert again.headers["Location"] == final.headers["Location"]
    with app.app_context():
        assert count(Document, Document.kind == Kind.DEPOSIT) == 1
        assert count(Document, Document.kind == Kind.FINAL) == 1
    quote_page = page_text(logged_in.get(f"/quotes/{accepted}"))
    assert "Factures de ce devis" in quote_page and "F-2026-0001" in quote_page


@pytest.mark.parametrize("data, field, message", [
    ({"percent": "", "amount": ""}, "percent", "Indiquez un pourcentage (par exemple 30) ou un montant TTC."),
    ({"percent": "40", "amount": "100"}, "amount", "Indiquez soit un pourcentage, soit un montant, pas les deux."),
    ({"percent": "quarante"}, "percent", "Saisissez un pourcentage valide"),
    ({"percent": "140"}, "percent", "Un pourcentage ne peut pas dépasser 100."),
    ({"amount": "0"}, "amount", "Le montant doit être supérieur à zéro."),
    ({"amount": "100,001"}, "amount", "deux décimales"),
    ({"amount": "2173,29"}, "amount", "L'acompte dépasse ce qui reste à facturer sur ce devis"),
])
def test_bad_deposits_change_nothing(logged_in, app, accepted, data, field, message):
    r = logged_in.post(f"/quotes/{accepted}/deposits", data=data, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="quote-actions"')
    text = page_text(r)
    assert message in text
    assert f'id="{field}-error"' in r.text
    with app.app_context():
        assert count(Document, Document.kind == Kind.DEPOSIT) == 0


def test_deposit_above_what_is_left(logged_in, app, accepted):
    logged_in.post(f"/quotes/{accepted}/deposits", data={"percent": "60", "token": "a"})
    r = logged_in.post(f"/quotes/{accepted}/deposits", data={"amount": "900", "token": "b"})
    assert r.status_code == 200
    text = page_text(r)
    assert "L'acompte dépasse ce qui reste à facturer sur ce devis (869,31" in text
    with app.app_context():
        assert count(Document, Document.kind == Kind.DEPOSIT) == 1


def test_deposit_needs_an_accepted_quote(logged_in, app, company, clients):
    client_id, _ = clients
    quote_id = with_company(app, company, lambda c, u: issued(make_quote(c, db.session.get(
        Client, client_id), u), u).id)
    r = logged_in.post(f"/quotes/{quote_id}/deposits", data={"percent": "30"}, headers=HX)
    assert "Le devis doit d'abord être accepté par le client." in page_text(r)
    r = logged_in.post(f"/quotes/{quote_id}/final", headers=HX)
    assert "Le devis doit d'abord être accepté par le client." in page_text(r)
    with app.app_context():
        assert count(Document) == 1


def test_kinds_are_checked_in_urls(logged_in, app, company, clients, accepted):
    assert logged_in.get(f"/invoices/{accepted}").status_code == 404
    assert logged_in.post(f"/invoices/{accepted}/payments", data={"amount": "1"}).status_code == 404
    invoice_id = with_company(app, company, lambda c, u: make_invoice(
        c, db.session.get(Client, clients[0]), u).id)
    assert logged_in.get(f"/quotes/{invoice_id}").status_code == 404
    assert logged_in.post(f"/quotes/{invoice_id}/accept").status_code == 404


# --- list filters over HTTP ---------------------------------------------------------------


def test_list_filters_in_the_url(logged_in, app, company, clients):
    client_id, pro_id = clients

    def build(c, u):
        helene, pro = db.session.get(Client, client_id), db.session.get(Client, pro_id)
        day = lambda n: date(2026, 11, 23) - timedelta(days=n)  # noqa: E731
        make_quote(c, helene, u)                                    # draft 2 173,28
        q1 = issued(make_quote(c, pro, u, today=day(10)), u, day(10))  # pending
        q2 = issued(make_quote(c, helene, u, today=day(5)), u, day(5))
        docs.accept_quote(q2, u)                                    # accepted
        return q1.number, q2.number
    pending_number, accepted_number = with_company(app, company, build)
    r = logged_in.get("/quotes/?status=accepte", headers=HX)
    assert "1 devis" in r.text and accepted_number in r.text and pending_number not in r.text
    r = logged_in.get(f"/quotes/?client_id={client_id}", headers=HX)
    assert "2 devis" in r.text and euros("4 346,56 €") in r.text
    r = logged_in.get("/quotes/?q=batir", headers=HX)
    assert "1 devis" in r.text and pending_number in r.text
    r = logged_in.get(f"/quotes/?q={pending_number.lower()}", headers=HX)
    assert "1 devis" in r.text
    r = logged_in.get("/quotes/?amount_min=abc", headers=HX)
    assert "Saisissez un montant valide" in page_text(r) and "3 devis" in r.text
    page = logged_in.get("/quotes/?status=accepte&sort=amount")
    assert '<option value="accepte" selected>' in page.text and '<option value="amount" selected>' in page.text


def test_quote_status_filter_values_are_derived(logged_in, app, company, clients):
    """An issued quote past its validity date shows as expired without anything stored."""
    client_id, _ = clients

    def build(c, u):
        q = issued(make_quote(c, db.session.get(Client, client_id), u, today=date(2026, 9, 1)),
                   u, date(2026, 9, 1))
        return q.number
    number = with_company(app, company, build)
    r = logged_in.get("/quotes/?status=expire", headers=HX)
    assert number in r.text and status.label(status.EXPIRED) in r.text
