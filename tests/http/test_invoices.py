"""Invoice pages and fragments: list, standalone invoices, deposit/final drafts, issue,
payments (record, refuse, double tap, cancel), credit notes, frozen documents, client summary."""

from datetime import timedelta

import pytest

from domain.billing import documents as docs
from domain.billing import payments, status
from domain.billing.documents import FROZEN_MESSAGE
from domain.billing.models import Document, DocumentLine, Kind, Payment, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core import clock
from domain.core.models import Client, Event
from extensions import db
from tests.support.builders import accepted_quote, count, issued, make_invoice, setup_objects, with_company
from tests.support.forms import EXAMPLE_ROWS, document_form
from tests.support.pages import HX, euros, page_text

TODAY = clock.today_in("Europe/Paris")  # the company's "today", as the routes see it


@pytest.fixture
def clients(app, company):
    return setup_objects(app, company)


def _client(client_id):
    return db.session.get(Client, client_id)


@pytest.fixture
def invoice_id(app, company, clients):
    """An issued standalone invoice of 165,00 € TTC (150 HT at 10 %), issued today."""
    return with_company(app, company, lambda c, u: issued(make_invoice(c, _client(clients[0]), u), u, TODAY).id)


@pytest.fixture
def final_id(app, company, clients):
    """The issue's example: accepted quote, 40 % deposit issued, final invoice issued (net 1 303,97 €)."""
    def build(c, u):
        quote = accepted_quote(c, _client(clients[0]), u, today=TODAY)
        issued(docs.create_deposit(quote, u, today=TODAY, percent_bp=4000), u, TODAY)
        return issued(docs.create_final(quote, u, today=TODAY), u, TODAY).id
    return with_company(app, company, build)


def _doc(doc_id) -> Document:
    return db.session.get(Document, doc_id)


# --- list ----------------------------------------------------------------------------


def test_list_page_and_fragment(logged_in, app, invoice_id, final_id):
    page = logged_in.get("/invoices/")
    assert page.status_code == 200 and 'id="invoice-filters"' in page.text
    fragment = logged_in.get("/invoices/", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="invoice-list"') and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # standalone 165,00 + deposit 869,31 + final 1 303,97
    assert "3 documents" in fragment.text
    assert euros("2 338,28 €") in fragment.text
    assert fragment.text.count('class="doc-row"') == 3
    deposits = logged_in.get("/invoices/?kind=deposit", headers=HX)
    assert "1 document" in deposits.text and euros("869,31 €") in deposits.text


def test_overdue_filter_and_days_late(logged_in, app, company, clients):
    def build(c, u):
        late = issued(make_invoice(c, _client(clients[0]), u, today=TODAY - timedelta(days=45)), u,
                      TODAY - timedelta(days=45))
        issued(make_invoice(c, _client(clients[0]), u, today=TODAY), u, TODAY)
        return late.number
    late_number = with_company(app, company, build)
    r = logged_in.get("/invoices/?overdue=1", headers=HX)
    assert "1 document" in r.text and late_number in r.text and "15 j de retard" in r.text
    page = logged_in.get("/invoices/?overdue=1")
    assert 'name="overdue" value="1" checked' in page.text


# --- standalone invoice ---------------------------------------------------------------


def test_create_edit_issue_standalone_invoice(logged_in, app, clients):
    client_id, _ = clients
    form = document_form(client_id, rows=[{"label": "Dépannage fuite", "quantity": "1", "unit_price": "150",
                                           "vat_rate": "1000", "unit": "forfait"}], token="new-inv",
                         payment_terms_days="15", service_date=str(TODAY))
    r = logged_in.post("/invoices/new", data=form)
    assert r.status_code == 303
    invoice_url = r.headers["Location"]
    assert logged_in.post("/invoices/new", data=form).headers["Location"] == invoice_url
    invoice_id = int(invoice_url.rsplit("/", 1)[1])
    edit = logged_in.get(f"{invoice_url}/edit")
    assert edit.status_code == 200 and 'value="150,00"' in edit.text and 'value="15"' in edit.text
    with app.app_context():
        version = _doc(invoice_id).version
    saved = logged_in.post(f"{invoice_url}/edit", data=document_form(client_id, version=str(version), rows=[
        {"label": "Dépannage fuite", "quantity": "1,5", "unit_price": "100", "vat_rate": "1000", "unit": "h"}],
        payment_terms_days="15"))
    assert saved.status_code == 303
    issue = logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "issue-inv"}, headers=HX)
    assert issue.status_code == 204
    page = page_text(logged_in.get(invoice_url))
    assert "Facture F-" in page and "À envoyer" in page and euros("165,00 €") in page
    with app.app_context():
        invoice = _doc(invoice_id)
        assert invoice.number.startswith("F-") and invoice.due_date == TODAY + timedelta(days=15)
        assert invoice.total_ttc_cents == 16500 and invoice.issue_date == TODAY
        assert count(Document) == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"requested_due_date": str(TODAY - timedelta(days=1))}, "requested_due_date",
     "La date d'échéance ne peut pas être antérieure à la date d'émission."),
    ({"requested_due_date": "pas une date"}, "requested_due_date", "Saisissez une date valide"),
    ({"payment_terms_days": "400"}, "payment_terms_days", "Entre 0 et 365 jours."),
    ({"service_date": "2026-13-01"}, "service_date", "Saisissez une date valide"),
])
def test_bad_invoice_header_saves_nothing(logged_in, app, clients, fields, field, message):
    client_id, _ = clients
    r = logged_in.post("/invoices/new", data=document_form(client_id, **fields))
    assert r.status_code == 200
    assert message in page_text(r) and f'id="{field}-error"' in r.text
    with app.app_context():
        assert count(Document) == 0


