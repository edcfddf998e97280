"""The money flow through the domain: quote → deposit → final → payments, credit notes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from domain.billing import documents as docs
from domain.billing import payments, status
from domain.billing.documents import DocumentError, DraftInput, FrozenDocumentError, LineInput
from domain.billing.models import Document, PaymentMethod, VatRegime
from domain.billing.payments import PaymentError, PaymentInput
from domain.core.models import Event
from extensions import db
from tests.support.builders import (
    accepted_quote,
    example_lines,
    issued,
    make_client,
    make_company,
    make_invoice,
    make_quote,
    make_user,
)

TODAY = date(2026, 11, 23)


@pytest.fixture
def ctx(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        client = make_client(company)
        pro = make_client(company, name="Bâtir SAS", kind="professionnel", email="pro@example.fr",
                          siren="552100554", vat_number="FR00552100554")
        db.session.commit()
        yield company, user, client, pro


def vat_rows(doc):
    return [tuple(r) for r in doc.vat_breakdown]


def test_issue_example_end_to_end(ctx):
    company, user, client, _ = ctx
    quote = make_quote(company, client, user)
    assert quote.number is None
    assert (quote.total_ht_cents, quote.total_vat_cents, quote.total_ttc_cents) == (196480, 20848, 217328)
    assert vat_rows(quote) == [(2000, 12000, 2400), (1000, 184480, 18448)]
    assert quote.reduced_rate_attestation

    docs.issue(quote, user, today=TODAY)
    assert quote.number == "D-2026-0001"
    assert quote.validity_date == TODAY + timedelta(days=30)
    docs.accept_quote(quote, user)

    deposit = docs.create_deposit(quote, user, today=TODAY, percent_bp=4000)
    assert deposit.total_ttc_cents == 86931
    assert vat_rows(deposit) == [(2000, 4800, 960), (1000, 73792, 7379)]
    docs.issue(deposit, user, today=TODAY)
    assert deposit.number == "F-2026-0001"
    assert deposit.due_date == TODAY + timedelta(days=30)

    final = docs.create_final(quote, user, today=TODAY)
    assert final.total_ttc_cents == 217328
    assert final.net_cents == 130397
    assert [d["number"] for d in final.deductions] == ["F-2026-0001"]
    net = docs.net_totals(final)
    assert [(v.rate_bp, v.base_cents, v.vat_cents) for v in net.per_rate] == [(2000, 7200, 1440), (1000, 110688, 11069)]
    docs.issue(final, user, today=TODAY)
    assert final.number == "F-2026-0002"
    assert quote.invoiced_at is not None
    assert status.status_of(quote, TODAY) == status.INVOICED

    payments.record_payment(final, user, PaymentInput(50000, TODAY, PaymentMethod.TRANSFER), today=TODAY)
    assert final.remaining_cents == 80397
    assert status.status_of(final, TODAY) == status.PARTIAL
    db.session.commit()

    job = docs.job_balance(quote)
    assert job.invoiced.invoiced_cents == 86931 + 130397 == 217328
    assert job.invoiced.paid_cents == 50000
    assert job.left_to_invoice_cents == 0
    assert docs.client_balance(company.id, client.id).remaining_cents == 86931 + 80397


def test_numbers_are_per_series_and_year(ctx):
    company, user, client, _ = ctx
    q = issued(make_quote(company, client, user), user)
    i1 = issued(make_invoice(company, client, user), user)
    i2 = issued(make_invoice(company, client, user), user, today=date(2026, 12, 31))
    i3 = issued(make_invoice(company, client, user), user, today=date(2027, 1, 1))
    assert [q.number, i1.number, i2.number, i3.number] == ["D-2026-0001", "F-2026-0001", "F-2026-0002", "F-2027-0001"]


def test_issued_document_is_frozen(ctx):
    company, user, client, _ = ctx
    invoice = issued(make_invoice(company, client, user), user)
    with pytest.raises(FrozenDocumentError, match="avoir"):
        docs.update_draft(invoice, company, user, DraftInput(client_id=client.id, lines=example_lines()),
                          expected_version=invoice.version)
    with pytest.raises(FrozenDocumentError):
        docs.delete_draft(invoice, user)
    number = invoice.number
    assert docs.issue(invoice, user, today=TODAY + timedelta(days=3)).number == number  # double tap: no-op


def test_stale_form_is_refused(ctx):
    company, user, client, _ = ctx
    quote = make_quote(company, client, user)
    old_version = quote.version
    docs.update_draft(quote, company, user, DraftInput(client_id=client.id, lines=example_lines()[:1]),
                      expected_version=old_version)
    with pytest.raises(DocumentError, match="modifié entre-temps"):
        docs.update_draft(quote, company, user, DraftInput(client_id=client.id, lines=example_lines()),
                          expected_version=old_version)
    assert len(quote.lines) == 1


def test_bad_drafts(ctx):
    company, user, client, pro = ctx
    with pytest.raises(DocumentError, match="au moins une ligne"):
        make_quote(company, client, user, lines=[LineInput(label="Titre", kind="section")])
    with pytest.raises(DocumentError, match="positives"):
        make_quote(company, client, user, lines=[LineInput(label="x", quantity_milli=-1000, unit_price_cents=100)])
    with pytest.raises(DocumentError, match="désignation"):
        make_quote(company, client, user, lines=[LineInput(label="  ", unit_price_cents=100)])
    with pytest.raises(DocumentError, match="Taux de TVA"):
        make_quote(company, client, user, lines=[LineInput(label="x", unit_price_cents=100, vat_rate_bp=1900)])
    with pytest.raises(DocumentError, match="franchise en base se règle"):
        make_quote(company, client, user, vat_regime=VatRegime.FRANCHISE)
    with pytest.raises(DocumentError, match="professionnel"):
        make_quote(company, client, user, vat_regime=VatRegime.AUTOLIQUIDATION)
    assert db.session.scalar(select(func.count(Document.id))) == 0


def test_due_date_rules(ctx):
    company, user, client, pro = ctx
    early = make_invoice(company, client, user, requested_due_date=TODAY - timedelta(days=1))
    with pytest.raises(DocumentError) as err:
        docs.issue(early, user, today=TODAY)
    assert err.value.field == "requested_due_date"
    db.session.rollback()
    far = make_invoice(company, pro, user, requested_due_date=TODAY + timedelta(days=90))
    with pytest.raises(DocumentError, match="L441-10"):
        docs.issue(far, user, today=TODAY)
    db.session.rollback()
    # consumers are not capped by L441-10
    ok = issued(make_invoice(company, client, user, requested_due_date=TODAY + timedelta(days=90)), user)
    assert ok.due_date == TODAY + timedelta(days=90)
    assert ok.number == "F-2026-0001"  # the failed attempts used no number


def test_deposits_never_exceed_quote(ctx):
    company, user, client, _ = ctx
    quote = accepted_quote(company, client, user)
    d1 = issued(docs.create_deposit(quote, user, today=TODAY, percent_bp=6000), user)
    with pytest.raises(DocumentError, match="dépasse ce qui reste"):
        docs.create_deposit(quote, user, today=TODAY, amount_cents=100000)
    d2 = issued(docs.create_deposit(quote, user, today=TODAY, amount_cents=86931), user)
    assert d1.total_ttc_cents + d2.total_ttc_cents == 217328
    final = docs.create_final(quote, user, today=TODAY)
    assert final.net_cents == 0
    assert all(v.base_cents == 0 and v.vat_cents == 0 for v in docs.net_totals(final).per_rate)


def test_deposit_needs_accepted_quote(ctx):
    company, user, client, _ = ctx
    quote = issued(make_quote(company, client, user), user)
    with pytest.raises(DocumentError, match="accepté"):
        docs.create_deposit(quote, user, today=TODAY, percent_bp=3000)
    docs.accept_quote(quote, user)
    assert docs.accept_quote(quote, user) is False  # accepting twice is harmless
    draft = docs.create_deposit(quote, user, today=TODAY, percent_bp=3000)
    with pytest.raises(DocumentError, match="brouillon"):
        docs.create_final(quote, user, today=TODAY)
    docs.delete_draft(draft, user)
    docs.create_final(quote, user, today=TODAY)
    with pytest.raises(DocumentError, match="déjà sa facture de solde"):
        docs.create_final(quote, user, today=TODAY)


def test_payments_rules(ctx):
    company, user, client, _ = ctx
    invoice = issued(make_invoice(company, client, user), user)  # 165,00 TTC
    assert invoice.net_cents == 16500
    for amount, paid_on, message in [
        (0, TODAY, "supérieur à zéro"),
        (16501, TODAY, "dépasse le reste à payer"),
        (100, TODAY + timedelta(days=1), "futur"),
    ]:
        with pytest.raises(PaymentError, match=message):
            payments.record_payment(invoice, user, PaymentInput(amount, paid_on, "virement"), today=TODAY)
    p1 = payments.record_payment(invoice, user, PaymentInput(6500, TODAY, "cheque", "Chq 123"), today=TODAY)
    payments.record_payment(invoice, user, PaymentInput(10000, TODAY, "especes"), today=TODAY)
    assert invoice.remaining_cents == 0 and invoice.paid_in_full_at is not None
    assert status.status_of(invoice, TODAY) == status.PAID
    with pytest.raises(PaymentError, match="déjà entièrement réglée"):
        payments.record_payment(invoice, user, PaymentInput(1, TODAY, "virement"), today=TODAY)
    with pytest.raises(PaymentError, match="motif"):
        payments.cancel_payment(p1, user, reason=" ")
    payments.cancel_payment(p1, user, reason="Chèque impayé")
    payments.cancel_payment(p1, user, reason="again")  # no double effect
    assert invoice.paid_cents == 10000 and invoice.remaining_cents == 6500 and invoice.paid_in_full_at is None
    kinds = db.session.scalars(select(Event.kind).where(Event.document_id == invoice.id).order_by(Event.id)).all()
    assert kinds == ["created", "issued", "payment_recorded", "payment_recorded", "paid_in_full", "payment_cancelled"]


def test_credit_notes(ctx):
    company, user, client, _ = ctx
    invoice = issued(make_invoice(company, client, user), user)
    partial = docs.create_credit_note(invoice, user, today=TODAY, full=False, reason="Geste commercial",
                                      lines=[LineInput(label="Remise", unit_price_cents=5000, vat_rate_bp=1000)])
    assert partial.total_ttc_cents == 5500
    with pytest.raises(DocumentError, match="dépasse ce qui reste dû"):
        docs.create_credit_note(invoice, user, today=TODAY, full=False,
                                lines=[LineInput(label="Trop", unit_price_cents=20000, vat_rate_bp=1000)])
    issued(partial, user)
    assert partial.number == "A-2026-0001"
    assert invoice.credited_cents == 5500 and invoice.remaining_cents == 11000
    assert status.status_of(invoice, TODAY) == status.TO_SEND  # a credit note is not a payment
    full = issued(docs.create_credit_note(invoice, user, today=TODAY, full=True), user)
    assert full.total_ttc_cents == 11000 and full.number == "A-2026-0002"
    assert invoice.remaining_cents == 0
    assert status.status_of(invoice, TODAY) == status.CANCELLED
    with pytest.raises(DocumentError, match="plus rien à créditer"):
        docs.create_credit_note(invoice, user, today=TODAY, full=True)


def test_autoliquidation_charges_no_vat(ctx):
    company, user, _, pro = ctx
    pro.vat_number = "FR44732829320"
    quote = make_quote(company, pro, user, vat_regime=VatRegime.AUTOLIQUIDATION)
    assert quote.total_vat_cents == 0 and quote.total_ttc_cents == quote.total_ht_cents == 196480
    assert [r[0] for r in quote.vat_breakdown] == [2000, 1000]  # bases kept per rate
    assert not quote.reduced_rate_attestation


def test_franchise_en_base(app):
    with app.app_context():
        company = make_company(vat_regime="franchise", vat_number="")
        user = make_user(company)
        client = make_client(company)
        quote = make_quote(company, client, user, vat_regime=VatRegime.FRANCHISE,
                           lines=[LineInput(label="Pose", unit_price_cents=10000, vat_rate_bp=0)])
        assert (quote.total_ht_cents, quote.total_vat_cents, quote.total_ttc_cents) == (10000, 0, 10000)
        with pytest.raises(DocumentError, match="aucune ligne ne porte de TVA"):
            make_quote(company, client, user, vat_regime=VatRegime.FRANCHISE)
        assert issued(quote, user).number == "D-2026-0001"


def test_issue_needs_complete_settings(app):
    with app.app_context():
        company = make_company(siret="")
        user = make_user(company)
        client = make_client(company)
        invoice = make_invoice(company, client, user)
        with pytest.raises(DocumentError, match="le SIRET"):
            docs.issue(invoice, user, today=TODAY)


def test_sql_and_python_statuses_agree(ctx):
    company, user, client, _ = ctx
    docs_made = [make_quote(company, client, user), make_invoice(company, client, user)]
    q = issued(make_quote(company, client, user), user)
    docs.accept_quote(q, user)
    docs_made += [q, issued(make_quote(company, client, user), user)]
    late = issued(make_invoice(company, client, user), user, today=TODAY - timedelta(days=60))
    partial = issued(make_invoice(company, client, user), user)
    payments.record_payment(partial, user, PaymentInput(100, TODAY, "carte"), today=TODAY)
    sent = issued(make_invoice(company, client, user), user)
    docs.mark_sent(sent, user)
    docs_made += [late, partial, sent]
    db.session.commit()
    for today in (TODAY, TODAY + timedelta(days=45), TODAY + timedelta(days=400)):
        rows = dict(db.session.execute(select(Document.id, status.status_expr(today))).all())
        for doc in db.session.scalars(select(Document)):
            assert rows[doc.id] == status.status_of(doc, today), (doc.kind, today)
    assert status.status_of(late, TODAY) == status.LATE
    assert status.status_of(sent, TODAY) == status.SENT
    assert status.status_of(q, TODAY) == status.ACCEPTED
    assert status.status_of(docs_made[3], TODAY + timedelta(days=45)) == status.EXPIRED
