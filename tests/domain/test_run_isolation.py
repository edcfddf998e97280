"""Issue 12, finding 1: one tenant's template cannot stop the daily run for every company after it.

Templates are bounded and compiled when saved; a template stored before those bounds (put
straight into the database here) fails that company's invoice only: the company after it
gets its reminders, the run reports the failure and exits non-zero.
"""

from datetime import date

import pytest
from sqlalchemy import select

from domain.billing import printing
from domain.billing.documents import LineInput
from domain.billing.models import Document
from domain.collections import messages
from domain.collections.models import MessageTemplate
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice, make_user

NESTED_IFS = "{% if professionnel %}" * 120 + "{{ client }}" + "{% endif %}" * 120
MANY_ORS = "{% if " + " or ".join(["professionnel"] * 300) + " %}{{ client }}{% endif %}"


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


@pytest.mark.parametrize("body", [NESTED_IFS, MANY_ORS], ids=["120 nested ifs", "300 ors"])
def test_too_complex_templates_are_refused_when_saved(app, body):
    with app.app_context():
        company = make_company()
        with pytest.raises(messages.TemplateError, match="trop complexe"):
            messages.save(company.id, "soft", "Relance {{ numero }}", body)
        assert db.session.scalar(select(MessageTemplate.id)) is None


def test_reasonable_templates_still_save_and_render(app):
    with app.app_context():
        company = make_company()
        body = "Bonjour {{ client }},{% if professionnel and not delai_jours %} pénalités : {{ penalites }}{% endif %}"
        messages.save(company.id, "soft", "Relance {{ numero }}", body)
        assert messages.render(body, {"client": "Bâtir SAS", "professionnel": True, "penalites": "12 €"}) == (
            "Bonjour Bâtir SAS, pénalités : 12 €")


def _late_invoice(company, name, email):
    user = make_user(company, email=f"owner-{company.id}@example.fr")
    client = make_client(company, name=name, email=email)
    doc = make_invoice(company, client, user, lines=[LineInput(label="Travaux", unit_price_cents=50000, vat_rate_bp=0)])
    printing.issue_with_pdf(doc, user, today=date(2026, 9, 1))  # due 1 Oct 2026
    return doc


def test_a_poisoned_company_fails_alone_and_the_run_says_so(app, smtp_server):
    with app.app_context():
        first = make_company(name="Plomberie Empoisonnée")
        poisoned_doc = _late_invoice(first, "Client Un", "un@example.fr")
        second = make_company(name="Électricité Saine")
        healthy_doc = _late_invoice(second, "Client Deux", "deux@example.fr")
        # Stored as it could have been before the bounds existed (or by hand in the database).
        db.session.add(MessageTemplate(company_id=first.id, key="soft", subject="Relance {{ numero }}",
                                       body=NESTED_IFS))
        db.session.commit()
        assert first.id < second.id  # the run goes in id order: the healthy company comes after
        ids = poisoned_doc.id, healthy_doc.id

    result = app.test_cli_runner().invoke(args=["reminders", "run", "--today", "2026-10-08"])
    assert result.exit_code == 1
    assert "Plomberie Empoisonnée" in result.output and "Message impossible à préparer" in result.output
    assert [m["To"] for m in smtp_server.sink.messages] == ["deux@example.fr"]
    with app.app_context():
        poisoned, healthy = (db.session.get(Document, i) for i in ids)
        assert healthy.reminder_level == 1 and healthy.reminder_step_reached >= 0
        # The failed step is not consumed: tomorrow's run tries again once the template is fixed.
        assert poisoned.reminder_level == 0 and poisoned.reminder_step_reached == -1


def test_an_unexpected_error_in_one_company_does_not_stop_the_next(app, smtp_server, monkeypatch):
    from domain.collections import autopilot

    with app.app_context():
        first = make_company(name="Entreprise Fragile")
        _late_invoice(first, "Client Un", "un@example.fr")
        second = make_company(name="Entreprise Suivante")
        _late_invoice(second, "Client Deux", "deux@example.fr")
        db.session.commit()
        fragile_id = first.id

    real_load_tables = autopilot.load_tables

    def load_tables(day, company_id):
        if company_id == fragile_id:
            raise RuntimeError("base indisponible pour cette entreprise")
        return real_load_tables(day, company_id)

    monkeypatch.setattr(autopilot, "load_tables", load_tables)
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--today", "2026-10-08"])
    assert result.exit_code == 1
    assert "1 entreprise(s) en erreur" in result.output and "Entreprise Fragile" in result.output
    assert [m["To"] for m in smtp_server.sink.messages] == ["deux@example.fr"]
