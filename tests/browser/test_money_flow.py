"""The money flow at tablet size (1024×768), in real Chromium with CSRF on:
quote with the issue's example lines (typed in the lines editor, one from the catalogue),
live totals, issue, accept, 40 % deposit, issue, final invoice, issue, partial payment,
remaining balance read on screen."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from domain.billing.models import CatalogItem, Document, Kind, Payment
from extensions import db
from tests.support.builders import issued, make_client, make_company, make_invoice, make_user
from tests.support.config import TEST_PASSWORD
from tests.support.pages import euros


def fill_row(row, label, quantity, unit_price, vat, unit=None):
    row.get_by_label("Désignation").fill(label)
    row.get_by_label("Quantité").fill(quantity)
    if unit:
        row.get_by_label("Unité").select_option(unit)
    row.get_by_label("Prix unitaire HT").fill(unit_price)
    row.get_by_label("TVA").select_option(label=vat)


def test_quote_deposit_final_partial_payment(page, live_server, app):
    with app.app_context():
        company = make_company()
        make_user(company)
        make_client(company, name="Hélène Dupont")
        db.session.add(CatalogItem(company_id=company.id, label="Diagnostic électrique", unit="forfait",
                                   unit_price_cents=12000, vat_rate_bp=2000))
        db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())  # "Émettre ?" confirmations

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Devis", exact=True).click()
    page.get_by_role("link", name="+ Nouveau devis").click()

    # --- the lines editor -------------------------------------------------------------
    page.get_by_label("Client").select_option(label="Hélène Dupont")
    page.get_by_label("Objet").fill("Mise aux normes électriques")
    rows = page.locator("[data-line-row]")
    fill_row(rows.nth(0), "Tableau électrique", "1", "890,00", "10 %")
    page.get_by_role("button", name="+ Ligne").click()
    expect(rows).to_have_count(2)
    fill_row(rows.nth(1), "Prises 16 A", "12", "38.40", "10 %")
    page.get_by_role("button", name="+ Ligne").click()
    fill_row(rows.nth(2), "Main d'oeuvre", "9,5", "52", "10 %", unit="h")
    # a row added by mistake, removed again
    page.get_by_role("button", name="+ Ligne").click()
    expect(rows).to_have_count(4)
    rows.nth(3).get_by_role("button", name="Retirer la ligne").click()
    expect(rows).to_have_count(3)
    # the diagnostic comes from the catalogue, in one tap
    page.get_by_label("Insérer depuis le catalogue").press_sequentially("diag", delay=30)
    page.get_by_role("button", name=re.compile("Diagnostic électrique")).click()
    expect(rows).to_have_count(4)
    expect(rows.nth(3).get_by_label("Prix unitaire HT")).to_have_value("120,00")
    expect(page.get_by_label("Insérer depuis le catalogue")).to_have_value("")
    # live totals, computed by the server
    expect(page.locator("#total-ht")).to_have_text(euros("1 964,80 €"))
    expect(page.locator("#vat-1000")).to_have_text(euros("184,48 €"))
    expect(page.locator("#vat-2000")).to_have_text(euros("24,00 €"))
    expect(page.locator("#total-ttc")).to_have_text(euros("2 173,28 €"))
    # a typing mistake shows up in the totals at once, then is fixed
    rows.nth(2).get_by_label("Quantité").fill("9,5,")
    rows.nth(2).get_by_label("Prix unitaire HT").focus()
    expect(page.locator("#totals-incomplete")).to_be_visible()
    rows.nth(2).get_by_label("Quantité").fill("9,5")
    rows.nth(2).get_by_label("Prix unitaire HT").focus()
    expect(page.locator("#total-ttc")).to_have_text(euros("2 173,28 €"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()

    # --- issue and accept ---------------------------------------------------------------
    expect(page.get_by_text("Devis enregistré en brouillon.")).to_be_visible()
    page.get_by_role("button", name="Émettre le devis").click()
    expect(page.get_by_role("heading", name=re.compile(r"Devis D-\d{4}-0001"))).to_be_visible()
    expect(page.locator(".badge.status-en_attente")).to_have_text("En attente")
    page.get_by_role("button", name="Le client accepte").click()
    expect(page.locator(".badge.status-accepte")).to_have_text("Accepté")

    # --- deposit 40 % -----------------------------------------------------------------------
    expect(page.locator("#left-to-deposit")).to_have_text(euros("2 173,28 €"))
    page.get_by_label("Pourcentage du devis").fill("40")
    page.get_by_role("button", name="Créer la facture d'acompte").click()
    expect(page.get_by_role("heading", name=re.compile("Facture d'acompte"))).to_be_visible()
    expect(page.locator("#total-ttc")).to_have_text(euros("869,31 €"))
    page.get_by_role("button", name="Émettre la facture").click()
    expect(page.get_by_role("heading", name=re.compile(r"Facture d'acompte F-\d{4}-0001"))).to_be_visible()
    expect(page.locator("#remaining")).to_have_text(euros("869,31 €"))

    # --- final invoice ----------------------------------------------------------------------
    page.get_by_role("link", name=re.compile(r"Devis D-\d{4}-0001")).first.click()
    page.get_by_role("button", name="Créer la facture de solde").click()
    expect(page.get_by_role("heading", name=re.compile("Facture de solde"))).to_be_visible()
    expect(page.locator("#total-net")).to_have_text(euros("1 303,97 €"))
    page.get_by_role("button", name="Émettre la facture").click()
    expect(page.get_by_role("heading", name=re.compile(r"Facture de solde F-\d{4}-0002"))).to_be_visible()
    expect(page.locator("#remaining")).to_have_text(euros("1 303,97 €"))

    # --- partial payment, in two taps (amount typed over the prefilled balance) -------------
    amount = page.get_by_label("Montant reçu")
    expect(amount).to_have_value("1303,97")
    amount.fill("500,00")
    page.locator(".pay-method", has_text="Virement").click()
    page.get_by_role("button", name="Enregistrer le paiement").dblclick()  # an impatient double tap
    expect(page.locator("#remaining")).to_have_text(euros("803,97 €"))
    expect(page.locator(".badge.status-partiellement_payee").first).to_have_text("Partiellement payée")
    expect(page.get_by_label("Montant reçu")).to_have_value("803,97")

    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 1
        final = db.session.scalar(select(Document).where(Document.kind == Kind.FINAL))
        assert final.remaining_cents == 80397

    # tablet: every visible button is a real touch target
    for el in page.locator("button:visible, summary.btn:visible").all():
        box = el.bounding_box()
        assert box and box["height"] >= 44, el.inner_text()


def test_invoice_filters_live_in_the_url(page, live_server, app):
    """Filters swap only the list, land in the URL (bookmarkable), and the back button undoes them."""
    from datetime import timedelta

    from domain.core import clock

    with app.app_context():
        company = make_company()
        user = make_user(company)
        client = make_client(company, name="Hélène Dupont")
        today = clock.today_in(company.timezone or "Europe/Paris")
        issued(make_invoice(company, client, user), user, today - timedelta(days=50))  # late
        issued(make_invoice(company, client, user), user, today)
        db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Factures", exact=True).click()
    summary = page.locator("#list-summary")
    expect(summary).to_contain_text("2 documents")
    page.evaluate("() => (window.__sameDocument = 'oui')")
    page.get_by_label("Statut").select_option(label="En retard")
    expect(summary).to_contain_text("1 document")
    expect(summary).to_contain_text(euros("165,00 €"))
    expect(page).to_have_url(re.compile(r"status=en_retard"))
    assert page.evaluate("() => window.__sameDocument") == "oui"  # only the list was swapped
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"status="))
    expect(summary).to_contain_text("2 documents")
    expect(page.get_by_label("Statut")).to_have_value("")
    # a bookmarked filtered URL opens filtered
    page.goto(f"{live_server}/invoices/?status=en_retard")
    expect(summary).to_contain_text("1 document")
    expect(page.get_by_label("Statut")).to_have_value("en_retard")