def test_b2b_due_date_capped_by_l441_10(logged_in, app, clients):
    client_id, pro_id = clients
    r = logged_in.post("/invoices/new", data=document_form(pro_id, requested_due_date=str(TODAY + timedelta(days=100))))
    assert "L441-10" in page_text(r) and 'id="requested_due_date-error"' in r.text
    terms = logged_in.post("/invoices/new", data=document_form(pro_id, payment_terms_days="90"))
    assert "L441-10" in page_text(terms) and 'id="payment_terms_days-error"' in terms.text
    # a consumer may agree to 90 days
    assert logged_in.post("/invoices/new", data=document_form(client_id, payment_terms_days="90")).status_code == 303
    with app.app_context():
        assert count(Document) == 1


def test_due_date_refused_at_issue_is_shown_with_a_way_to_fix_it(logged_in, app, company, clients):
    invoice_id = with_company(app, company, lambda c, u: make_invoice(
        c, _client(clients[0]), u, requested_due_date=TODAY - timedelta(days=3)).id)
    r = logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "x"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="invoice-actions"')
    assert "antérieure à la date d'émission" in page_text(r) and "Modifier l'échéance" in page_text(r)
    with app.app_context():
        assert _doc(invoice_id).number is None


def test_issue_once_with_a_double_tap(logged_in, app, company, clients):
    invoice_id = with_company(app, company, lambda c, u: make_invoice(c, _client(clients[0]), u).id)
    for _ in range(3):
        r = logged_in.post(f"/invoices/{invoice_id}/issue", data={"token": "same"}, headers=HX)
        assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/invoices/{invoice_id}"
    with app.app_context():
        assert _doc(invoice_id).number == f"F-{TODAY.year}-0001"
        assert count(Event, Event.kind == "issued") == 1


