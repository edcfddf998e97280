"""At tablet size, in real Chromium with CSRF on: the artisan opens "Banque" from the menu, imports
the statement downloaded from the bank, confirms the transfer proposed for Jean Dupont in one tap,
and sees the invoice "payée" and its reminder plan over."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from domain.banking.models import BankLine
from domain.billing.models import Document, Payment
from domain.core.models import Company
from extensions import db
from tests.support.bank import BANK_DATA, plomberie_martin
from tests.support.config import TEST_PASSWORD

NBSP, NNBSP = "\u00a0", "\u202f"


def test_import_a_statement_confirm_a_proposal_and_the_invoice_is_paid(page, live_server, app, company):
    with app.app_context():
        invoices = plomberie_martin(db.session.get(Company, company))
        db.session.commit()
    dupont_id = invoices["F-2026-0042"]

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # Before: the invoice is late and its reminder plan is running.
    page.goto(f"{live_server}/invoices/{dupont_id}")
    expect(page.locator("h1 .badge")).to_have_text("En retard")
    expect(page.locator("#reminder-state")).not_to_contain_text("Terminé")

    # Two taps from any page: "Banque" in the menu, then the file.
    page.get_by_role("link", name="Banque", exact=True).click()
    expect(page.get_by_role("heading", name="Banque", exact=True)).to_be_visible()
    page.get_by_label(re.compile("Relevé bancaire")).set_input_files(str(BANK_DATA / "credit_agricole_names.csv"))
    page.get_by_role("button", name="Importer le relevé").click()
    expect(page.locator("#flashes")).to_contain_text(
        "6 opérations nouvelles, 0 déjà importée · 4 virements à rapprocher.")

    row = page.locator("li.bank-row", has_text="VIR SEPA M OU MME DUPONT")
    expect(row).to_contain_text("89/100 montant identique, nom proche : Jean Dupont")
    expect(row).to_contain_text("F-2026-0042")
    confirm = row.get_by_role("button", name="Confirmer")
    assert confirm.bounding_box()["height"] >= 44  # a finger's target
    confirm.click()
    expect(page.locator("#flashes")).to_contain_text(
        f"Paiement enregistré : 1{NNBSP}250,00{NBSP}€ sur F-2026-0042 (facture payée).")
    expect(page.locator("li.bank-row", has_text="VIR SEPA M OU MME DUPONT")).to_have_count(0)
    expect(page.locator("#tab-rapprochees .badge")).to_have_text("1")

    # The matched line links to its invoice: paid, the plan over, the payment in its history.
    page.locator("#tab-rapprochees").click()
    page.locator("li.bank-row", has_text="M OU MME DUPONT").get_by_role("link", name="F-2026-0042").click()
    expect(page.locator("h1 .badge")).to_have_text("Payée")
    expect(page.locator("#reminder-state")).to_contain_text("Terminé (facture réglée)")
    expect(page.locator("#doc-history")).to_contain_text("Paiement enregistré")
    expect(page.locator("#doc-history")).to_contain_text("Payée intégralement")
    with app.app_context():
        (payment,) = db.session.scalars(select(Payment).where(Payment.document_id == dupont_id)).all()
        assert (payment.method, payment.amount_cents) == ("virement", 125000)
        assert db.session.get(Document, dupont_id).paid_in_full_at is not None
        assert db.session.scalar(select(BankLine.state).where(BankLine.amount_cents == 125000)) == "matched"


def test_bank_is_in_the_menu_in_portrait(page, live_server, app, company):
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    link = page.get_by_role("link", name="Banque", exact=True)
    expect(link).to_be_in_viewport()
    box = link.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 768
