"""Panels that several pages embed: the collections panel of a document (send, remind,
pause, tasks) with its forms. The reminders blueprint answers its actions with it; the quote
and invoice pages include it through the ``collections_panel`` template global."""

from __future__ import annotations

from datetime import timedelta

from flask import make_response, render_template
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from domain.billing.models import Document
from domain.collections import letters, messages, reminders
from domain.collections.penalties import invoice_penalties
from domain.core.models import Event
from extensions import db
from web.forms import FrenchForm
from web.http import is_fragment_request
from web.tenancy import company_today


class SendForm(FrenchForm):
    token = HiddenField()
    template_key = HiddenField()
    extra_recipient = StringField("Autre destinataire", validators=[Length(max=254)])
    add_recipient = BooleanField("C'est une adresse du client : l'ajouter à ses contacts")
    copy_me = BooleanField("M'envoyer une copie")
    subject = StringField("Objet", validators=[DataRequired(message="L'objet ne peut pas être vide."), Length(max=300)])
    body = TextAreaField("Message", validators=[DataRequired(message="Le message ne peut pas être vide."),
                                                Length(max=20000)])


class PauseForm(FrenchForm):
    until = DateField("Suspendre jusqu'au", validators=[InputRequired(message="Choisissez une date.")])
    reason = StringField("Motif", validators=[Length(max=300)],
                         description="Par exemple : promesse de paiement au téléphone.")


class TaskForm(FrenchForm):
    due_on = DateField("Pour le", validators=[InputRequired(message="Choisissez une date.")])
    note = StringField("À faire", validators=[DataRequired(message="Décrivez la tâche."), Length(max=2000)])


def collections_panel(doc: Document, *, payments=None, credit_notes=None):
    """Render the panel inside a document page ({{ collections_panel(doc) }}); the invoice page
    passes the payments and credit notes it has loaded, for the penalties (two queries less)."""
    return Markup(render_template("reminders/_panel.html",
                                  **panel_context(doc, payments=payments, credit_notes=credit_notes)))


def panel_context(doc: Document, *, send_form: SendForm | None = None, message: tuple[str, str] | None = None,
                  payments=None, credit_notes=None) -> dict:
    """Everything the collections panel shows for one document."""
    today = company_today()
    plans = reminders.company_plans(doc.company_id) if doc.is_invoice else []
    plan = None
    if doc.is_invoice:  # plan_for, with the plans the panel lists anyway (one query, not two)
        default = next((p for p in plans if p.is_default), None) or reminders.default_plan(doc.company)
        plan = reminders.plan_among(doc, {p.id: p for p in plans}, default)
    step = reminders.due_step(doc, plan, today) if plan else None
    upcoming = None
    if plan and doc.due_date and doc.remaining_cents > 0:
        for index, s in enumerate(plan.steps):
            day = doc.due_date + timedelta(days=int(s["offset_days"]))
            if index > doc.reminder_step_reached and day >= today:
                upcoming = (day, s["template"])
                break
    return {
        "doc": doc, "today": today,
        "penalties": invoice_penalties(doc, today, payments=payments, credit_notes=credit_notes)
        if doc.is_invoice else None,
        "next_level": reminders.next_level(doc) if doc.is_invoice else None,
        "cannot_remind": reminders.can_remind(doc) if doc.is_invoice else None,
        "level_labels": reminders.LEVEL_LABELS, "template_labels": messages.TEMPLATE_KEYS,
        "plan": plan, "due_step": step, "upcoming": upcoming,
        "sends": reminders.last_sends(doc.id, limit=8),
        "tasks": reminders.open_tasks(doc.company_id, document_id=doc.id),
        "pause_form": PauseForm(formdata=None, until=today + timedelta(days=7)),
        "task_form": TaskForm(formdata=None, due_on=today + timedelta(days=1)),
        "send_form": send_form, "message": message, "emails": doc.client.emails,
        "phones": [c.phone for c in doc.client.contacts if c.phone],
        "letter": letters.formal_notice_letter(doc) if doc.is_invoice else None,
        "plans": plans,
        "share_channels": reminders.SHARE_CHANNELS,
    }


def panel_response(doc: Document, *, status: int = 200, with_history: bool = False, **kw):
    """The panel fragment, plus the history timeline swapped out-of-band when it changed.

    Without htmx (no JavaScript), the same panel comes inside a full page."""
    if not is_fragment_request():
        return make_response(render_template("reminders/compose_page.html", **panel_context(doc, **kw)), status)
    html = render_template("reminders/_panel.html", **panel_context(doc, **kw))
    if with_history:
        doc_events = db.session.scalars(select(Event).where(Event.document_id == doc.id)
                                        .order_by(Event.at, Event.id)).all()
        history = render_template("documents/_history.html", doc=doc, events=doc_events)
        html += history.replace('<section id="doc-history"', '<section id="doc-history" hx-swap-oob="true"', 1)
    return make_response(html, status)
