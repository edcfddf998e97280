"""Panels that several pages embed: the collections panel of a document (send, remind,
pause, tasks) with its forms, and the document's next action (the bar at the top of its page:
what is left to pay and the one action that fits its state). The reminders blueprint answers
its actions with them; the quote and invoice pages include them through the
``collections_panel`` and ``next_action`` template globals."""

from __future__ import annotations

from datetime import timedelta

from flask import make_response, render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from domain.billing import einvoicing
from domain.billing import status as doc_status
from domain.billing.models import Document
from domain.collections import letters, messages, reminders
from domain.collections.penalties import invoice_penalties
from domain.core import idempotency
from domain.core.models import Event
from domain.portal import signing
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


def pace_plan(doc: Document):
    """The plan whose gaps pace manual reminders: the invoice's, else the company default (the
    standard one, unsaved, for a company that has none yet: a page that reads writes nothing)."""
    plans = reminders.company_plans(doc.company_id)
    default = next((p for p in plans if p.is_default), None) or reminders.standard_plan(doc.company_id)
    return reminders.plan_among(doc, {p.id: p for p in plans}, default) or default


def panel_context(doc: Document, *, send_form: SendForm | None = None, message: tuple[str, str] | None = None,
                  payments=None, credit_notes=None, hold: reminders.Hold | None = None) -> dict:
    """Everything the collections panel shows for one document."""
    today = company_today()
    plans = reminders.company_plans(doc.company_id) if doc.is_invoice else []
    plan = None
    if doc.is_invoice:  # plan_for, with the plans the panel lists anyway (one query, not two)
        default = next((p for p in plans if p.is_default), None) or reminders.standard_plan(doc.company_id)
        plan = reminders.plan_among(doc, {p.id: p for p in plans}, default)
    step = reminders.due_step(doc, plan, today) if plan else None
    letter_preview = None
    if send_form is not None and send_form.template_key.data == "formal_notice":
        letter_preview = letters.formal_notice_view(doc, today=today, signature_name=current_user.name)
    return {
        "doc": doc, "today": today,
        "penalties": invoice_penalties(doc, today, payments=payments, credit_notes=credit_notes)
        if doc.is_invoice else None,
        "next_level": reminders.next_level(doc) if doc.is_invoice else None,
        "cannot_remind": reminders.can_remind(doc) if doc.is_invoice else None,
        "level_labels": reminders.LEVEL_LABELS, "template_labels": messages.TEMPLATE_KEYS,
        "plan": plan, "due_step": step, "upcoming": reminders.upcoming_step(doc, plan, today),
        "sends": reminders.last_sends(doc.id, limit=8),
        "tasks": reminders.open_tasks(doc.company_id, document_id=doc.id),
        "pause_form": PauseForm(formdata=None, until=today + timedelta(days=7)),
        "task_form": TaskForm(formdata=None, due_on=today + timedelta(days=1)),
        "send_form": send_form, "message": message, "emails": doc.client.emails, "hold": hold,
        "letter_preview": letter_preview,
        "phones": [c.phone for c in doc.client.contacts if c.phone],
        "letter": letters.formal_notice_letter(doc) if doc.is_invoice else None,
        "plans": plans,
        "share_channels": reminders.SHARE_CHANNELS,
    }


# --- the next action, at the top of a document's page ---------------------------------

ISSUE, SEND, SHARE, REMIND, PAY, ACCEPT, BILL = "issue", "send", "share", "remind", "pay", "accept", "bill"


