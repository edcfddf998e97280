"""The installable app: manifest, service worker, the list of documents a tablet keeps for
offline reading (scoped to the company, versioned), and logout clearing the copies."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from domain.billing import documents as docs
from domain.billing import offline, payments
from domain.billing.models import PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core.models import Company
from extensions import db
from tests.support.builders import issued, make_client, make_company, make_invoice, make_quote, make_user
from tests.support.world import TODAY


def test_manifest_and_service_worker_make_the_app_installable(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.data)
    assert data["display"] == "standalone" and data["start_url"] == "/" and data["lang"] == "fr"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200
    sw = client.get("/sw.js")
    assert sw.mimetype == "text/javascript" and sw.headers["Service-Worker-Allowed"] == "/"
    assert sw.headers["Cache-Control"] == "no-cache"
    settings = json.loads(re.match(r"self\.ENCAISSE = (\{.*\});", sw.text).group(1))
    assert "/offline" in settings["shell"]
    assert all(re.search(r"\.[0-9a-f]{10}\.\w+$", url) for url in settings["shell"] if url.startswith("/static/"))
    offline_page = client.get("/offline")
    assert offline_page.status_code == 200 and "Hors connexion" in offline_page.text
    assert "csrf" not in offline_page.text.lower()  # kept for everyone: nothing of a session in it


def test_the_list_to_keep_is_the_companys_own_and_needs_a_login(app, client, auth, company):
    assert client.get("/offline/documents.json").status_code == 302
    with app.app_context():
        co = db.session.get(Company, company)
        kept_invoice = issued(make_invoice(co, make_client(co)), None, TODAY)
        other = make_company("Autre", siret="55210055400013")
        make_user(other, email="autre@example.fr")
        issued(make_invoice(other, make_client(other, name="Client de B")), None, TODAY)
        db.session.commit()
        invoice_id = kept_invoice.id
    auth.login()
    r = client.get("/offline/documents.json")
    assert r.headers["Cache-Control"] == "no-store"
    items = r.json["items"]
    assert [i["page"] for i in items] == [f"/invoices/{invoice_id}", "/clients/1"]
    assert items[0]["pdf"] is None  # issued by a builder without its frozen PDF: the page only
    first_owner = r.json["owner"]
    client.post("/logout")
    auth.login("autre@example.fr")
    assert client.get("/offline/documents.json").json["owner"] != first_owner


def test_logout_clears_the_sites_storage(client, auth, company):
    auth.login()
    r = client.post("/logout")
    assert r.status_code == 303 and r.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_what_is_kept_recent_unpaid_and_pending_no_drafts_and_versions_follow_changes(app):
    with app.app_context():
        co = make_company()
        client = make_client(co)
        draft = make_invoice(co, client)
        paid = issued(make_invoice(co, client), None, TODAY - timedelta(days=400))
        payments.record_payment(paid, None, PaymentInput(paid.net_cents, TODAY, PaymentMethod.CASH), today=TODAY)
        unpaid = [issued(make_invoice(co, client), None, TODAY - timedelta(days=300 - i)) for i in range(3)]
        pending = issued(make_quote(co, client), None, TODAY - timedelta(days=200))
        recent = [issued(make_invoice(co, client), None, TODAY) for _ in range(offline.RECENT)]
        for doc in recent:
            payments.record_payment(doc, None, PaymentInput(doc.net_cents, TODAY, PaymentMethod.CASH), today=TODAY)
        db.session.commit()
        kept, clients = offline.documents_to_keep(co.id)
        ids = {d.id for d in kept}
        assert draft.id not in ids and paid.id not in ids  # a draft; paid, and older than the 50 recent
        assert {d.id for d in unpaid} <= ids and pending.id in ids and {d.id for d in recent} <= ids
        assert len(kept) == offline.RECENT + 3 + 1 and [c.id for c in clients] == [client.id]
        before = {d.id: d.version for d in kept}
        before_client = clients[0].version
        payments.record_payment(unpaid[0], None, PaymentInput(100, TODAY, PaymentMethod.CASH), today=TODAY)
        docs.mark_sent(unpaid[1], None, channel="manuel")
        db.session.commit()
        kept, clients = offline.documents_to_keep(co.id)
        after = {d.id: d.version for d in kept}
        changed = {i for i in after if after[i] != before[i]}
        assert changed == {unpaid[0].id, unpaid[1].id} and clients[0].version != before_client
