"""Point 10: readable in sunlight, tappable with gloves. axe-core (vendored for tests:
tests/vendor/axe-4.14.1.min.js) on every page of the navigation, in landscape (1024×768) and
portrait (768×1024), with zero violations; every visible interactive element at least 44×44 px;
no text under 14 px. The CSP blocks injected scripts, so this context bypasses it."""

from __future__ import annotations

import pytest

from domain.core.models import Company
from extensions import db
from tests.support.browser import LANDSCAPE, PORTRAIT, login, run_axe, small_targets, small_text
from tests.support.builders import make_user
from tests.support.world import build_world


@pytest.fixture
def world(app):
    with app.app_context():
        company = Company(name="Plomberie Martin", legal_form="EI", siret="73282932000074",
                          rcs_rm="RM 69 732 829 320", vat_number="FR44732829320", address_line1="1 rue du Test",
                          postal_code="69003", city="Lyon", email="contact@martin.example.fr", phone="04 78 00 00 00",
                          iban="FR7630006000011234567890189", bic="AGRIFRPP")
        db.session.add(company)
        db.session.flush()
        make_user(company)
        db.session.commit()
        return build_world(company.id)


def _pages(w) -> dict[str, str]:
    return {
        "tableau de bord": "/",
        "devis": "/quotes/", "nouveau devis": "/quotes/new", "devis brouillon": f"/quotes/{w.draft_quote_id}",
        "devis en attente": f"/quotes/{w.open_quote_id}", "devis accepté": f"/quotes/{w.quote_id}",
        "signature du devis": f"/quotes/{w.open_quote_id}/sign",
        "factures": "/invoices/", "nouvelle facture": "/invoices/new",
        "facture brouillon": f"/invoices/{w.draft_invoice_id}", "facture en retard": f"/invoices/{w.invoice_id}",
        "avoir partiel": f"/invoices/{w.invoice_id}/credit-notes/new",
        "paiements": "/payments/",
        "relances": "/reminders/", "réglages des relances": "/reminders/settings",
        "modèle": "/reminders/templates/soft",
        "taux": "/reminders/rates", "plan": f"/reminders/plans/{w.plan_id}",
        "clients": "/clients/", "client": f"/clients/{w.client_id}", "nouveau client": "/clients/new",
        "catalogue": "/catalog/", "article": f"/catalog/{w.item_id}/edit",
        "client (modifier)": f"/clients/{w.client_id}/edit",
        "réglages": "/settings/", "mon compte": "/settings/account",
        "banque": "/bank/", "relevé": f"/bank/statements/{w.statement_id}", "opération": f"/bank/lines/{w.line_id}",
        "facturation électronique": "/einvoicing/settings",
        "hors connexion": "/offline",
        "page client (devis)": f"/c/{w.open_quote_token}", "page client (facture)": f"/c/{w.invoice_token}",
    }


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["1024x768", "768x1024"])
def test_every_page_passes_axe_and_is_big_enough_for_a_gloved_finger(browser, browser_context_args, live_server,
                                                                      world, viewport):
    context = browser.new_context(**{**browser_context_args, "viewport": viewport}, bypass_csp=True)
    page = context.new_page()
    try:
        problems: dict[str, list] = {}
        public = {"connexion": "/login", "inscription": "/signup", "mot de passe oublié": "/password/forgot"}
        for name, path in public.items():
            page.goto(live_server + path)
            problems[name] = _check(page, name)
        login(page, live_server)
        for name, path in _pages(world).items():
            response = page.goto(live_server + path)
            assert response.status < 400, (name, path, response.status)
            page.wait_for_load_state("networkidle")
            # sub-menus count too: every collapsible section opened
            page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            page.wait_for_load_state("networkidle")
            problems[name] = _check(page, name)
        problems = {name: found for name, found in problems.items() if found}
        assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())
    finally:
        context.close()


def _check(page, name: str) -> list:
    found = [f"axe {v['id']} ({v['impact']}): {v['help']} {v['nodes']}" for v in run_axe(page, name)]
    found += [f"small target {t}" for t in small_targets(page)]
    found += [f"small text {t}" for t in small_text(page)]
    return found