def next_action_context(doc: Document, *, message: tuple[str, str] | None = None,
                        hold: reminders.Hold | None = None, issue_token: str = "") -> dict:
    """What the bar at the top of a document's page shows: the balance, the PDF, and the one
    action that fits the document's state (issue, send, remind, record a payment, accept)."""
    today = company_today()
    st = doc_status.status_of(doc, today)
    emails = doc.client.emails
    action, next_level, pace = None, None, None
    if not doc.is_issued:
        action = ISSUE
    elif doc.is_invoice and doc.remaining_cents > 0:
        can = reminders.can_remind(doc) is None
        if st == doc_status.LATE and can and emails:
            next_level = reminders.next_level(doc)
            # (the plan's gap only matters after a first reminder: no query for it before)
            plan = pace_plan(doc) if doc.last_reminder_at is not None else None
            pace = reminders.manual_hold(doc, reminders.LEVEL_TEMPLATES[next_level], plan, today)
            action = PAY if pace is not None else REMIND
        elif st == doc_status.LATE and can:
            action = SHARE
        elif doc.sent_at is None:
            action = SEND if emails else SHARE
        else:
            action = PAY
    elif doc.is_quote and st in (doc_status.PENDING, doc_status.EXPIRED):
        action = ACCEPT if doc.sent_at is not None or not emails else SEND
    elif doc.is_quote and st == doc_status.ACCEPTED:
        action = BILL
    signed = doc.is_quote and doc.accepted_at is not None and signing.signed_copy(doc) is not None
    # An e-invoice that lacks a mandatory field cannot be issued: the actions card says what to fill in.
    blocked = action == ISSUE and bool(einvoicing.missing_for(doc))
    return {"doc": doc, "status": st, "today": today, "action": action, "next_level": next_level, "pace": pace,
            "signed": signed, "einvoice_blocked": blocked,
            "hold": hold, "message": message, "level_labels": reminders.LEVEL_LABELS,
            "issue_token": issue_token or idempotency.new_token()}


def next_action_kind(doc: Document) -> str | None:
    """The action the next-action bar offers (the actions card does not repeat it)."""
    return next_action_context(doc, issue_token="-")["action"]


def next_action(doc: Document, *, issue_token: str = ""):
    """Render the next-action bar inside a document page ({{ next_action(doc) }})."""
    return Markup(render_template("documents/_next_action.html", **next_action_context(doc, issue_token=issue_token)))


def _oob(html: str, section_id: str) -> str:
    marker = f'id="{section_id}"'
    return html.replace(marker, f'{marker} hx-swap-oob="true"', 1)


def panel_response(doc: Document, *, status: int = 200, with_history: bool = False, **kw):
    """The panel fragment, plus the history timeline swapped out-of-band when it changed.

    A request from the next-action bar (form field from=next) is answered next to what was
    tapped: the bar with the message, the panel and the history out-of-band. Without htmx
    (no JavaScript), the same panel comes inside a full page."""
    if not is_fragment_request():
        return make_response(render_template("reminders/compose_page.html", **panel_context(doc, **kw)), status)
    from_bar = request.form.get("from") == "next"
    message, hold = kw.get("message"), kw.get("hold")
    # From the bar, the message and the hold show in the bar (unless a preview opens in the panel).
    keep_in_panel = not from_bar or kw.get("send_form") is not None
    panel_kw = {k: v for k, v in kw.items() if keep_in_panel or k not in ("message", "hold")}
    html = render_template("reminders/_panel.html", **panel_context(doc, **panel_kw))
    if from_bar:
        if kw.get("send_form") is not None and not (message and message[0] == "error"):
            # a preview to read (the formal notice's letter) opened below
            message = ("info", "Relisez le message et la lettre dans « Relances et envois », puis confirmez.")
            hold = None
        elif kw.get("send_form") is not None:
            hold = None  # a failed send: the error here, the message kept below to try again
        bar = render_template("documents/_next_action.html", **next_action_context(doc, message=message, hold=hold))
        html = bar + _oob(html, "collections-panel")
    else:
        html += _oob(render_template("documents/_next_action.html", **next_action_context(doc)), "next-action")
    if with_history:
        doc_events = db.session.scalars(select(Event).where(Event.document_id == doc.id)
                                        .order_by(Event.at, Event.id)).all()
        history = render_template("documents/_history.html", doc=doc, events=doc_events)
        html += _oob(history, "doc-history")
    return make_response(html, status)
