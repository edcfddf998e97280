"""The client's pages through the document link, the open pixel and the artisan's link controls."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.billing import documents as docs
from domain.billing import payments
from domain.billing import printing as document_files
from domain.billing.models import Document, StoredFile
from domain.billing.payment_reference import format_rf, rf_for_invoice
from domain.billing.payments import PaymentInput
from domain.collections.models import Send
from domain.core.clock import today_in
from domain.core.models import Company, Event
from domain.portal import links as portal
from domain.portal.models import ClientResponse, DocumentLink, DocumentTracking, PortalAttempt
from extensions import db
from output.formatting import format_money
from tests.support.builders import make_client, make_company, make_invoice, make_quote, make_user
from tests.support.pages import HX, page_text
from web.http import mailer
from web.urls import client_link, link_secret, tracking_pixel_html

TODAY = today_in("Europe/Paris")  # the portal reads the company's today: documents are dated around it
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari"


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config, "PUBLIC_BASE_URL": "https://factures.example.fr"}


def _setup(app, *, kind="quote", tracking=True):
    with app.app_context():
        company = db.session.scalar(select(Company)) or make_company(phone="04 78 00 00 00")
        company.open_tracking_enabled = tracking
        company.phone = "04 78 00 00 00"
        user = company.users[0] if company.users else make_user(company)
        client = make_client(company, name="Hélène Dupont")
        doc = (make_quote if kind == "quote" else make_invoice)(company, client, user, today=TODAY)
        document_files.issue_with_pdf(doc, user, today=TODAY)
        link = portal.ensure_link(doc, user, secret=link_secret())
        db.session.commit()
        return doc.id, link.token


@pytest.fixture
def quote(app, company):
    return _setup(app)


@pytest.fixture
def invoice(app, company):
    return _setup(app, kind="invoice")


def get(client, url, **kw):
    return client.get(url, headers={"User-Agent": UA}, environ_base={"REMOTE_ADDR": "203.0.113.7"}, **kw)


def post(client, url, data, **kw):
    return client.post(url, data=data, headers={"User-Agent": UA}, environ_base={"REMOTE_ADDR": "203.0.113.7"}, **kw)


def assert_public_headers(r):
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store"
    assert "noindex" in r.headers["X-Robots-Tag"]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


# --- the page -----------------------------------------------------------------------------


def test_quote_page_shows_document_pdf_contacts_and_counts_views(app, client, quote):
    doc_id, token = quote
    r = get(client, f"/c/{token}")
    assert r.status_code == 200
    assert_public_headers(r)
    html = page_text(r)
    assert '<meta name="robots" content="noindex, nofollow">' in html
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        number, total = doc.number, doc.total_ttc_cents
    assert f"Devis n° {number}" in html and "Plomberie Test" in html
    assert format_money(total) in html
    assert f'href="/c/{token}/pdf"' in html
    assert "Tableau électrique" in html and "Total TTC" in html
    assert "04 78 00 00 00" in html and "contact@test.example.fr" in html  # company contact details
    assert 'id="accept-form"' in html and 'name="csrf_token"' in html and "Bon pour accord" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style
    get(client, f"/c/{token}")
    client.head(f"/c/{token}")  # a link scanner's HEAD is not a view
    with app.app_context():
        counters = db.session.get(DocumentTracking, doc_id)
        assert counters.views == 2 and counters.first_viewed_at is not None
        assert db.session.scalar(select(func.count(Event.id)).where(Event.document_id == doc_id,
                                                                    Event.kind == "viewed")) == 1


def test_invoice_page_amount_due_and_payment_instructions(app, client, invoice):
    doc_id, token = invoice
    html = page_text(get(client, f"/c/{token}"))
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        number, reference = doc.number, doc.payment_reference
        payments.record_payment(doc, None, PaymentInput(5000, TODAY, "cheque"), today=TODAY)
        db.session.commit()
    assert "Reste à payer" in html and "165,00\xa0€" in html  # 150 € HT at 10 %
    assert "FR76 3000 6000 0112 3456 7890 189" in html and "AGRIFRPP" in html
    # The RF reference frozen at issue, printed as on the PDF, with the number beside it.
    assert reference == rf_for_invoice(number)
    assert re.search(rf'id="portal-reference">{re.escape(format_rf(reference))}</strong> '
                     rf'<span class="muted">\(facture {re.escape(number)}\)', html)
    assert f'data-copy="{reference}"' in html
    assert 'src="data:image/svg+xml' in html and 'id="portal-qr"' in html
    assert 'id="promise-form"' in html and 'id="accept-form"' not in html
    html = page_text(get(client, f"/c/{token}"))
    assert re.search(r'id="portal-remaining">115,00\xa0€<', html)  # after a 50 € cheque


def test_paid_invoice_says_thanks_and_drops_payment_block(app, client, invoice):
    doc_id, token = invoice
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        payments.record_payment(doc, None, PaymentInput(doc.remaining_cents, TODAY, "virement"), today=TODAY)
        db.session.commit()
    html = page_text(get(client, f"/c/{token}"))
    assert "Facture réglée" in html and 'id="portal-pay"' not in html and 'id="promise-form"' not in html


def test_pdf_is_the_frozen_bytes(app, client, quote):
    doc_id, token = quote
    r = get(client, f"/c/{token}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert_public_headers(r)
    assert r.headers["Content-Disposition"].startswith('attachment; filename="Devis-D-')
    with app.app_context():
        stored = db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc_id))
        assert r.data == stored.data


def test_bad_expired_revoked_draft_and_unknown_tokens_get_one_page(app, client, company, quote):
    doc_id, token = quote
    with app.app_context():
        c = db.session.get(Company, company)
        other = make_company("Entreprise B", siret="55210055400013", email="b@b.example.fr")
        other_user = make_user(other, email="b@b.example.fr")
        other_doc = make_quote(other, make_client(other, name="Client de B"), other_user, today=TODAY)
        docs.issue(other_doc, other_user, today=TODAY)
        other_token = portal.ensure_link(other_doc, other_user, secret=link_secret()).token
        portal.revoke_link(other_doc, other_user)
        expired = make_quote(c, make_client(c, name="Client expiré"), None, today=TODAY)
        docs.issue(expired, None, today=TODAY)
        expired_token = portal.ensure_link(expired, None, lifetime=timedelta(days=1),
                                           now=datetime.now(UTC) - timedelta(days=2), secret=link_secret()).token
        draft = make_invoice(c, make_client(c, name="Client brouillon"), None)
        db.session.add(DocumentLink(company_id=c.id, document_id=draft.id, token_sealed="00" * 32,
                                    token_sha256=portal.hash_token("D" * 43)))
        db.session.commit()
    bodies = set()
    for bad in (other_token, expired_token, "D" * 43, "A" * 43, "court", token[:-2], "%00", "x" * 300):
        for path in (f"/c/{bad}", f"/c/{bad}/pdf"):
            r = get(client, path)
            assert r.status_code == 404, path
            assert_public_headers(r)
            bodies.add(r.data)
    assert len(bodies) == 1
    body = bodies.pop().decode()
    assert "Ce lien n'est pas disponible" in page_text_of(body)
    for secret in ("Entreprise B", "Plomberie Test", "Client", "D-2026", "csrf_token", "€"):
        assert secret not in body
    r = post(client, f"/c/{other_token}/accept", {"full_name": "X Y", "agree": "y"})
    assert r.status_code == 404 and r.data.decode() == body
    with app.app_context():
        assert db.session.scalar(select(func.count(ClientResponse.id))) == 0


def page_text_of(body: str) -> str:
    import html

    return html.unescape(body)


# --- answers --------------------------------------------------------------------------------


def test_accept_records_evidence_and_notifies_the_artisan(app, client, quote, smtp_server):
    doc_id, token = quote
    get(client, f"/c/{token}")
    r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/c/{token}")
    html = page_text(get(client, f"/c/{token}"))
    assert "Votre accord est enregistré" in html and "Devis accepté" in html and "par Hélène Dupont" in html
    assert 'id="accept-form"' not in html
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        response = db.session.scalar(select(ClientResponse))
        stored = db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc_id))
        assert doc.accepted_at is not None and response.at == doc.accepted_at
        assert db.session.get(DocumentTracking, doc_id).views == 1  # the page after the answer is no new visit
        assert (response.kind, response.full_name, response.ip, response.user_agent) == (
            "accept", "Hélène Dupont", "203.0.113.7", UA)
        assert response.pdf_sha256 == hashlib.sha256(stored.data).hexdigest()
        event = db.session.scalar(select(Event).where(Event.document_id == doc_id, Event.kind == "accepted"))
        assert event.actor_label == "Hélène Dupont (client, en ligne)"
        number = doc.number
    [msg] = smtp_server.sink.messages
    assert msg["To"] == "contact@test.example.fr"
    assert msg["Subject"] == f"Devis {number} accepté par Hélène Dupont"
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "bon pour accord" in body and f"https://factures.example.fr/quotes/{doc_id}" in body


def test_accept_twice_is_harmless(app, client, quote, smtp_server):
    doc_id, token = quote
    for _ in range(2):
        r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
        assert r.status_code == 303
    html = page_text(get(client, f"/c/{token}"))
    assert "déjà accepté" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(ClientResponse.id))) == 1
        assert db.session.scalar(select(func.count(Event.id)).where(Event.document_id == doc_id,
                                                                    Event.kind == "accepted")) == 1
    assert len(smtp_server.sink.messages) == 1


def test_accept_errors_are_french_and_next_to_the_fields(app, client, quote):
    doc_id, token = quote
    r = post(client, f"/c/{token}/accept", {"full_name": " "})
    assert r.status_code == 200
    html = page_text(r)
    assert re.search(r'id="field-full_name">.*?Indiquez votre prénom et votre nom\.', html, re.S)
    assert re.search(r'id="field-agree">.*?Cochez la case pour donner votre accord\.', html, re.S)
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.get(Document, doc_id).accepted_at is None
        assert db.session.scalar(select(func.count(ClientResponse.id))) == 0
        assert db.session.scalar(select(func.count(PortalAttempt.id))) == 1  # the attempt still counts


def test_refuse_with_reason(app, client, quote, smtp_server):
    doc_id, token = quote
    r = post(client, f"/c/{token}/refuse", {"reason": "Travaux reportés à l'an prochain"})
    assert r.status_code == 303
    html = page_text(get(client, f"/c/{token}"))
    assert "Devis refusé" in html and 'id="accept-form"' not in html
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert doc.refused_at is not None and doc.refusal_reason == "Travaux reportés à l'an prochain"
    assert "refusé" in smtp_server.sink.messages[0]["Subject"]
    assert "Travaux reportés" in smtp_server.sink.messages[0].get_body(preferencelist=("plain",)).get_content()
    # accepting a refused quote is refused politely
    html = page_text(post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"}))
    assert "a été refusé" in html


def test_expired_quote_cannot_be_accepted(app, client, company):
    with app.app_context():
        c = db.session.get(Company, company)
        user = c.users[0]
        quote = make_quote(c, make_client(c), user, today=TODAY, validity_date=TODAY)
        docs.issue(quote, user, today=TODAY)
        quote.validity_date = TODAY - timedelta(days=1)  # as if days had passed
        token = portal.ensure_link(quote, user, secret=link_secret()).token
        db.session.commit()
        quote_id = quote.id
    html = page_text(get(client, f"/c/{token}"))
    assert "n'est plus valable" in html and 'id="accept-form"' not in html
    html = page_text(post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"}))
    assert "n'est plus valable" in html
    with app.app_context():
        assert db.session.get(Document, quote_id).accepted_at is None


def test_promise_to_pay_pauses_reminders(app, client, invoice, smtp_server):
    doc_id, token = invoice
    pay_on = TODAY + timedelta(days=10)
    html = page_text(post(client, f"/c/{token}/promise", {"full_name": "Hélène Dupont",
                                                           "pay_on": (TODAY + timedelta(days=90)).isoformat()}))
    assert re.search(r'id="field-pay_on">.*?Choisissez une date entre le', html, re.S)
    html = page_text(post(client, f"/c/{token}/promise", {"full_name": "Hélène Dupont", "pay_on": "32/13/2026"}))
    assert "Saisissez une date valide" in html
    r = post(client, f"/c/{token}/promise", {"full_name": "Hélène Dupont", "pay_on": pay_on.isoformat()})
    assert r.status_code == 303
    html = page_text(get(client, f"/c/{token}"))
    assert "Vous avez indiqué payer le" in html and 'id="promise-form"' not in html
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        assert doc.reminders_paused_until == pay_on
        kinds = set(db.session.scalars(select(Event.kind).where(Event.document_id == doc_id)))
        assert {"client_promised", "reminders_paused"} <= kinds
    assert "paiement promis" in smtp_server.sink.messages[-1]["Subject"]
    r = post(client, f"/c/{token}/promise",
             {"full_name": "Hélène Dupont", "pay_on": (pay_on + timedelta(days=5)).isoformat()})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Document, doc_id).reminders_paused_until == pay_on
        assert db.session.scalar(select(func.count(ClientResponse.id))) == 1


def test_a_failed_notification_never_loses_the_acceptance(app, client, quote, smtp_server):
    doc_id, token = quote
    smtp_server.stop()
    r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Document, doc_id).accepted_at is not None
        assert db.session.scalar(select(func.count(ClientResponse.id))) == 1


def test_answers_are_throttled_per_link_and_per_ip(app, client, quote):
    doc_id, token = quote
    app.config.update(PORTAL_MAX_ATTEMPTS_PER_LINK=3, PORTAL_MAX_ATTEMPTS_PER_IP=5)
    for _ in range(3):
        assert post(client, f"/c/{token}/accept", {"full_name": ""}).status_code == 200
    r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
    assert r.status_code == 429 and "Trop de tentatives" in page_text(r)
    assert_public_headers(r)
    with app.app_context():
        assert db.session.get(Document, doc_id).accepted_at is None
    # unknown tokens count against the IP: guessing is stopped too
    for i in range(2):
        assert post(client, f"/c/{'Z' * 42}{i}/refuse", {}).status_code == 404
    assert post(client, f"/c/{'Z' * 43}/refuse", {}).status_code == 429


def test_csrf_is_required_and_works_from_the_page(app, client, quote):
    app.config["WTF_CSRF_ENABLED"] = True
    doc_id, token = quote
    r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
    assert r.status_code == 400 and "Formulaire expiré" in page_text(r)
    assert_public_headers(r)
    html = get(client, f"/c/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = post(client, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y", "csrf_token": csrf})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.get(Document, doc_id).accepted_at is not None


# --- the pixel --------------------------------------------------------------------------------


def _send_row(app, doc_id, token="trk-" + "a" * 30):
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        db.session.add(Send(company_id=doc.company_id, document_id=doc.id, purpose="document",
                            template_key="quote_send", recipients=["helene@example.fr"], status="sent",
                            tracking_token=token))
        db.session.commit()
    return token


def test_pixel_counts_real_opens_and_answers_the_same_to_anything(app, client, quote):
    doc_id, _ = quote
    token = _send_row(app, doc_id)
    answers = []
    for t in (token, token, "inconnu-" + "b" * 30, "x", "%27%20OR%201%3D1", "y" * 400):
        r = client.get(f"/t/{t}.gif")
        assert r.status_code == 200 and r.mimetype == "image/gif" and r.data[:6] == b"GIF89a"
        assert r.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in r.headers
        answers.append((r.data, sorted((k, v) for k, v in r.headers.items() if k not in ("Date",))))
    assert all(a == answers[0] for a in answers)
    with app.app_context():
        row = db.session.get(DocumentTracking, doc_id)
        assert row.opens == 2 and row.views == 0
        assert db.session.scalar(select(func.count(Event.id)).where(Event.kind == "email_opened")) == 1


def test_pixel_counts_nothing_when_tracking_is_off(app, client, company):
    doc_id, _ = _setup(app, tracking=False)
    token = _send_row(app, doc_id)
    assert client.get(f"/t/{token}.gif").status_code == 200
    with app.app_context():
        assert db.session.get(DocumentTracking, doc_id) is None


def test_pixel_never_errors(app, client, quote, monkeypatch):
    from domain.portal import tracking

    def boom(*a, **k):
        raise RuntimeError("database down")

    monkeypatch.setattr(tracking, "record_open", boom)
    r = client.get(f"/t/{'c' * 30}.gif")
    assert r.status_code == 200 and r.data[:6] == b"GIF89a"


def test_sent_email_carries_the_link_and_the_pixel(app, company, smtp_server):
    from domain.collections import reminders
    from domain.collections.sending import SendRequest, send_all

    doc_id, token = _setup(app, kind="invoice")
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        link = client_link(doc)
        assert link == f"https://factures.example.fr/c/{token}"
        draft = reminders.compose(doc, "invoice_send", TODAY, link=link)
        [outcome] = send_all([SendRequest(document=doc, purpose="document", template_key="invoice_send",
                                          recipients=draft.recipients, subject=draft.subject, body=draft.body)],
                             None, deliver=mailer().deliver, attachments_for=lambda d, k: [],
                             html_extra_for=lambda s: tracking_pixel_html(doc.company, s))
        send_token = outcome.send.tracking_token
    msg = smtp_server.sink.messages[0]
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert f'src="https://factures.example.fr/t/{send_token}.gif"' in html
    assert f"https://factures.example.fr/c/{token}" in msg.get_body(preferencelist=("plain",)).get_content()
    with app.app_context():
        c = db.session.get(Company, company)
        c.open_tracking_enabled = False
        assert tracking_pixel_html(c, outcome.send) == ""


def test_client_link_helper(app, company):
    with app.app_context():
        c = db.session.get(Company, company)
        draft = make_invoice(c, make_client(c), None)
        assert client_link(draft) == ""
        docs.issue(draft, None, today=TODAY)
        first = client_link(draft)
        assert re.fullmatch(r"https://factures\.example\.fr/c/[A-Za-z0-9_-]{43}", first)
        assert client_link(draft) == first
        portal.revoke_link(draft, None)
        assert client_link(draft) not in ("", first)
        db.session.commit()
        draft_id = draft.id
    app.config["PUBLIC_BASE_URL"] = None
    # Without the setting (development), the local address: never the request's Host header,
    # which whoever sends the request chooses (issue 12, finding 3).
    with app.test_request_context("/", base_url="http://tablette.local:5000"):
        assert client_link(db.session.get(Document, draft_id)).startswith("http://127.0.0.1:5000/c/")


def test_client_link_made_during_a_get_survives_its_rollback(app, company):
    """A message preview (GET) shows a link; the link must still work when the message goes later."""
    with app.app_context():
        c = db.session.get(Company, company)
        doc = make_invoice(c, make_client(c), None)
        docs.issue(doc, None, today=TODAY)
        db.session.commit()
        doc_id = doc.id
    with app.test_request_context("/reminders/documents/1/compose", method="GET"):
        url = client_link(db.session.get(Document, doc_id))
        db.session.rollback()
        db.session.remove()
    with app.app_context():
        assert portal.resolve(url.rsplit("/", 1)[1]) is not None


# --- the artisan's side -------------------------------------------------------------------------


def test_artisan_preview_is_not_counted(app, logged_in, quote):
    doc_id, token = quote
    html = page_text(logged_in.get(f"/c/{token}"))
    assert "Aperçu" in html
    with app.app_context():
        assert db.session.get(DocumentTracking, doc_id) is None


def test_lifecycle_panel_on_the_document_page_and_as_fragment(app, client, logged_in, quote):
    doc_id, token = quote
    html = page_text(logged_in.get(f"/quotes/{doc_id}"))
    panel = re.search(r'<section id="doc-lifecycle".*?</section>', html, re.S).group(0)
    assert "Suivi client" in panel and "Créé" in panel and "par Jean Test" in panel
    assert f"https://factures.example.fr/c/{token}" in panel and "Copier le lien" in panel
    assert "indicatives" in panel
    assert f'hx-get="/documents/{doc_id}/lifecycle"' in panel and 'hx-trigger="every 30s"' in panel
    # the client views and accepts (another browser: no session)
    anonymous = app.test_client()
    get(anonymous, f"/c/{token}")
    post(anonymous, f"/c/{token}/accept", {"full_name": "Hélène Dupont", "agree": "y"})
    r = logged_in.get(f"/documents/{doc_id}/lifecycle", headers=HX)
    assert r.status_code == 200
    fragment = page_text(r)
    assert fragment.lstrip().startswith('<section id="doc-lifecycle"') and "<html" not in fragment
    assert re.search(r'id="lc-viewed".*?1 fois', fragment, re.S)
    assert re.search(r'id="lc-accepted".*?Accepté.*?en ligne par Hélène Dupont', fragment, re.S)
    assert "203.0.113.7" in fragment  # the proof
    assert logged_in.get(f"/documents/{doc_id}/lifecycle").status_code == 303  # not htmx: the page


def test_revoke_and_regenerate(app, logged_in, quote):
    doc_id, token = quote
    r = logged_in.post(f"/documents/{doc_id}/client-link/revoke", headers=HX)
    assert r.status_code == 200 and "Lien révoqué" in page_text(r) and "Créer le lien client" in page_text(r)
    assert app.test_client().get(f"/c/{token}").status_code == 404
    r = logged_in.post(f"/documents/{doc_id}/client-link")
    assert r.status_code == 303
    with app.app_context():
        first = portal.unseal(db.session.scalar(select(DocumentLink).where(DocumentLink.document_id == doc_id,
                                                                           DocumentLink.revoked_at.is_(None))),
                              link_secret())
    r = logged_in.post(f"/documents/{doc_id}/client-link/regenerate", headers=HX)
    assert r.status_code == 200 and "Nouveau lien créé" in page_text(r)
    with app.app_context():
        second = portal.unseal(db.session.scalar(select(DocumentLink).where(DocumentLink.document_id == doc_id,
                                                                            DocumentLink.revoked_at.is_(None))),
                               link_secret())
        kinds = list(db.session.scalars(select(Event.kind).where(Event.document_id == doc_id,
                                                                 Event.kind.like("link_%")).order_by(Event.id)))
    assert second != first and second in page_text(r)
    assert app.test_client().get(f"/c/{first}").status_code == 404
    assert app.test_client().get(f"/c/{second}").status_code == 200
    assert kinds == ["link_created", "link_revoked", "link_created", "link_revoked", "link_created"]


def test_a_draft_has_no_link_controls(app, logged_in, company):
    with app.app_context():
        c = db.session.get(Company, company)
        draft = make_quote(c, make_client(c), c.users[0])
        db.session.commit()
        draft_id = draft.id
    panel = page_text(logged_in.get(f"/quotes/{draft_id}"))
    assert "Le lien client sera disponible après l'émission" in panel and "Copier le lien" not in panel
    r = page_text(logged_in.post(f"/documents/{draft_id}/client-link", headers=HX))
    assert "Un brouillon n'a pas de lien client" in r
    with app.app_context():
        assert db.session.scalar(select(func.count(DocumentLink.id))) == 0


def test_link_controls_are_for_the_owner_only(app, client, quote):
    doc_id, token = quote
    r = client.post(f"/documents/{doc_id}/client-link/revoke")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get(f"/c/{token}").status_code == 200


def test_the_daily_run_sends_the_link_and_the_pixel(app, company, smtp_server):
    """cron: `flask reminders run` puts the client link (PUBLIC_BASE_URL) and the open pixel in the e-mail."""
    doc_id, token = _setup(app, kind="invoice")
    with app.app_context():
        due = db.session.get(Document, doc_id).due_date
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--today", (due - timedelta(days=3)).isoformat()])
    assert result.exit_code == 0, result.output
    [msg] = smtp_server.sink.messages
    assert f"https://factures.example.fr/c/{token}" in msg.get_body(preferencelist=("plain",)).get_content()
    with app.app_context():
        send_token = db.session.scalar(select(Send.tracking_token).where(Send.document_id == doc_id))
    html_body = msg.get_body(preferencelist=("html",)).get_content()
    assert f'src="https://factures.example.fr/t/{send_token}.gif"' in html_body
