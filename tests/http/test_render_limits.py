"""Issue 12, finding 6: one company hammering PDF previews can only slow itself.

No timing here: a preview of company A is held in the middle of its render (an Event), and
while it is held, A's next preview is refused at once (429) and company B's preview is made
and served — B never waits for A's share."""

import threading

import pytest

from domain.billing import printing
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice, make_user
from tests.support.config import TEST_PASSWORD


@pytest.fixture
def two_companies(app):
    with app.app_context():
        out = []
        for n in (1, 2):
            company = make_company(name=f"Entreprise {n}")
            user = make_user(company, email=f"artisan{n}@example.fr")
            draft = make_invoice(company, make_client(company), user)
            out.append((user.email, draft.id, company.id))
        db.session.commit()
        return out


def _login(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": TEST_PASSWORD}).status_code == 303
    return client


def test_a_company_waiting_on_its_own_render_does_not_block_another(app, two_companies, monkeypatch):
    (email_a, draft_a, company_a), (email_b, draft_b, _) = two_companies
    started, release = threading.Event(), threading.Event()
    real_render = printing.render_pdf

    def render(doc, *, today):
        if doc.company_id == company_a:
            started.set()
            assert release.wait(timeout=30)
        return real_render(doc, today=today)

    monkeypatch.setattr(printing, "render_pdf", render)
    client_a, client_b = _login(app, email_a), _login(app, email_b)
    held = {}
    first = threading.Thread(target=lambda: held.setdefault("r", client_a.get(f"/invoices/{draft_a}/pdf")))
    first.start()
    try:
        assert started.wait(timeout=30)
        again = client_a.get(f"/invoices/{draft_a}/pdf")
        assert again.status_code == 429 and again.headers["Retry-After"] == "5"
        assert "déjà en préparation" in again.get_data(as_text=True)
        other = client_b.get(f"/invoices/{draft_b}/pdf")
        assert other.status_code == 200 and other.data.startswith(b"%PDF")
    finally:
        release.set()
        first.join(timeout=30)
    assert held["r"].status_code == 200
    # The slot is free again once A's render is done.
    assert client_a.get(f"/invoices/{draft_a}/pdf").status_code == 200


def test_a_company_over_its_rate_waits_a_minute(app, two_companies):
    app.config["PDF_RENDERS_PER_MINUTE"] = 2
    (email_a, draft_a, _), (email_b, draft_b, _) = two_companies
    client_a, client_b = _login(app, email_a), _login(app, email_b)
    assert [client_a.get(f"/invoices/{draft_a}/pdf").status_code for _ in range(3)] == [200, 200, 429]
    assert client_b.get(f"/invoices/{draft_b}/pdf").status_code == 200
