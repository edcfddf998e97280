"""Defect 4: no feedback on tap, and a double tap on a slow link acted twice. Every htmx control
that a finger triggers shows its progress in the same task as the tap (checked synchronously,
no clock), cannot fire again while its request runs, and says so next to itself when the
network drops. Requests are held by the test (tests.support.browser.Held): a slow link made
deterministic."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from domain.billing import printing as document_files
from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from tests.support.browser import Held, login
from tests.support.builders import make_client, make_invoice, make_quote
from tests.support.world import build_world

# Mark every control a tap triggers (no hx-trigger, or click/submit), visible, in page order.
_PROBE_JS = """() => {
    document.querySelectorAll('[data-probe]').forEach(el => el.removeAttribute('data-probe'));
    const out = [];
    for (const el of document.querySelectorAll('[hx-get], [hx-post]')) {
        const trigger = el.getAttribute('hx-trigger');
        if (trigger && !/^(click|submit)\\b/.test(trigger)) continue;
        const tapped = el.tagName === 'FORM' ? el.querySelector('button[type=submit], button:not([type])') : el;
        if (!tapped) continue;
        const box = tapped.getBoundingClientRect();
        if (!box.width || !box.height) continue;
        tapped.setAttribute('data-probe', out.length);
        out.push(tapped.textContent.trim().replace(/\\s+/g, ' '));
    }
    return out;
}"""

_TAP_JS = """(i) => {
    const el = document.querySelector(`[data-probe="${i}"]`);
    el.click();
    return el.getAttribute('aria-busy');  // read in the same task as the tap
}"""


def _probe_every_control(page, url: str) -> list[str]:
    page.goto(url)
    labels = page.evaluate(_PROBE_JS)
    assert labels, url
    silent = []
    for i, label in enumerate(labels):
        page.goto(url)
        assert page.evaluate(_PROBE_JS)[i] == label
        held = Held(page, "**/*", htmx_only=True)
        busy = page.evaluate(_TAP_JS, i)
        if busy != "true":
            silent.append(label)
        held.wait()
        held.fail()
        # the failure is said next to what was tapped
        expect(page.locator(".action-error").first).to_contain_text("n'a pas été fait")
    return silent


def test_every_tapped_control_shows_progress_at_once_and_says_when_it_failed(page, live_server, app, company):
    today = today_in("Europe/Paris")
    with app.app_context():
        company_obj = db.session.get(Company, company)
        client = make_client(company_obj)
        invoice = make_invoice(company_obj, client)
        document_files.issue_with_pdf(invoice, None, today=today - timedelta(days=45))
        quote = make_quote(company_obj, client, today=today)
        document_files.issue_with_pdf(quote, None, today=today)
        db.session.commit()
        invoice_id, quote_id = invoice.id, quote.id
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server)
    silent = []
    for url in (f"/invoices/{invoice_id}", f"/quotes/{quote_id}", "/", "/quotes/new"):
        silent += [f"{url}: {label}" for label in _probe_every_control(page, live_server + url)]
    assert silent == []


def test_a_double_tap_on_add_line_adds_one_line(page, live_server, company):
    login(page, live_server)
    page.goto(f"{live_server}/quotes/new")
    rows = page.locator("[data-line-row]")
    expect(rows).to_have_count(1)
    add = page.get_by_role("button", name="+ Ligne")
    held = Held(page, "**/quotes/lines/row*")
    add.click()
    held.wait()
    expect(add).to_have_attribute("aria-busy", "true")
    expect(add).to_be_disabled()
    box = add.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the impatient second tap
    add.dispatch_event("click")  # even a click that reaches the button is dropped
    held.release()
    expect(rows).to_have_count(2)
    expect(add).not_to_have_attribute("aria-busy", "true")
    expect(add).to_be_enabled()
    page.wait_for_load_state("networkidle")
    expect(rows).to_have_count(2)


def test_the_bank_pages_controls_show_progress_at_once_too(page, live_server, app, company):
    # main's bank pages (tabs of the statement lines, re-match, set aside or undo an operation)
    with app.app_context():
        world = build_world(company)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server)
    silent = []
    for url in ("/bank/", f"/bank/lines/{world.line_id}"):
        silent += [f"{url}: {label}" for label in _probe_every_control(page, live_server + url)]
    assert silent == []
