"""The dashboard on a tablet: big figures that fit their cards, and a card that opens its list,
whose dashboard filter survives the list's own (htmx) filtering."""

import re

from playwright.sync_api import expect

from domain.core.clock import today_in
from extensions import db
from tests.support.builders import make_company, make_user
from tests.support.config import TEST_PASSWORD
from tests.support.dashboard_dataset import build_dataset


def test_cards_are_readable_and_open_their_list(page, live_server, app):
    with app.app_context():
        company = make_company()
        make_user(company)
        build_dataset(today_in("Europe/Paris"), company)
        db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill("artisan@test.example.fr")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    # The dashboard first (the cards are measured on it, not on the login page being left).
    expect(page.locator("#card-overdue")).to_contain_text("3\u202f625,00\xa0€")

    for width in (1024, 768):
        page.set_viewport_size({"width": width, "height": 1024})
        for value in page.locator(".dash-value").all():
            assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), (width, value.inner_text())
            assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 32
    expect(page.locator("#card-overdue")).to_contain_text("3\u202f625,00\xa0€")

    page.locator("#card-level-2").click()
    expect(page).to_have_url(re.compile(r"/invoices/\?open=1&level=2$"))
    expect(page.locator("#dashboard-filter")).to_contain_text("non soldées · niveau de relance R2")
    expect(page.locator("#list-summary")).to_contain_text("2 documents")
    expect(page.locator("#list-summary")).to_contain_text("800,00\xa0€")
    # the list's own filters (htmx) keep the card's filter
    page.get_by_label("Trier").select_option("amount_desc")
    expect(page).to_have_url(re.compile(r"sort=amount_desc"))
    expect(page).to_have_url(re.compile(r"level=2"))
    expect(page.locator("#list-summary")).to_contain_text("2 documents")
