"""The dashboard page: figures in French format, and every card opens a list showing exactly
what it counts (same number of invoices, same amount left to pay)."""

import re
from html import unescape

import pytest

from domain.core.clock import today_in
from domain.core.models import Company
from extensions import db
from output.formatting import format_money
from tests.support.dashboard_dataset import build_dataset
from tests.support.pages import HX, page_text


@pytest.fixture
def data(app, company):
    today = today_in("Europe/Paris")
    with app.app_context():
        built = build_dataset(today, db.session.get(Company, company))
        db.session.commit()
        return {"today": today, "clients": {k: v.id for k, v in built["clients"].items()},
                "numbers": {k: v.number for k, v in built["invoices"].items()}}


def list_summary(response) -> tuple[int, str]:
    """(invoices counted, amount left to pay) as the invoice list shows them."""
    html = page_text(response)
    m = re.search(r'id="list-summary"><strong>(\d+) documents?</strong>'
                  r'.*?reste à payer <strong>([^<]+)</strong>', html, re.S)
    assert m, html[:2000]
    return int(m.group(1)), m.group(2)


def card(html: str, card_id: str) -> tuple[str, str]:
    """(href, text) of a dashboard card."""
    m = re.search(rf'<a [^>]*?id="{card_id}" href="([^"]+)"|<a [^>]*?href="([^"]+)" id="{card_id}"', html)
    assert m, card_id
    href = unescape(m.group(1) or m.group(2))
    start = m.end()
    return href, re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</a>", start)]))


def test_dashboard_figures_and_links(logged_in, data):
    r = logged_in.get("/")
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    html = page_text(r)
    expected = {
        "card-due": (14, 787500), "card-overdue": (9, 362500), "card-to-send": (2, 210000),
        "card-level-0": (8, 527500), "card-level-1": (2, 50000), "card-level-2": (2, 80000),
        "card-level-3": (2, 130000),
        "aging-not_due": (5, 425000), "aging-1_30": (4, 72500), "aging-31_60": (2, 80000), "aging-61_90": (2, 130000),
        "aging-90_plus": (1, 80000),
        "expected-week_1": (2, 190000), "expected-week_2": (1, 110000), "expected-week_3": (0, 0),
        "expected-week_4": (1, 120000),
        f"late-client-{data['clients']['Bravo']}": (3, 140000),
        f"late-client-{data['clients']['Charlie']}": (3, 125000),
        f"late-client-{data['clients']['Alpha']}": (2, 90000), f"late-client-{data['clients']['Delta']}": (1, 7500),
    }
    for card_id, (count, cents) in expected.items():
        href, text = card(html, card_id)
        if card_id != "card-to-send":
            assert format_money(cents) in text, (card_id, text)
        listed = list_summary(logged_in.get(href))
        assert listed == (count, format_money(cents)), (card_id, href, listed)
    assert "7\u202f875,00\xa0€" in html  # French format: narrow no-break space, comma, no-break space before €
    # the late clients come in order of amount overdue
    order = [m for m in re.findall(r'id="late-client-(\d+)"', html)]
    assert order == [str(data["clients"][n]) for n in ("Bravo", "Charlie", "Alpha", "Delta")]
    # DSO, tasks and the plan of the day
    assert re.search(r'id="card-dso".*?63 jours', html, re.S)
    assert re.search(r'id="tasks-count">2<', html) and "Rappeler Alpha" in html and "Passer voir Bravo" in html
    assert re.search(r'id="planned-count">2<', html) and "Relance ferme (R2)" in html
    assert "pas d'e-mail : une tâche sera créée" in html and "4 mises en demeure attendent votre confirmation" in html


def test_dashboard_fragment(logged_in, data):
    r = logged_in.get("/", headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith('<div id="dashboard-board"') and "<html" not in html
    assert "HX-Request" in r.headers["Vary"]


def test_dashboard_needs_login(client):
    assert client.get("/").status_code == 302


def test_filtered_list_keeps_and_explains_dashboard_filters(logged_in, data):
    html = page_text(logged_in.get("/invoices/?open=1&level=2"))
    assert '<input type="hidden" name="open" value="1">' in html
    assert '<input type="hidden" name="level" value="2">' in html
    assert "Tableau de bord : non soldées · niveau de relance R2." in html
    assert data["numbers"]["4"] in html and data["numbers"]["5"] in html and data["numbers"]["6"] not in html
    html = page_text(logged_in.get("/invoices/?open=1&due_from=23/11/2026&due_to=nimporte"))
    assert "échéance à partir du 23/11/2026" in html and "Saisissez une date valide" in html


def test_client_page_shows_activity(logged_in, data):
    html = page_text(logged_in.get(f"/clients/{data['clients']['Alpha']}"))
    block = re.search(r'<section id="client-activity".*?</section>', html, re.S).group(0)
    assert "2\u202f800,00\xa0€" in block and "900,00\xa0€" in block  # due, of which overdue
    assert re.search(r"Retard moyen de paiement.*?8 j", block, re.S)
    assert "sur 2 factures soldées, 1 payée après l'échéance" in block
    assert data["numbers"]["7"] in block and "Rappeler Alpha" in block
    assert "Virement" in block and re.search(r"Chèque <span class=\"badge badge-muted\">annulé", block)  # its payments
    href = unescape(re.search(r'id="activity-overdue" href="([^"]+)"', block).group(1))
    assert list_summary(logged_in.get(href)) == (2, format_money(90000))