def test_issued_invoice_is_frozen_even_against_forged_posts(logged_in, app, clients, invoice_id):
    client_id, _ = clients
    page = logged_in.get(f"/invoices/{invoice_id}")
    assert f"/invoices/{invoice_id}/edit" not in page.text and "Émettre" not in page.text
    forged = logged_in.post(f"/invoices/{invoice_id}/edit", data=document_form(client_id, rows=[
        {"label": "Autre chose", "quantity": "1", "unit_price": "1"}]))
    assert forged.status_code == 409
    text = page_text(forged)
    assert FROZEN_MESSAGE in text and f"/invoices/{invoice_id}/credit-notes/new" in text and "Créer un avoir" in text
    assert logged_in.post(f"/invoices/{invoice_id}/delete").status_code == 409
    # htmx does not swap a 409: an htmx caller is sent to the page, where the reason is shown
    hx_delete = logged_in.post(f"/invoices/{invoice_id}/delete", headers=HX)
    assert hx_delete.status_code == 204 and hx_delete.headers["HX-Redirect"] == f"/invoices/{invoice_id}"
    assert FROZEN_MESSAGE in page_text(logged_in.get(f"/invoices/{invoice_id}"))
    with app.app_context():
        invoice = _doc(invoice_id)
        assert [line.label for line in invoice.lines] == ["Dépannage fuite"] and invoice.total_ttc_cents == 16500
        assert count(Event, Event.kind == "edited") == 0


# --- deposit and final drafts ----------------------------------------------------------


def test_deposit_draft_edits_dates_not_amounts(logged_in, app, company, clients):
    deposit_id = with_company(app, company, lambda c, u: docs.create_deposit(
        accepted_quote(c, _client(clients[0]), u, today=TODAY), u, today=TODAY, percent_bp=4000).id)
    edit = logged_in.get(f"/invoices/{deposit_id}/edit")
    assert edit.status_code == 200 and 'id="line-rows"' not in edit.text  # no lines editor
    assert "Hélène Dupont" in edit.text and 'name="client_id"' not in edit.text
    with app.app_context():
        version = _doc(deposit_id).version
    data = document_form(0, rows=[{"label": "Pirate", "quantity": "1", "unit_price": "1"}], version=str(version),
                         service_date=str(TODAY), notes="Acompte à la commande")
    r = logged_in.post(f"/invoices/{deposit_id}/edit", data=data)
    assert r.status_code == 303
    with app.app_context():
        deposit = _doc(deposit_id)
        assert deposit.total_ttc_cents == 86931 and deposit.notes == "Acompte à la commande"
        assert deposit.service_date == TODAY and deposit.client_id == clients[0]


def test_final_invoice_page(logged_in, app, final_id):
    page = page_text(logged_in.get(f"/invoices/{final_id}"))
    assert "Facture de solde" in page and f"Acompte F-{TODAY.year}-0001" in page
    assert euros("2 173,28 €") in page and euros("869,31 €") in page and euros("1 303,97 €") in page
    assert "Net à payer" in page and "Reste à payer" in page
    # per-rate deposit detail: 10 % base 737,92, VAT 73,79
    assert "HT 10\u00a0% : " + euros("737,92 €") + ", TVA " + euros("73,79 €") in page


def test_final_preview_shows_deductions(logged_in, app, company, clients):
    def build(c, u):
        quote = accepted_quote(c, _client(clients[0]), u, today=TODAY)
        issued(docs.create_deposit(quote, u, today=TODAY, percent_bp=4000), u, TODAY)
        return docs.create_final(quote, u, today=TODAY).id
    final_id = with_company(app, company, build)
    r = logged_in.post("/invoices/preview", data=document_form(0, document_id=str(final_id)), headers=HX)
    assert f'id="total-net">{euros("1 303,97 €")}' in r.text


# --- payments ----------------------------------------------------------------------------


def test_payment_form_is_prefilled(logged_in, final_id):
    page = logged_in.get(f"/invoices/{final_id}")
    assert 'id="payment-form"' in page.text and 'value="1303,97"' in page.text
    assert f'value="{TODAY.isoformat()}"' in page.text
    for label in ("Virement", "Chèque", "Espèces", "Carte bancaire", "Prélèvement"):
        assert label in page.text
    assert 'hx-disabled-elt="find button[type=submit]"' in page.text


