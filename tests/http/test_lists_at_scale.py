"""Lists of a company with many clients and invoices (what `make bench` measures): the page
size can be chosen (?per_page=, capped), and the client filter stops listing every client
once there are too many for a drop-down (10,000 clients made the invoice list 450 kB)."""

from domain.billing import lists
from domain.core.models import Company
from extensions import db
from tests.support.builders import issued, make_client, make_invoice
from tests.support.pages import page_text


def _company(app):
    with app.app_context():
        return db.session.scalar(db.select(Company))


def test_per_page_is_honoured_and_capped(app, logged_in, monkeypatch):
    with app.app_context():
        company = _company(app)
        client = make_client(company)
        for _ in range(7):
            issued(make_invoice(company, client))
        db.session.commit()
    monkeypatch.setattr(lists, "MAX_PAGE_SIZE", 5)
    page = page_text(logged_in.get("/invoices/?per_page=3"))
    assert page.count('class="doc-row"') == 3 and "7 documents" in page
    assert "per_page=3" in page  # the pager keeps the page size
    assert page_text(logged_in.get("/invoices/?per_page=50")).count('class="doc-row"') == 5
    assert page_text(logged_in.get("/invoices/?per_page=abc")).count('class="doc-row"') == 5  # default 25, capped


def test_client_filter_lists_only_the_chosen_client_beyond_the_limit(app, logged_in, monkeypatch):
    with app.app_context():
        company = _company(app)
        ids = [make_client(company, name=f"Client {i:02d}", email="").id for i in range(4)]
        db.session.commit()
    monkeypatch.setattr(lists, "CLIENT_FILTER_MAX", 10)
    page = page_text(logged_in.get("/invoices/"))
    assert all(f"Client {i:02d}" in page for i in range(4))
    monkeypatch.setattr(lists, "CLIENT_FILTER_MAX", 3)
    for url in ("/invoices/", "/quotes/", "/payments/"):
        page = page_text(logged_in.get(url))
        assert "Client 00" not in page and "tapez son nom dans la recherche" in page, url
        page = page_text(logged_in.get(f"{url}?client_id={ids[2]}"))
        assert f'<option value="{ids[2]}" selected>Client 02</option>' in page and "Client 01" not in page, url
    assert "Client" in page_text(logged_in.get("/invoices/?client_id=zzz"))  # a bad id is ignored, not a 500
    for url in ("/invoices/", "/quotes/", "/payments/"):  # nor one no database column can hold
        assert logged_in.get(f"{url}?client_id=99999999999999999999999").status_code == 200, url
