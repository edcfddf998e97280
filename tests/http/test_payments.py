"""The payments page: filters (period, method, client, search, cancelled), totals, pagination."""

from datetime import date

import pytest

from domain.billing import payments
from domain.billing.documents import LineInput
from domain.billing.models import Payment
from domain.billing.payments import PaymentInput
from domain.core.models import Client, Company
from extensions import db
from tests.support.builders import issued, make_client, make_invoice, setup_objects, with_company
from tests.support.pages import HX, euros, page_text

DAY = date(2026, 11, 23)


@pytest.fixture
def seeded(app, company):
    """Hélène: invoice of 1 100,00 paid 100 (virement, 2 Nov) + 250 (chèque, 15 Nov, cancelled) + 300 (espèces, 20 Nov).
    Bâtir SAS: invoice of 550,00 paid 550 (virement, 10 Nov)."""
    client_id, pro_id = setup_objects(app, company)

    def build(c, u):
        big = [LineInput(label="Chauffe-eau", unit_price_cents=100000, vat_rate_bp=1000)]
        small = [LineInput(label="Réparation", unit_price_cents=50000, vat_rate_bp=1000)]
        a = issued(make_invoice(c, db.session.get(Client, client_id), u, lines=big), u, date(2026, 11, 1))
        b = issued(make_invoice(c, db.session.get(Client, pro_id), u, lines=small), u, date(2026, 11, 1))
        pay = lambda inv, cents, day, method, ref="": payments.record_payment(  # noqa: E731
            inv, u, PaymentInput(cents, day, method, ref), today=DAY)
        pay(a, 10000, date(2026, 11, 2), "virement", "VIR DUPONT")
        cancelled = pay(a, 25000, date(2026, 11, 15), "cheque", "Chq 7781")
        payments.cancel_payment(cancelled, u, reason="Chèque impayé")
        pay(a, 30000, date(2026, 11, 20), "especes")
        pay(b, 55000, date(2026, 11, 10), "virement", "SEPA BATIR")
        return a.number, b.number
    numbers = with_company(app, company, build)
    return client_id, pro_id, numbers


def test_page_and_fragment(logged_in, seeded):
    page = logged_in.get("/payments/")
    assert page.status_code == 200 and 'id="payment-filters"' in page.text and "<html" in page.text
    fragment = logged_in.get("/payments/", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="payment-list"') and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "3 paiements" in fragment.text and euros("950,00 €") in fragment.text
    assert "Chq 7781" not in fragment.text  # cancelled ones are hidden by default


def test_filters(logged_in, seeded):
    client_id, pro_id, (number_a, number_b) = seeded
    cases = [
        ("method=virement", "2 paiements", "650,00 €"),
        ("date_from=2026-11-05&date_to=2026-11-19", "1 paiement", "550,00 €"),
        (f"client_id={client_id}", "2 paiements", "400,00 €"),
        (f"client_id={pro_id}&method=especes", "0 paiement", "0,00 €"),
        ("q=batir", "1 paiement", "550,00 €"),
        (f"q={number_a}", "2 paiements", "400,00 €"),
        ("cancelled=1", "4 paiements", "950,00 €"),  # the cancelled one is listed, not counted in the total
        ("cancelled=1&method=cheque", "1 paiement", "0,00 €"),
    ]
    for query, count_text, total in cases:
        r = logged_in.get(f"/payments/?{query}", headers=HX)
        text = page_text(r)
        assert count_text in text, query
        assert f"encaissé <strong>{euros(total)}</strong>" in text, query
    cancelled = page_text(logged_in.get("/payments/?cancelled=1", headers=HX))
    assert "annulé" in cancelled and "motif : Chèque impayé" in cancelled and "1 annulé" in cancelled


def test_bad_filter_is_explained_and_ignored(logged_in, seeded):
    r = logged_in.get("/payments/?date_from=hier", headers=HX)
    assert "Saisissez une date valide" in page_text(r) and "3 paiements" in r.text


def test_sort_and_links(logged_in, seeded):
    text = logged_in.get("/payments/?sort=amount_desc", headers=HX).text
    assert text.index(euros("550,00 €")) < text.index(euros("300,00 €")) < text.index(euros("100,00 €"))
    oldest = logged_in.get("/payments/?sort=oldest", headers=HX).text
    assert oldest.index("02/11/2026") < oldest.index("20/11/2026")
    assert 'href="/invoices/' in text


def test_pagination_keeps_filters(logged_in, app, company):
    client_id, _ = setup_objects(app, company)

    def build(c, u):
        inv = issued(make_invoice(c, db.session.get(Client, client_id), u, lines=[
            LineInput(label="Gros chantier", unit_price_cents=1000000, vat_rate_bp=2000)]), u, date(2026, 11, 1))
        for i in range(30):
            payments.record_payment(inv, u, PaymentInput(100 + i, date(2026, 11, 2), "carte"), today=DAY)
    with_company(app, company, build)
    first = logged_in.get("/payments/?method=carte", headers=HX)
    assert "30 paiements" in first.text and "Page 1 / 2" in first.text and first.text.count('class="doc-row') == 25
    assert "method=carte" in first.text and "page=2" in first.text
    second = logged_in.get("/payments/?method=carte&page=2", headers=HX)
    assert second.text.count('class="doc-row') == 5
    with app.app_context():
        assert db.session.scalar(db.select(db.func.sum(Payment.amount_cents))) == sum(100 + i for i in range(30))
    total = sum(100 + i for i in range(30))
    assert euros(f"{total // 100},{total % 100:02d} €") in first.text


def test_a_payment_without_its_form_token_is_refused(app, logged_in, company):
    """Issue 12, finding 9: an empty token could not be deduplicated (a retried POST would pay
    twice): the form is refused, nothing is recorded."""
    with app.app_context():
        c = db.session.get(Company, company)
        invoice_id = issued(make_invoice(c, make_client(c))).id
        db.session.commit()
    data = {"token": "", "amount": "10,00", "paid_on": "2026-11-23", "method": "cheque"}
    for _ in range(2):
        r = logged_in.post(f"/invoices/{invoice_id}/payments", data=data)
        assert r.status_code == 200 and "Le formulaire est incomplet" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Payment).count() == 0
