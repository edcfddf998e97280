"""The client opens the quote's link on a phone (second browser context, 390×844) and gives
their "bon pour accord"; the artisan's tablet (1024×768), left open on the quote, shows it in
the lifecycle panel without a reload. Real Chromium, CSRF on."""

import re

import pytest
from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.core.clock import today_in
from extensions import db
from tests.support.builders import make_client, make_company, make_quote, make_user
from tests.support.config import TEST_PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LIFECYCLE_POLL_SECONDS": 1}


def test_client_accepts_on_phone_artisan_sees_it_on_tablet(page, browser, live_server, app):
    today = today_in("Europe/Paris")
    with app.app_context():
        company = make_company(phone="04 78 00 00 00")
        user = make_user(company)
        client = make_client(company, name="Hélène Dupont")
        quote = make_quote(company, client, user, today=today, subject="Mise aux normes électriques")
        document_files.issue_with_pdf(quote, user, today=today)
        db.session.commit()
        quote_id, number = quote.id, quote.number

    # --- the artisan, on the tablet, opens the quote and creates the link to send -----------
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/quotes/{quote_id}")
    panel = page.locator("#doc-lifecycle")
    expect(panel).to_contain_text("Suivi client")
    expect(panel.locator("#lc-accepted")).to_contain_text("en attente de réponse")
    panel.get_by_role("button", name="Créer le lien client").click()
    link_input = panel.locator("#lc-link-url")
    expect(link_input).to_have_value(re.compile(rf"^{re.escape(live_server)}/c/[A-Za-z0-9_-]{{43}}$"))
    url = link_input.input_value()

    # --- the client, on a phone, in another browser (no shared cookies) ----------------------
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR",
                                timezone_id="Europe/Paris")
    try:
        mobile = phone.new_page()
        mobile.goto(url)
        expect(mobile.get_by_role("heading", name=f"Devis n° {number}")).to_be_visible()
        expect(mobile.locator("#portal-summary")).to_contain_text("2\u202f173,28\xa0€")
        expect(mobile.get_by_role("link", name="Télécharger le PDF")).to_be_visible()
        expect(mobile.locator("#portal-contact")).to_contain_text("04 78 00 00 00")
        # mobile-friendly: nothing wider than the screen, buttons big enough for a thumb
        assert mobile.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        for button in mobile.locator("button:visible, .btn:visible").all():
            assert button.bounding_box()["height"] >= 44, button.inner_text()

        # the form refuses a missing checkbox, in French, next to the field
        mobile.get_by_label("Vos prénom et nom").fill("Hélène Dupont")
        mobile.get_by_role("button", name="Bon pour accord").click()
        expect(mobile.locator("#field-agree .error")).to_have_text("Cochez la case pour donner votre accord.")
        expect(mobile.get_by_label("Vos prénom et nom")).to_have_value("Hélène Dupont")
        mobile.get_by_label(re.compile("Bon pour accord : j'accepte")).check()
        mobile.get_by_role("button", name="Bon pour accord").click()
        expect(mobile.get_by_text("Merci ! Votre accord est enregistré")).to_be_visible()
        expect(mobile.locator("#portal-accepted")).to_contain_text("par Hélène Dupont")
        expect(mobile.locator("#accept-form")).to_have_count(0)
    finally:
        phone.close()

    # --- back on the tablet: the panel refreshed itself ---------------------------------------
    expect(panel.locator("#lc-accepted")).to_contain_text("Accepté", timeout=10000)
    expect(panel.locator("#lc-accepted")).to_contain_text("en ligne par Hélène Dupont")
    expect(panel.locator("#lc-viewed")).to_contain_text("1 fois")
    # expect, not a one-off read: htmx settles a swapped element's attributes ~20 ms after its
    # text (the old class first, for CSS transitions), so an immediate read can see "lc-todo".
    expect(panel.locator("#lc-accepted")).to_have_class("lc-step lc-done")
    # after a reload the page's own status says it too
    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("Accepté")
