"""Sending and collections pages: one-tap reminders against a real SMTP server, preview and
edit, channels, pause, tasks, templates, plan and rates."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from domain.billing import documents as docs
from domain.billing import printing as document_files
from domain.billing.documents import LineInput
from domain.billing.models import Document, RateEntry
from domain.collections.models import MessageTemplate, ReminderPlan, Task
from domain.core.clock import today_in
from domain.core.models import Company, Event
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice
from tests.support.pages import HX, page_text


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


def overdue_invoice(app, company_id, *, email="helene@example.fr", kind="particulier", days_late=20, cents=100000):
    """An invoice issued 30 + days_late days ago (30-day terms): due `days_late` days ago."""
    with app.app_context():
        company = db.session.get(Company, company_id)
        client = make_client(company, name="Hélène Dupont" if kind == "particulier" else "Bâtir SAS", kind=kind,
                             email=email, siren="552100554" if kind == "professionnel" else "")
        doc = make_invoice(company, client, None,
                           lines=[LineInput(label="Travaux", unit_price_cents=cents, vat_rate_bp=0)])
        issued_on = today_in(company.timezone) - timedelta(days=30 + days_late)
        document_files.issue_with_pdf(doc, None, today=issued_on)
        db.session.commit()
        return doc.id


def token_of(html):
    return re.search(r'name="token" (?:type="hidden" )?value="([^"]+)"', html).group(1)




def test_invoice_page_shows_panel_and_one_tap_sends(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company)
    page = page_text(logged_in.get(f"/invoices/{doc_id}"))
    assert 'id="collections-panel"' in page and "Relancer · R1 · relance douce" in page
    assert "R0 · aucune relance" in page
    r = logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "tap-1"}, headers=HX)
    text = page_text(r)
    assert r.status_code == 200 and text.lstrip().startswith('<section id="collections-panel"')
    assert "E-mail envoyé à helene@example.fr" in text and "R1 · relance douce" in text
    assert 'id="doc-history" hx-swap-oob="true"' in text and "Relance envoyée" in text
    [msg] = smtp_server.sink.messages
    assert msg["Subject"].startswith("Relance : facture F-")
    assert len(list(msg.iter_attachments())) == 2
    # double tap with the same token: nothing more leaves
    again = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "tap-1"},
                                     headers=HX))
    assert "déjà parti" in again and len(smtp_server.sink.messages) == 1


def test_preview_edit_and_send_once_without_touching_template(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company)
    r = logged_in.get(f"/reminders/documents/{doc_id}/compose?what=reminder", headers=HX)
    form = page_text(r)
    assert "Relance douce (R1)" in form and "Sauf erreur de notre part" in form
    data = {"token": token_of(r.text), "template_key": "soft", "recipients": ["helene@example.fr"],
            "extra_recipient": "compta@dupont.example.fr", "subject": "Petit rappel amical",
            "body": "Bonjour, un petit rappel pour la facture. Merci !"}
    # An address that is not one of the client's goes out only once the artisan confirms it is
    # (issue 12, finding 7): it then joins the client's contacts.
    refused = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data=data, headers=HX))
    assert "n'est pas une adresse de Hélène Dupont" in refused and smtp_server.sink.messages == []
    sent = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={**data, "add_recipient": "y"},
                                    headers=HX))
    assert "E-mail envoyé" in sent
    msg = smtp_server.sink.messages[0]
    assert msg["Subject"] == "Petit rappel amical" and "compta@dupont.example.fr" in msg["To"]
    with app.app_context():
        assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0  # template unchanged
        assert db.session.get(Document, doc_id).reminder_level == 1


def test_bad_recipient_and_empty_body_are_refused(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company)
    base = {"token": "t", "template_key": "soft", "subject": "Relance", "body": "Bonjour"}
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send",
                                 data={**base, "extra_recipient": "pas-une-adresse"}, headers=HX))
    assert "il manque le « @ »" in r
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send",
                                 data={**base, "token": "t2", "recipients": ["helene@example.fr"], "body": ""},
                                 headers=HX))
    assert "Le message ne peut pas être vide." in r
    assert smtp_server.sink.messages == []


def test_server_down_message_and_retry(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company)
    smtp_server.stop()
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "a"}, headers=HX))
    assert "injoignable" in r and "vous pouvez réessayer" in r
    assert "Échec d'envoi" in r  # history updated
    new_token = token_of(r)
    assert new_token != "a"
    with app.app_context():
        assert db.session.get(Document, doc_id).reminder_level == 0
    smtp_server.start()
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={
        "token": new_token, "template_key": "soft", "recipients": ["helene@example.fr"], "subject": "Relance",
        "body": "Bonjour"}, headers=HX))
    assert "E-mail envoyé" in r and len(smtp_server.sink.messages) == 1


def test_client_without_email_is_told_and_offered_channels(app, logged_in, company, smtp_server):
    with app.app_context():
        company_obj = db.session.get(Company, company)
        client = make_client(company_obj, name="Jeanne Martin", email="")
        contact_model = __import__("domain.core.models", fromlist=["Contact"]).Contact
        client.contacts.append(contact_model(company_id=company, name="Jeanne", phone="06 12 34 56 78"))
        doc = make_invoice(company_obj, client, None)
        document_files.issue_with_pdf(doc, None, today=today_in("Europe/Paris") - timedelta(days=45))
        db.session.commit()
        doc_id = doc.id
    page = page_text(logged_in.get(f"/invoices/{doc_id}"))
    assert "Ce client n'a pas d'adresse e-mail" in page
    assert f"/reminders/documents/{doc_id}/channels" in page  # the links load with the client link
    links = page_text(logged_in.get(f"/reminders/documents/{doc_id}/channels", headers=HX))
    # links that leave the app, not forms: the CSP's form-action 'self' blocks a redirecting form
    assert 'href="https://wa.me/33612345678?text=Bonjour' in links and 'href="sms:0612345678?&body=' in links
    assert "<form" not in links
    with app.app_context():
        assert db.session.scalars(select(Event).where(Event.kind == "shared")).all() == []  # shown is not shared
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/share/whatsapp", data={"phone": "06 12 34 56 78"},
                                 headers=HX))
    assert "WhatsApp ouvert avec le message" in r
    logged_in.post(f"/reminders/documents/{doc_id}/share/sms", data={"phone": "06 12 34 56 78"}, headers=HX)
    shared = logged_in.post(f"/reminders/documents/{doc_id}/share/whatsapp", data={"phone": "0700000000"})
    assert shared.status_code == 400
    with app.app_context():
        channels = [e.data["channel"] for e in db.session.scalars(select(Event).where(Event.kind == "shared"))]
        assert channels == ["whatsapp", "sms"]
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "x"}, headers=HX))
    assert "Choisissez au moins un destinataire" in r


def test_pause_resume_and_tasks(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company)
    today = today_in("Europe/Paris")
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/pause",
                                 data={"until": (today - timedelta(days=1)).isoformat()}, headers=HX))
    assert "aujourd'hui ou plus tard" in r
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/pause",
                                 data={"until": (today + timedelta(days=10)).isoformat(), "reason": "Promesse"},
                                 headers=HX))
    assert "Suspendu jusqu'au" in r and "Relances suspendues" in r
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/resume", headers=HX))
    assert "Relances automatiques reprises." in r
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/tasks", data={"due_on": today.isoformat(), "note": ""},
                                 headers=HX))
    assert "Décrivez la tâche." in r
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/tasks",
                                 data={"due_on": today.isoformat(), "note": "Appeler Mme Dupont"}, headers=HX))
    assert "Appeler Mme Dupont" in r
    with app.app_context():
        task_id = db.session.scalar(select(Task.id))
    r = page_text(logged_in.post(f"/reminders/tasks/{task_id}/done", data={"from": "panel"}, headers=HX))
    assert "Tâche faite" in r
    with app.app_context():
        assert db.session.get(Task, task_id).done_at is not None


def test_index_lists_planned_reminders(app, logged_in, company):
    doc_id = overdue_invoice(app, company, days_late=7)
    page = page_text(logged_in.get("/reminders/"))
    assert "Relances prévues aujourd'hui" in page and "Relance douce (R1)" in page
    with app.app_context():
        number = db.session.get(Document, doc_id).number
    assert number in page


def test_templates_page_refuses_unsafe_and_unknown(app, logged_in, company):
    assert "Sauf erreur de notre part" in page_text(logged_in.get("/reminders/templates/soft"))
    r = page_text(logged_in.post("/reminders/templates/soft",
                                 data={"subject": "Relance {{ numero }}", "body": "{{ ''.__class__ }}"}))
    assert "expression non autorisée" in r
    r = page_text(logged_in.post("/reminders/templates/soft", data={"subject": "Relance {{ numéro }}", "body": "x"}))
    assert "erreur de syntaxe" in r or "variable inconnue" in r
    r = page_text(logged_in.post("/reminders/templates/soft", data={"subject": "Relance {{ facture }}", "body": "x"}))
    assert "variable inconnue : {{ facture }}" in r
    r = logged_in.post("/reminders/templates/soft",
                       data={"subject": "Relance {{ numero }}", "body": "Bonjour {{ client }}"})
    assert r.status_code == 303
    assert "personnalisé" in page_text(logged_in.get("/reminders/templates/soft"))
    logged_in.post("/reminders/templates/soft/reset")
    with app.app_context():
        assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0
    assert logged_in.get("/reminders/templates/nope").status_code == 404


def test_plan_settings(app, logged_in, company):
    page = page_text(logged_in.get("/reminders/settings"))
    assert 'value="-3"' in page and 'value="30"' in page
    base = {"reminders_enabled": "y", "confirm_formal_notice": "", "formal_notice_deadline_days": "8",
            "auto_send_hour": "9", "open_tracking_enabled": "y"}
    bad = {**base, "offset_0": "10", "template_0": "firm", "offset_1": "20", "template_1": "soft"}
    assert "Le ton ne redescend pas" in page_text(logged_in.post("/reminders/settings", data=bad))
    bad = {**base, "offset_0": "dix", "template_0": "soft"}
    assert "nombre de jours entier" in page_text(logged_in.post("/reminders/settings", data=bad))
    good = {**base, "offset_0": "-2", "template_0": "pre_due", "offset_1": "5", "template_1": "soft",
            "offset_2": "45", "template_2": "formal_notice"}
    assert logged_in.post("/reminders/settings", data=good).status_code == 303
    with app.app_context():
        plan = db.session.scalar(select(ReminderPlan))
        expected = [(-2, "pre_due"), (5, "soft"), (45, "formal_notice")]
        assert [(s["offset_days"], s["template"]) for s in plan.steps] == expected
        assert plan.confirm_formal_notice is False


def test_rates_page(app, logged_in, company):
    page = page_text(logged_in.get("/reminders/rates"))
    assert "12,15" in page  # 2026-H1: ECB 2,15 % + 10 points
    r = page_text(logged_in.post("/reminders/rates", data={"kind": "ecb", "start": "2026-08-01", "rate": "2"}))
    assert "1er janvier ou du 1er juillet" in r
    r = logged_in.post("/reminders/rates", data={"kind": "ecb", "start": "2026-07-01", "rate": "2", "source": "test"})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(RateEntry.rate_bp).where(RateEntry.company_id == company)) == 200


def test_formal_notice_letter_and_penalty_invoice(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company, kind="professionnel", email="compta@batir.example.fr", days_late=40)
    page = page_text(logged_in.get(f"/invoices/{doc_id}"))
    assert "indemnité forfaitaire" in page and "40,00" in page
    for i in range(2):  # R1, then R2 at once: "envoyer quand même" (force) past the plan's gap
        logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": f"k{i}", "force": "1"},
                       headers=HX)
    # the formal notice never goes in one tap: its letter is shown to confirm first
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "k2"}, headers=HX))
    assert 'id="letter-preview"' in r and "Confirmer et envoyer la mise en demeure" in r
    assert len(smtp_server.sink.messages) == 2
    logged_in.post(f"/reminders/documents/{doc_id}/send", data={"quick": "1", "token": "k3", "force": "1",
                                                                  "confirmed": "1"}, headers=HX)
    assert smtp_server.sink.messages[-1]["Subject"].startswith("Mise en demeure")
    preview = logged_in.get(f"/reminders/documents/{doc_id}/formal-notice-preview.pdf")
    assert preview.status_code == 200 and preview.data[:5] == b"%PDF-"
    letter = logged_in.get(f"/reminders/documents/{doc_id}/formal-notice.pdf")
    assert letter.status_code == 200 and letter.data[:5] == b"%PDF-"
    r = logged_in.post(f"/reminders/documents/{doc_id}/penalty-invoice")
    assert r.status_code == 303
    with app.app_context():
        draft = db.session.scalar(select(Document).where(Document.subject.like("Pénalités%")))
        assert draft.number is None and draft.lines[-1].unit_price_cents == 4000
        assert all(line.vat_rate_bp == 0 for line in draft.lines)
        original = db.session.get(Document, doc_id)
        assert original.net_cents == 100000  # the issued invoice never changes


def test_panel_and_actions_are_company_scoped(app, logged_in, company):
    with app.app_context():
        other = make_company("Autre", siret="55210055400013")
        client = make_client(other, name="X", email="x@example.fr")
        doc = make_invoice(other, client, None)
        docs.issue(doc, None, today=date(2026, 1, 5))
        db.session.commit()
        other_id = doc.id
    for method, url in [("GET", f"/reminders/documents/{other_id}/panel"),
                        ("POST", f"/reminders/documents/{other_id}/send"),
                        ("GET", f"/reminders/documents/{other_id}/compose")]:
        assert logged_in.open(url, method=method, headers=HX).status_code == 404


def test_extra_plan_for_a_client_and_an_invoice(app, logged_in, company, smtp_server):
    doc_id = overdue_invoice(app, company, days_late=5)
    r = page_text(logged_in.post("/reminders/plans/new", data={"name": "", "offset_0": "3", "template_0": "soft"}))
    assert "Donnez un nom au plan" in r
    r = logged_in.post("/reminders/plans/new", data={"name": "Clients réguliers", "offset_0": "3", "template_0": "soft",
                                                     "offset_1": "40", "template_1": "firm"})
    assert r.status_code == 303
    with app.app_context():
        plan = db.session.scalar(select(ReminderPlan).where(ReminderPlan.name == "Clients réguliers"))
        client_id = db.session.get(Document, doc_id).client_id
        plan_id = plan.id
    assert "Clients réguliers" in page_text(logged_in.get("/reminders/settings"))
    # the client follows the gentler plan: J+3 soft is due (5 days late), the default J+7 would not be
    logged_in.post(f"/reminders/clients/{client_id}/settings", data={"plan": str(plan_id)})
    assert "Relance douce (R1)" in page_text(logged_in.get("/reminders/"))
    # the client switched off: nothing planned
    logged_in.post(f"/reminders/clients/{client_id}/settings", data={"plan": "off"})
    assert "Rien de prévu aujourd'hui" in page_text(logged_in.get("/reminders/"))
    # back to the default for the client, and a plan for this invoice only
    logged_in.post(f"/reminders/clients/{client_id}/settings", data={"plan": ""})
    r = page_text(logged_in.post(f"/reminders/documents/{doc_id}/plan", data={"plan": str(plan_id)}, headers=HX))
    assert "Plan de relance de la facture enregistré." in r and "Plan de relance changé" in r
    with app.app_context():
        assert db.session.get(Document, doc_id).reminder_plan_id == plan_id
