"""The approved platform end to end: the app served over real HTTP, the local platform on loopback
(it validates every request and answer against the AFNOR definitions), no mock of the HTTP layer.

Statuses move only when a test says so (`advance`), and webhooks are delivered on request, so no
test depends on timing.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from domain.billing import payments
from domain.billing.models import Document, Payment, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core.models import Company, Event, User
from domain.einvoicing import runner
from domain.einvoicing.models import CashReport, EinvoicingSettings, LifecycleStatus, Transmission, WebhookDelivery
from extensions import csrf, db
from output.platform.webhook import sign
from tests.support.builders import make_client, make_invoice
from tests.support.config import ON_POSTGRES, TEST_PASSWORD
from tests.support.pages import page_text as page_html
from tests.support.platform import start_local_platform
from web.platform import client_for

APPROVING, REFUSING, DISPUTING, UNKNOWN = "200000008", "300000007", "400000006", "700000003"
HOOK_SECRET = "whsec_" + "c2VjcmV0LWRlLXRlc3QtcG91ci1sZXMtd2ViaG9va3M="


@pytest.fixture
def pa():
    platform, stop = start_local_platform({})
    try:
        yield platform
    finally:
        platform.http.close()
        stop()
    assert platform.store.violations == [], platform.store.violations
    if not platform.expect_invalid_requests:
        assert [e for e in platform.store.validation_log if e["request_errors"]] == []


@pytest.fixture
def served(app):
    """The app itself on a loopback port, so the platform can call its webhook."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def page_text(response) -> str:
    """The page's words, without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_html(response)))


def connect(logged_in, pa, **extra):
    settings = pa.settings()
    response = logged_in.post("/einvoicing/settings", data={
        "flow_base_url": settings.flow_base_url, "directory_base_url": settings.directory_base_url,
        "token_url": settings.token_url, "client_id": settings.client_id, "client_secret": settings.client_secret,
        "webhook_secret": HOOK_SECRET, "send_syntax": "Factur-X", "confirm_password": TEST_PASSWORD, **extra})
    assert response.status_code == 303, page_text(response)


def draft_for(app, company_id, siren):
    with app.app_context():
        company = db.session.get_one(Company, company_id)
        user = db.session.scalar(select(User).where(User.company_id == company_id))
        client = make_client(company, name=f"Acheteur {siren} SAS", kind="professionnel", siren=siren,
                             email=f"compta{siren}@example.fr")
        doc = make_invoice(company, client, user, today=date.today())
        db.session.commit()
        return doc.id


def issue_in_ui(logged_in, doc_id):
    response = logged_in.post(f"/invoices/{doc_id}/issue", data={"token": f"tok-{doc_id}"})
    assert response.status_code in (200, 303), page_text(response)


def run(app, **kw):
    with app.app_context():
        report = runner.run(client_for, **kw)
        db.session.remove()
        return report


def sync(app):
    with app.app_context():
        report = runner.sync(client_for)
        db.session.remove()
        return report


def make_due(app):
    """The back-off is over (instead of waiting for it)."""
    with app.app_context():
        db.session.execute(Transmission.__table__.update().values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))
        db.session.commit()


def flows_with(pa, tracking):
    return [f for f in pa.control("GET", "/state")["flows"] if f.get("trackingId") == tracking]


def transmission(app, doc_id) -> Transmission:
    with app.app_context():
        row = db.session.scalar(select(Transmission).where(Transmission.document_id == doc_id))
        db.session.expunge_all()
        return row


def test_settings_seal_the_secret_and_test_the_connection(app, logged_in, company, pa):
    connect(logged_in, pa)
    with app.app_context():
        row = db.session.get_one(EinvoicingSettings, company)
        assert pa.settings().client_secret not in row.client_secret_sealed
    page = logged_in.get("/einvoicing/settings")
    assert pa.settings().client_secret not in page.get_data(as_text=True)
    response = logged_in.post("/einvoicing/settings/test", follow_redirects=True)
    assert "Connexion réussie" in page_text(response)
    # A wrong secret: a clear French failure.
    connect(logged_in, pa, client_secret="pas-le-bon")
    response = logged_in.post("/einvoicing/settings/test", follow_redirects=True)
    assert "refuse les identifiants" in page_text(response)


def test_without_a_platform_b2b_invoices_wait_and_the_dashboard_counts_them(app, logged_in, company):
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    assert run(app).outcomes == {}
    assert transmission(app, doc_id).state == "queued"
    assert "1 facture B2B en attente de transmission" in page_text(logged_in.get("/"))


def test_an_invoice_issued_in_the_ui_reaches_the_platform_once_and_its_statuses_follow(
        app, logged_in, company, pa, served):
    connect(logged_in, pa)
    with app.app_context():
        key = db.session.get_one(EinvoicingSettings, company).webhook_key
    pa.control("POST", "/webhooks", {"url": f"{served}/einvoicing/webhook/{key}", "secret": HOOK_SECRET})
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    issue_in_ui(logged_in, doc_id)  # a double tap issues once
    assert run(app).outcomes == {"einvoice_transmissions:sent": 1}
    assert run(app).outcomes == {}
    row = transmission(app, doc_id)
    assert len(flows_with(pa, row.tracking_id)) == 1
    assert row.ack_status == "Pending" and len(row.sha256) == 64

    pa.advance(all=True, steps=6)  # Ok + 200, 202, 203, 204, 205, webhooks delivered as they happen
    pa.control("POST", "/webhooks/deliver", {"force": True})
    row = transmission(app, doc_id)
    assert row.ack_status == "Ok"
    assert row.status_code == 205
    text = page_text(logged_in.get(f"/invoices/{doc_id}"))
    assert "200 Déposée" in text and "205 Approuvée" in text
    assert "Plateforme : 205 Approuvée" in text  # the lifecycle panel
    # Polling after the webhooks finds nothing new: every status is stored once.
    sync(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(LifecycleStatus.id))) == 5
        events = db.session.scalar(select(func.count(Event.id)).where(Event.kind == "platform_status"))
        assert events == 5

    # Payments: one 212 each, with the amounts per rate; a cancelled payment is corrected.
    with app.app_context():
        doc = db.session.get_one(Document, doc_id)
        user = db.session.scalar(select(User).where(User.company_id == company))
        first = payments.record_payment(doc, user, PaymentInput(10_000, date.today(), PaymentMethod.TRANSFER),
                                        today=date.today())
        payments.record_payment(doc, user, PaymentInput(5_000, date.today(), PaymentMethod.CHEQUE), today=date.today())
        db.session.commit()
        first_id = first.id
    assert run(app).outcomes == {"einvoice_cash_reports:sent": 2}
    with app.app_context():
        payment = db.session.get_one(Payment, first_id)
        payments.cancel_payment(payment, None, reason="chèque impayé")
        db.session.commit()
    assert run(app).outcomes == {"einvoice_cash_reports:sent": 1}
    assert run(app).outcomes == {}
    pa.advance(all=True)
    received = pa.control("GET", "/received-statuses")
    statuses = received if isinstance(received, list) else received.get("statuses", received.get("received", []))
    amounts = [sum(c for _, c in s["amounts"]) for s in statuses]
    assert sorted(amounts) == [-10_000, 5_000, 10_000]
    assert all(s["code"] == 212 for s in statuses)
    sync(app)
    with app.app_context():
        assert {r.ack_status for r in db.session.scalars(select(CashReport))} == {"Ok"}
    assert "Encaissements déclarés" in page_text(logged_in.get(f"/invoices/{doc_id}"))


@pytest.mark.parametrize(("siren", "steps", "code", "stopped", "label"), [
    (UNKNOWN, 2, 213, True, "à corriger"),
    (REFUSING, 6, 210, True, "refusée par le client"),
    (DISPUTING, 5, 207, False, "en litige"),
])
def test_rejected_refused_and_disputed_invoices_stop_or_pause_reminders(app, logged_in, company, pa, siren, steps,
                                                                        code, stopped, label):
    connect(logged_in, pa)
    doc_id = draft_for(app, company, siren)
    issue_in_ui(logged_in, doc_id)
    run(app)
    pa.advance(all=True, steps=steps)
    sync(app)
    with app.app_context():
        doc = db.session.get_one(Document, doc_id)
        assert transmission(app, doc_id).status_code == code
        assert doc.reminders_disabled is stopped
        assert (doc.reminders_paused_until is not None) is (not stopped)
    text = page_text(logged_in.get("/"))
    assert label in text
    if stopped:
        assert "Nouvelle facture corrigée" in page_text(logged_in.get(f"/invoices/{doc_id}"))


def test_platform_down_then_429_then_500_retry_later_without_duplicates(app, logged_in, company, pa):
    connect(logged_in, pa)
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    pa.fault("createFlow", "status", status=429, retryAfter=120)
    assert run(app).outcomes == {"einvoice_transmissions:queued": 1}
    row = transmission(app, doc_id)
    assert "trop de demandes" in row.last_error
    assert (row.next_attempt_at - row.created_at).total_seconds() >= 120  # the platform's Retry-After
    pa.fault("createFlow", "status", status=500)
    make_due(app)
    assert run(app).outcomes == {"einvoice_transmissions:queued": 1}
    assert "injoignable" in transmission(app, doc_id).last_error
    make_due(app)
    assert run(app).outcomes == {"einvoice_transmissions:sent": 1}
    assert len(flows_with(pa, transmission(app, doc_id).tracking_id)) == 1


def test_platform_down_is_retried(app, logged_in, company, pa):
    connect(logged_in, pa, flow_base_url="http://127.0.0.1:9/flow-service", token_url="http://127.0.0.1:9/oauth/token")
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    assert run(app).outcomes == {"einvoice_transmissions:queued": 1}
    assert "injoignable" in transmission(app, doc_id).last_error


def test_a_timeout_after_the_platform_accepted_creates_no_second_flow(app, logged_in, company, pa):
    app.config["PLATFORM_READ_TIMEOUT"] = 0.5
    connect(logged_in, pa)
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    pa.fault("createFlow", "hold")
    assert run(app).outcomes == {"einvoice_transmissions:queued": 1}
    pa.control("POST", "/faults/release")
    tracking = transmission(app, doc_id).tracking_id
    assert len(flows_with(pa, tracking)) == 1  # the platform did record it
    make_due(app)
    assert run(app).outcomes == {"einvoice_transmissions:sent": 1}
    assert len(flows_with(pa, tracking)) == 1
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "einvoice_transmitted"))
        assert event.data["adopted"] is True


def test_an_invalid_token_is_reported_and_retried(app, logged_in, company, pa):
    connect(logged_in, pa, client_secret="faux")
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    assert run(app).outcomes == {"einvoice_transmissions:queued": 1}
    assert "identifiants" in transmission(app, doc_id).last_error


def test_webhooks_forged_replayed_or_about_unknown_flows(app, logged_in, company, pa, served):
    csrf_was = app.config.get("WTF_CSRF_ENABLED")
    connect(logged_in, pa)
    with app.app_context():
        key = db.session.get_one(EinvoicingSettings, company).webhook_key
    url = f"/einvoicing/webhook/{key}"
    pa.control("POST", "/webhooks", {"url": f"{served}{url}", "secret": HOOK_SECRET})
    doc_id = draft_for(app, company, APPROVING)
    issue_in_ui(logged_in, doc_id)
    run(app)
    pa.advance(all=True)
    pa.control("POST", "/webhooks/deliver", {"force": True})
    deliveries = pa.control("GET", "/webhooks")["deliveries"]
    assert deliveries and all(d["state"] == "delivered" for d in deliveries)
    with app.app_context():
        handled = db.session.scalar(select(func.count(WebhookDelivery.id)))
        statuses = db.session.scalar(select(func.count(LifecycleStatus.id)))
    # Replayed byte for byte: same id, nothing applied twice.
    for delivery in deliveries:
        pa.control("POST", f"/webhooks/{delivery['deliveryId']}/replay")
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == handled
        assert db.session.scalar(select(func.count(LifecycleStatus.id))) == statuses
    # Forged: a body signed with another secret is refused.
    import time

    body = b'{"flowInfo": {"flowId": "x"}}'
    now = int(time.time())
    headers = {"webhook-id": "msg_forged", "webhook-timestamp": str(now),
               "webhook-signature": sign("autre-secret", "msg_forged", now, body)}
    forged = logged_in.post(url, data=body, headers=headers)
    assert forged.status_code == 401
    # A status for an invoice this company never issued: logged, ignored, 200.
    pa.control("POST", "/inject-status", {"invoiceNumber": "F-1999-0001", "sellerSiren": "732829320", "code": 205})
    pa.control("POST", "/webhooks/deliver", {"force": True})
    deliveries = pa.control("GET", "/webhooks")["deliveries"]
    assert all(d["state"] == "delivered" for d in deliveries)
    with app.app_context():
        assert db.session.scalar(select(func.count(LifecycleStatus.id))) == statuses
    assert app.config.get("WTF_CSRF_ENABLED") == csrf_was and csrf is not None


def test_the_directory_on_a_business_client_page(app, logged_in, company, pa):
    connect(logged_in, pa)
    with app.app_context():
        c = make_client(db.session.get_one(Company, company), name="Acheteur", kind="professionnel",
                        siren=APPROVING, email="a@example.fr")
        u = make_client(db.session.get_one(Company, company), name="Inconnu", kind="professionnel",
                        siren=UNKNOWN, email="b@example.fr")
        db.session.commit()
        known, unknown = c.id, u.id
    assert "Pas encore vérifié" in page_text(logged_in.get(f"/clients/{known}"))
    text = page_text(logged_in.post(f"/einvoicing/clients/{known}/directory", headers={"HX-Request": "true"}))
    assert "Reçoit les factures électroniques" in text
    text = page_text(logged_in.post(f"/einvoicing/clients/{unknown}/directory", headers={"HX-Request": "true"}))
    assert "pas d'adresse de réception active" in text


def test_a_draft_to_a_client_the_directory_does_not_know_warns_before_it_is_issued(app, logged_in, company, pa):
    connect(logged_in, pa)
    unknown, known = draft_for(app, company, UNKNOWN), draft_for(app, company, APPROVING)
    text = page_text(logged_in.get(f"/invoices/{unknown}"))
    assert "avant d'émettre" in text and "Pas encore vérifié" in text
    with app.app_context():
        client_id = db.session.get_one(Document, unknown).client_id
    # Checked from the draft (no JavaScript): back on the draft, with the platform's answer.
    response = logged_in.post(f"/einvoicing/clients/{client_id}/directory", data={"invoice_id": str(unknown)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/invoices/{unknown}")
    text = page_text(logged_in.get(f"/invoices/{unknown}"))
    assert "avant d'émettre" in text and "pas d'adresse de réception active" in text
    # A client that receives: nothing to warn about; once issued, the transmission panel instead.
    with app.app_context():
        known_client = db.session.get_one(Document, known).client_id
    logged_in.post(f"/einvoicing/clients/{known_client}/directory", data={"invoice_id": str(known)})
    assert "avant d'émettre" not in page_text(logged_in.get(f"/invoices/{known}"))
    issue_in_ui(logged_in, unknown)
    text = page_text(logged_in.get(f"/invoices/{unknown}"))
    assert "avant d'émettre" not in text and "En attente de transmission" in text


@pytest.mark.skipif(not ON_POSTGRES, reason="SKIP LOCKED claims: PostgreSQL")
def test_two_workers_transmitting_at_once_make_one_flow_per_document(app, logged_in, company, pa):
    connect(logged_in, pa)
    ids = [draft_for(app, company, APPROVING) for _ in range(6)]
    for doc_id in ids:
        issue_in_ui(logged_in, doc_id)
    from commands.einvoicing import run_workers

    report = run_workers(app, 2)
    assert report.outcomes == {"einvoice_transmissions:sent": 6}
    for doc_id in ids:
        assert len(flows_with(pa, transmission(app, doc_id).tracking_id)) == 1