def test_partial_payment_and_double_tap(logged_in, app, final_id):
    data = {"amount": "500,00", "paid_on": TODAY.isoformat(), "method": "virement", "reference": "VIR 123",
            "token": "pay-1"}
    first = logged_in.post(f"/invoices/{final_id}/payments", data=data, headers=HX)
    assert first.status_code == 204 and first.headers["HX-Redirect"] == f"/invoices/{final_id}"
    second = logged_in.post(f"/invoices/{final_id}/payments", data=data, headers=HX)
    assert second.status_code == 204
    page = page_text(logged_in.get(f"/invoices/{final_id}"))
    assert f'id="remaining">{euros("803,97 €")}' in page and "Partiellement payée" in page
    assert "VIR 123" in page and 'value="803,97"' in page
    with app.app_context():
        assert count(Payment) == 1
        assert _doc(final_id).remaining_cents == 80397


@pytest.mark.parametrize("data, field, message", [
    ({"amount": "0"}, "amount", "Le montant doit être supérieur à zéro."),
    ({"amount": ""}, "amount", "Saisissez un montant, par exemple 12,50."),
    ({"amount": "cinq cents"}, "amount", "Saisissez un montant valide, par exemple 12,50."),
    ({"amount": "10,555"}, "amount", "deux décimales"),
    ({"amount": "1303,98"}, "amount",
     "Le montant dépasse le reste à payer (1\u202f303,97\u00a0€) : un trop-perçu n'est pas enregistré."),
    ({"method": ""}, "method", "Choisissez un mode de paiement."),
    ({"method": "bitcoin"}, "method", "Choisissez un mode de paiement."),
    ({"paid_on": ""}, "paid_on", "Indiquez la date du paiement."),
    ({"paid_on": "2099-01-01"}, "paid_on", "La date du paiement ne peut pas être dans le futur."),
])
def test_bad_payments_change_nothing(logged_in, app, final_id, data, field, message):
    form = {"amount": "500", "paid_on": TODAY.isoformat(), "method": "cheque", "reference": "", "token": "bad"}
    form.update(data)
    r = logged_in.post(f"/invoices/{final_id}/payments", data=form, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="payment-form"')
    assert message in page_text(r) and f'id="{field}-error"' in r.text
    with app.app_context():
        assert count(Payment) == 0 and _doc(final_id).paid_cents == 0
        assert count(Event, Event.kind == "payment_recorded") == 0
    # the same token works once the input is fixed
    form.update({"amount": "500", "paid_on": TODAY.isoformat(), "method": "cheque"})
    assert logged_in.post(f"/invoices/{final_id}/payments", data=form, headers=HX).status_code == 204


def test_payment_on_a_draft_is_refused(logged_in, app, company, clients):
    draft_id = with_company(app, company, lambda c, u: make_invoice(c, _client(clients[0]), u).id)
    r = logged_in.post(f"/invoices/{draft_id}/payments", data={
        "amount": "10", "paid_on": TODAY.isoformat(), "method": "especes"}, headers=HX)
    assert "Un paiement s'enregistre sur une facture émise." in page_text(r)
    with app.app_context():
        assert count(Payment) == 0


def test_full_payment_then_cancel_with_reason(logged_in, app, invoice_id):
    logged_in.post(f"/invoices/{invoice_id}/payments", data={
        "amount": "165", "paid_on": TODAY.isoformat(), "method": "cheque", "reference": "Chq 42", "token": "p"})
    page = page_text(logged_in.get(f"/invoices/{invoice_id}"))
    assert "Payée" in page and 'id="payment-form"' not in page
    with app.app_context():
        payment_id = db.session.scalar(db.select(Payment.id))
    no_reason = logged_in.post(f"/invoices/{invoice_id}/payments/{payment_id}/cancel", data={"reason": " "}, headers=HX)
    assert no_reason.status_code == 200 and no_reason.text.lstrip().startswith('<section id="invoice-payments"')
    assert "Indiquez le motif de l'annulation" in page_text(no_reason)
    with app.app_context():
        assert db.session.get(Payment, payment_id).cancelled_at is None
    ok = logged_in.post(f"/invoices/{invoice_id}/payments/{payment_id}/cancel", data={"reason": "Chèque impayé"})
    assert ok.status_code == 303
    page = page_text(logged_in.get(f"/invoices/{invoice_id}"))
    assert "annulé" in page and "Chèque impayé" in page and f'id="remaining">{euros("165,00 €")}' in page
    assert "Paiement annulé" in page  # in the history
    with app.app_context():
        assert _doc(invoice_id).paid_cents == 0


def test_cancel_payment_of_another_invoice_is_404(logged_in, app, company, clients, invoice_id, final_id):
    def build(c, u):
        return payments.record_payment(_doc(final_id), u, PaymentInput(100, TODAY, PaymentMethod.CASH), today=TODAY).id
    payment_id = with_company(app, company, build)
    r = logged_in.post(f"/invoices/{invoice_id}/payments/{payment_id}/cancel", data={"reason": "x"})
    assert r.status_code == 404
    with app.app_context():
        assert db.session.get(Payment, payment_id).cancelled_at is None


# --- credit notes -------------------------------------------------------------------------


def test_full_credit_note_cancels_the_invoice(logged_in, app, invoice_id):
    r = logged_in.post(f"/invoices/{invoice_id}/credit-notes", data={"reason": "Erreur de client", "token": "cn"})
    assert r.status_code == 303
    note_url = r.headers["Location"]
    assert logged_in.post(f"/invoices/{invoice_id}/credit-notes", data={"token": "cn"}).headers["Location"] == note_url
    note_page = page_text(logged_in.get(note_url))
    assert "Avoir" in note_page and "Émettre l'avoir" in note_page and "Erreur de client" in note_page
    note_id = int(note_url.rsplit("/", 1)[1])
    assert logged_in.post(f"/invoices/{note_id}/issue", data={"token": "cn-issue"}).status_code == 303
    page = page_text(logged_in.get(f"/invoices/{invoice_id}"))
    assert "Annulée" in page and f"Avoir A-{TODAY.year}-0001" in page
    with app.app_context():
        assert _doc(invoice_id).remaining_cents == 0
        assert count(Document, Document.kind == Kind.CREDIT_NOTE) == 1


def test_partial_credit_note(logged_in, app, invoice_id):
    form_page = logged_in.get(f"/invoices/{invoice_id}/credit-notes/new")
    assert form_page.status_code == 200 and 'id="line-rows"' in form_page.text
    assert 'hx-post="/invoices/preview"' in form_page.text
    too_much = logged_in.post(f"/invoices/{invoice_id}/credit-notes/new", data=document_form(0, rows=[
        {"label": "Remise", "quantity": "1", "unit_price": "200", "vat_rate": "1000"}], reason="Geste"))
    assert too_much.status_code == 200 and "dépasse ce qui reste dû" in page_text(too_much)
    bad = logged_in.post(f"/invoices/{invoice_id}/credit-notes/new", data=document_form(0, rows=[
        {"label": "Remise", "quantity": "un", "unit_price": "20", "vat_rate": "1000"}]))
    assert "Ligne 1 : saisissez une quantité valide" in page_text(bad)
    with app.app_context():
        assert count(Document, Document.kind == Kind.CREDIT_NOTE) == 0
    ok = logged_in.post(f"/invoices/{invoice_id}/credit-notes/new", data=document_form(0, rows=[
        {"label": "Remise", "quantity": "1", "unit_price": "50", "vat_rate": "1000"}], reason="Geste", token="pcn"))
    assert ok.status_code == 303
    note_id = int(ok.headers["Location"].rsplit("/", 1)[1])
    logged_in.post(f"/invoices/{note_id}/issue", data={"token": "pcn-issue"})
    page = page_text(logged_in.get(f"/invoices/{invoice_id}"))
    assert f'id="remaining">{euros("110,00 €")}' in page
    with app.app_context():
        assert _doc(invoice_id).credited_cents == 5500


def test_full_credit_note_refused_after_a_payment(logged_in, app, company, invoice_id):
    with_company(app, company, lambda c, u: payments.record_payment(
        _doc(invoice_id), u, PaymentInput(1000, TODAY, PaymentMethod.CASH), today=TODAY))
    r = logged_in.post(f"/invoices/{invoice_id}/credit-notes", data={"token": "z"}, headers=HX)
    assert "faites un avoir partiel du reste dû" in page_text(r)
    with app.app_context():
        assert count(Document, Document.kind == Kind.CREDIT_NOTE) == 0


def test_credit_note_page_needs_an_issued_invoice(logged_in, app, company, clients):
    draft_id = with_company(app, company, lambda c, u: make_invoice(c, _client(clients[0]), u).id)
    assert logged_in.get(f"/invoices/{draft_id}/credit-notes/new").status_code == 404


def test_delete_drafts_go_back_where_they_came_from(logged_in, app, company, clients):
    def build(c, u):
        quote = accepted_quote(c, _client(clients[0]), u, today=TODAY)
        return quote.id, docs.create_deposit(quote, u, today=TODAY, percent_bp=3000).id
    quote_id, deposit_id = with_company(app, company, build)
    r = logged_in.post(f"/invoices/{deposit_id}/delete")
    assert r.status_code == 303 and r.headers["Location"] == f"/quotes/{quote_id}"
    with app.app_context():
        assert _doc(deposit_id) is None


# --- history and client summary --------------------------------------------------------


def test_history_timeline(logged_in, app, final_id):
    logged_in.post(f"/invoices/{final_id}/payments", data={
        "amount": "500", "paid_on": TODAY.isoformat(), "method": "carte", "token": "h"})
    logged_in.post(f"/invoices/{final_id}/sent")
    page = page_text(logged_in.get(f"/invoices/{final_id}"))
    timeline = page.split('id="doc-history"')[1]
    for label in ("Créé", "Émis", "Paiement enregistré", "Carte bancaire", "Marqué comme envoyé", "Jean Test"):
        assert label in timeline
    assert timeline.index("Créé") < timeline.index("Émis") < timeline.index("Paiement enregistré")


def test_client_summary_fragment(logged_in, app, clients, final_id, invoice_id):
    client_id, pro_id = clients
    client_page = logged_in.get(f"/clients/{client_id}")
    assert f'hx-get="/invoices/clients/{client_id}"' in client_page.text
    r = logged_in.get(f"/invoices/clients/{client_id}", headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="client-documents"')
    # deposit 869,31 + final 1 303,97 + standalone 165,00, nothing paid
    assert f'id="client-invoiced">{euros("2 338,28 €")}' in r.text
    assert f'id="client-remaining">{euros("2 338,28 €")}' in r.text
    assert "Devis D-" in r.text and "Facture de solde F-" in r.text
    empty = logged_in.get(f"/invoices/clients/{pro_id}", headers=HX)
    assert "Aucun document pour ce client." in empty.text
    # without htmx, the client page itself
    assert logged_in.get(f"/invoices/clients/{client_id}").status_code == 303


def test_reduced_rate_and_regime_mentions(logged_in, app, company, clients):
    _, pro_id = clients
    invoice_id = with_company(app, company, lambda c, u: make_invoice(
        c, _client(pro_id), u, vat_regime="autoliquidation").id)
    page = page_text(logged_in.get(f"/invoices/{invoice_id}"))
    assert "Autoliquidation – article 283-2 nonies du CGI" in page and "FR44552100554" in page
    assert "attestation" not in page


def test_statuses_shown_match_the_domain(logged_in, app, company, clients, invoice_id):
    with app.app_context():
        assert status.status_of(_doc(invoice_id), TODAY) == status.TO_SEND
    assert "À envoyer" in page_text(logged_in.get(f"/invoices/{invoice_id}"))
    logged_in.post(f"/invoices/{invoice_id}/sent")
    assert "Envoyée" in page_text(logged_in.get(f"/invoices/{invoice_id}"))
    with app.app_context():
        assert count(DocumentLine) == 1


def test_final_draft_lines_are_editable_within_the_deposits(logged_in, app, company, clients):
    def build(c, u):
        quote = accepted_quote(c, _client(clients[0]), u, today=TODAY)
        issued(docs.create_deposit(quote, u, today=TODAY, percent_bp=4000), u, TODAY)
        return docs.create_final(quote, u, today=TODAY).id
    final_id = with_company(app, company, build)
    edit = logged_in.get(f"/invoices/{final_id}/edit")
    assert 'id="line-rows"' in edit.text and "Acompte F-" in page_text(edit)
    with app.app_context():
        version = _doc(final_id).version
    # fewer lines than the deposits already invoiced at 10 %: refused, nothing saved
    too_small = logged_in.post(f"/invoices/{final_id}/edit", data=document_form(
        0, rows=EXAMPLE_ROWS[3:], version=str(version)))
    assert too_small.status_code == 200
    assert "les acomptes déjà facturés dépassent les lignes de la facture de solde" in page_text(too_small)
    assert 'id="lines-error"' in too_small.text
    # an extra line is fine: the net grows by its TTC
    extra = [*EXAMPLE_ROWS,
             {"label": "Prise supplémentaire", "quantity": "1", "unit_price": "38,40", "vat_rate": "1000"}]
    ok = logged_in.post(f"/invoices/{final_id}/edit", data=document_form(0, rows=extra, version=str(version)))
    assert ok.status_code == 303
    with app.app_context():
        final = _doc(final_id)
        assert final.net_cents == 130397 + 4224 and final.client_id == clients[0] and len(final.lines) == 5


def test_pages_are_csp_safe(logged_in, app, clients, final_id):
    """No inline script, no event-handler attribute, no hx-on (it needs eval), no inline style."""
    import re

    with app.app_context():
        quote_id = _doc(final_id).quote_id
    urls = ["/quotes/", "/quotes/new", f"/quotes/{quote_id}", "/invoices/", "/invoices/new", f"/invoices/{final_id}",
            f"/invoices/{final_id}/credit-notes/new", "/payments/", "/catalog/"]
    for url in urls:
        html = logged_in.get(url).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", html), url
        assert "hx-on" not in html and "style=" not in html, url


# --- cost of the invoice page -----------------------------------------------------------


def _statements_for(client, app, url) -> int:
    from sqlalchemy import event

    seen = []

    def before(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
    return len(seen)


def test_invoice_page_statements_do_not_grow_with_its_rows(logged_in, app, company, clients):
    """An overdue invoice with one of everything, then with several contacts, payments, a
    cancelled payment, tasks and events: the page runs the same number of SELECTs."""
    from domain.collections import reminders
    from domain.core.models import Contact

    def build(c, u):
        reminders.default_plan(c)  # as sign-up creates it
        late = issued(make_invoice(c, _client(clients[0]), u, today=TODAY - timedelta(days=60)), u,
                      TODAY - timedelta(days=60))
        payments.record_payment(late, u, PaymentInput(1000, TODAY - timedelta(days=5), "virement"),
                                today=TODAY)
        return late.id
    invoice_id = with_company(app, company, build)
    url = f"/invoices/{invoice_id}"
    logged_in.get(url)  # warm: the first view creates nothing, but caches templates
    few = _statements_for(logged_in, app, url)

    def grow(c, u):
        doc, client = _doc(invoice_id), _client(clients[0])
        for i in range(3):
            client.contacts.append(Contact(company_id=c.id, name=f"Contact {i}", email=f"c{i}@example.fr",
                                           phone="0600000000"))
            p = payments.record_payment(doc, u, PaymentInput(500, TODAY - timedelta(days=4 - i), "cheque"),
                                        today=TODAY)
            reminders.add_task(c.id, u, client_id=client.id, due_on=TODAY, document=doc, note=f"Appeler {i}")
        payments.cancel_payment(p, u, reason="chèque rejeté")
    with_company(app, company, grow)
    many = _statements_for(logged_in, app, url)
    page = logged_in.get(url).text
    assert "Appeler 2" in page and "chèque rejeté" in page
    assert many == few, (few, many)
    assert few <= 14, few  # see README, Performance: what each of them reads
