"""Sending and collections: send a document or the next reminder in one tap (preview and edit
first), other channels, pause, tasks, the plan of the day, templates, plan and rates."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.reminders.forms import TEMPLATE_CHOICES, RateForm, SettingsForm, TemplateForm
from domain.billing.models import Document, RateEntry
from domain.billing.money import MoneyError, parse_percent
from domain.billing.terms import TABLE_KINDS, half_year_start, load_tables
from domain.collections import letters, messages, reminders, sending
from domain.collections.models import Send, Task
from domain.collections.reminders import ReminderError
from domain.core import idempotency
from domain.core.clock import today_in
from domain.core.models import Client
from extensions import db
from web.documents import stored_file_response
from web.http import is_fragment_request, mailer, redirect_see_other
from web.limits import render_slot
from web.panels import PauseForm, SendForm, TaskForm, pace_plan, panel_response
from web.tenancy import get_owned_or_404, parse_id
from web.urls import client_link, document_url, tracking_pixel_html

bp = Blueprint("reminders", __name__, url_prefix="/reminders")


@bp.before_request
@login_required
def _require_login():
    """Collections are for logged-in users only."""


def _today() -> date:
    return today_in(current_user.company.timezone)


def _document(document_id: int) -> Document:
    doc = get_owned_or_404(Document, document_id)
    if doc.is_credit_note:
        abort(404)
    return doc


# --- the panel on a document page -----------------------------------------------------


@bp.get("/documents/<int:document_id>/panel")
def panel(document_id: int):
    """The collections panel (fragment) of an invoice or quote."""
    doc = _document(document_id)
    if not is_fragment_request():
        return redirect(document_url(doc))
    return panel_response(doc)


@bp.get("/documents/<int:document_id>/compose")
def compose(document_id: int):
    """Prepare an e-mail (the document itself, or the next reminder): a preview to edit before sending."""
    doc = _document(document_id)
    what = request.args.get("what", "document")
    try:
        draft = _draft(doc, what)
    except ReminderError as exc:
        return panel_response(doc, message=("error", str(exc)))
    form = SendForm(formdata=None, subject=draft.subject, body=draft.body, template_key=draft.template_key,
                    token=idempotency.new_token(), copy_me=doc.company.copy_company_on_sends)
    return panel_response(doc, send_form=form)


def _draft(doc: Document, what: str) -> reminders.Draft:
    if not doc.is_issued:
        raise ReminderError("Émettez d'abord le document : un brouillon ne s'envoie pas.")
    link = client_link(doc)
    if what == "reminder":
        return reminders.compose_reminder(doc, _today(), link=link, sender_name=current_user.name)
    if what == "formal_notice":
        return reminders.compose(doc, "formal_notice", _today(), link=link, sender_name=current_user.name)
    return reminders.compose(doc, "quote_send" if doc.is_quote else "invoice_send", _today(), link=link,
                             sender_name=current_user.name)


@bp.post("/documents/<int:document_id>/send")
def send(document_id: int):
    """Send the message with the PDFs attached: in one tap ("quick": the next reminder as the
    template says) or after preview and edits. The form token makes a double tap send once;
    the pace of reminders (reminders.manual_hold) asks for an explicit "envoyer quand même",
    and a formal notice is always sent from the preview that shows its letter."""
    doc = _document(document_id)
    if sending.sent_with_key(doc.company_id, request.form.get("token")) is not None:
        return _already_sent(doc)
    form = SendForm()
    quick = bool(request.form.get("quick"))
    if quick:
        try:
            draft = _draft(doc, "reminder")
        except ReminderError as exc:
            return panel_response(doc, message=("error", str(exc)))
        key, subject, body, recipients = draft.template_key, draft.subject, draft.body, draft.recipients
        copy_me, error = doc.company.copy_company_on_sends, None
    else:
        key, subject, body, recipients, copy_me, error = _edited_message(form)
    purpose = "document" if key in ("invoice_send", "quote_send") else "reminder"
    if error is None and purpose == "reminder" and key != "pre_due" and (reason := reminders.can_remind(doc)):
        error = reason
    if error is None and purpose == "reminder":
        wait = _pace(doc, key, quick=quick, subject=subject, body=body, copy_me=copy_me)
        if wait is not None:
            return wait
    if error is None:
        try:
            recipients = sending.recipients_for(recipients, doc.client, doc.company,
                                                add_new=bool(form.add_recipient.data))
        except ReminderError as exc:
            error = str(exc)
    if error:
        return panel_response(doc, send_form=_fresh_form(key, subject, body, copy_me), message=("error", error))
    return _deliver(doc, key, purpose, subject, body, recipients, copy_me)


def _already_sent(doc: Document):
    """The same tap again (its answer was lost, or a double tap): what it did stands, and the
    answer is the one the first tap would have had (a page without htmx: back to the document)."""
    message = ("info", "Ce message est déjà parti (double envoi évité).")
    if not is_fragment_request():
        flash(message[1], message[0])
        return redirect(document_url(doc), code=303)
    return panel_response(doc, message=message)


def _edited_message(form: SendForm) -> tuple[str, str, str, list[str], bool, str | None]:
    """(template key, subject, body, recipients, copy me, error) of a previewed and edited message."""
    key = form.template_key.data or ""
    if key not in messages.TEMPLATE_KEYS:
        abort(400)
    recipients = request.form.getlist("recipients")
    if form.extra_recipient.data:
        recipients.append(form.extra_recipient.data)
    error = None
    if not form.validate_on_submit():
        error = "Vérifiez le message : " + " ".join(e for errs in form.errors.values() for e in errs)
    return key, form.subject.data, form.body.data, recipients, form.copy_me.data, error


def _pace(doc: Document, key: str, *, quick: bool, subject: str, body: str, copy_me: bool):
    """None when this reminder may go now; else the answer that asks to confirm it: the letter
    of a formal notice to read, or "envoyer quand même" when it comes too soon or skips a level."""
    hold = reminders.manual_hold(doc, key, pace_plan(doc), _today())
    forced = request.form.get("force") == "1"
    if key == "formal_notice" and request.form.get("confirmed") != "1":
        # The preview carries the hold: confirming after reading it is the explicit "quand même".
        message = ("warning", hold.message + " Confirmer l'enverra quand même.") if hold and not forced else (
            "info", "Relisez la mise en demeure et sa lettre ci-dessous, puis confirmez l'envoi.")
        return panel_response(doc, send_form=_fresh_form(key, subject, body, copy_me), hold=hold, message=message)
    if hold is None or forced:
        return None
    message = ("warning", hold.message + " Rien n'est parti.")
    if quick:
        return panel_response(doc, hold=hold, message=message)
    return panel_response(doc, send_form=_fresh_form(key, subject, body, copy_me), hold=hold, message=message)


def _deliver(doc: Document, key: str, purpose: str, subject: str, body: str, recipients: list[str], copy_me: bool):
    """Send now (claim, SMTP, complete: see domain/collections/sending.py) and answer with the panel."""
    cc = [doc.company.email] if copy_me and doc.company.email else []
    req = sending.SendRequest(document=doc, purpose=purpose, template_key=key, recipients=recipients, cc=cc,
                              subject=subject, body=body, idempotency_key=request.form.get("token") or None)
    today = _today()
    outcome = sending.send_all(
        [req], current_user._get_current_object(), deliver=mailer().deliver,
        attachments_for=lambda d, k: letters.attachments_for(d, k, today=today, signature_name=current_user.name),
        html_extra_for=lambda s: tracking_pixel_html(doc.company, s),
        daily_quota=current_app.config["MAIL_DAILY_QUOTA"],
    )[0]
    doc = db.session.get_one(Document, doc.id)
    if outcome.duplicate:
        message = ("info", "Ce message est déjà parti (double envoi évité).")
    elif outcome.ok:
        message = ("success", "E-mail envoyé à " + ", ".join(recipients) + "."
                   + (f" {outcome.message}" if outcome.message else ""))
    else:
        return panel_response(doc, send_form=_fresh_form(key, subject, body, copy_me), with_history=True,
                              message=("error", f"{outcome.message} Rien n'a changé : vous pouvez réessayer."))
    if not is_fragment_request():
        flash(message[1], message[0])
        return redirect(document_url(doc), code=303)
    return panel_response(doc, with_history=True, message=message)


def _fresh_form(key: str, subject: str, body: str, copy_me: bool) -> SendForm:
    """The compose form again (after an error), with what the user wrote and a new token."""
    return SendForm(formdata=None, subject=subject, body=body, template_key=key, token=idempotency.new_token(),
                    copy_me=copy_me)


@bp.get("/documents/<int:document_id>/channels")
def channels(document_id: int):
    """Links that open WhatsApp, the SMS app or Telegram with the message prefilled, and the
    client link to copy (fragment). A link that leaves the app is a link: a form redirecting
    to https://wa.me/ is blocked by the CSP (form-action 'self') and did nothing."""
    doc = _document(document_id)
    if not doc.is_issued:
        abort(404)
    link = client_link(doc)  # created on first use (GET: committed in its own transaction)
    text = reminders.short_message(doc, _today(), link=link)
    phones = [c.phone for c in doc.client.contacts if c.phone][:2]
    items = []
    for phone in phones:
        for channel in ("whatsapp", "sms"):
            items.append({"channel": channel, "phone": phone, "label": f"{reminders.SHARE_CHANNELS[channel]} {phone}",
                          "href": reminders.share_url(channel, phone=phone, text=text, link=link),
                          "new_tab": channel != "sms"})
    items.append({"channel": "telegram", "phone": "", "label": "Telegram", "new_tab": True,
                  "href": reminders.share_url("telegram", phone="", text=text, link=link)})
    return render_template("reminders/_channels.html", doc=doc, items=items, link=link, has_phone=bool(phones))


@bp.post("/documents/<int:document_id>/share/<channel>")
def share(document_id: int, channel: str):
    """Record that a message was handed to WhatsApp, the SMS app or Telegram, or the client
    link copied: posted in the background by app.js when the link is tapped or the copy done."""
    doc = _document(document_id)
    if channel not in reminders.SHARE_CHANNELS or not doc.is_issued:
        abort(404)
    phone = request.form.get("phone", "")
    if phone and phone not in [c.phone for c in doc.client.contacts]:
        abort(400)
    text = reminders.short_message(doc, _today(), link=client_link(doc))
    sending.record_share(doc, current_user._get_current_object(), channel=channel, template_key="share", body=text)
    db.session.commit()
    if channel == "link":
        message = "Lien copié : collez-le dans votre message au client."
    else:
        message = f"{reminders.SHARE_CHANNELS[channel]} ouvert avec le message : partage noté dans l'historique."
    return panel_response(doc, with_history=True, message=("success", message))


@bp.post("/documents/<int:document_id>/pause")
def pause(document_id: int):
    """Pause automatic reminders until a date (promise to pay)."""
    doc = _document(document_id)
    form = PauseForm()
    if form.validate_on_submit():
        if form.until.data < _today():
            form.until.errors.append("La date doit être aujourd'hui ou plus tard.")
        else:
            reminders.pause(doc, current_user._get_current_object(), form.until.data, reason=form.reason.data or "")
            db.session.commit()
            return panel_response(doc, with_history=True, message=("success", "Relances automatiques suspendues."))
    errors = " ".join(e for errs in form.errors.values() for e in errs)
    return panel_response(doc, message=("error", errors or "Date invalide."))


@bp.post("/documents/<int:document_id>/resume")
def resume(document_id: int):
    """Resume automatic reminders now."""
    doc = _document(document_id)
    reminders.pause(doc, current_user._get_current_object(), None)
    db.session.commit()
    return panel_response(doc, with_history=True, message=("success", "Relances automatiques reprises."))


@bp.post("/documents/<int:document_id>/automatic")
def automatic(document_id: int):
    """Switch the automatic plan on or off for this invoice."""
    doc = _document(document_id)
    reminders.set_enabled(doc, current_user._get_current_object(), request.form.get("enabled") == "1")
    db.session.commit()
    return panel_response(doc, with_history=True)


@bp.post("/documents/<int:document_id>/tasks")
def add_task(document_id: int):
    """A follow-up task on this document."""
    doc = _document(document_id)
    form = TaskForm()
    if form.validate_on_submit():
        reminders.add_task(doc.company_id, current_user._get_current_object(), client_id=doc.client_id,
                           due_on=form.due_on.data, note=form.note.data, document=doc)
        db.session.commit()
        return panel_response(doc, with_history=True, message=("success", "Tâche ajoutée."))
    errors = " ".join(e for errs in form.errors.values() for e in errs)
    return panel_response(doc, message=("error", errors))


@bp.post("/tasks/<int:task_id>/done")
def task_done(task_id: int):
    """Mark a task done."""
    task = get_owned_or_404(Task, task_id)
    reminders.complete_task(task, current_user._get_current_object())
    db.session.commit()
    if task.document_id and is_fragment_request() and request.form.get("from") == "panel":
        return panel_response(db.session.get(Document, task.document_id), with_history=True)
    if is_fragment_request():
        return make_response("", 200)
    return redirect(request.referrer or url_for("reminders.index"), code=303)


@bp.post("/clients/<int:client_id>/tasks")
def add_client_task(client_id: int):
    """A follow-up task on a client (call, site visit)."""
    client = get_owned_or_404(Client, client_id)
    form = TaskForm()
    if form.validate_on_submit():
        reminders.add_task(client.company_id, current_user._get_current_object(), client_id=client.id,
                           due_on=form.due_on.data, note=form.note.data)
        db.session.commit()
        flash("Tâche ajoutée.", "success")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect_see_other("clients.detail", client_id=client.id)


@bp.get("/documents/<int:document_id>/formal-notice.pdf")
def formal_notice_letter(document_id: int):
    """The dated formal notice letter, to print and send by registered post."""
    doc = _document(document_id)
    # Re-dated until it leaves, then frozen: the ETag (its hash) tells the browser which.
    return stored_file_response(letters.formal_notice_letter(doc), mimetype="application/pdf", download=False)


@bp.get("/documents/<int:document_id>/formal-notice-preview.pdf")
def formal_notice_preview(document_id: int):
    """The formal notice letter as it would go today, to read before confirming the send (not stored)."""
    doc = _document(document_id)
    if not doc.is_invoice or not doc.is_issued:
        abort(404)
    with render_slot(doc.company_id):
        name, data = letters.formal_notice_pdf(doc, today=_today(), signature_name=current_user.name)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/documents/<int:document_id>/penalty-invoice")
def penalty_invoice(document_id: int):
    """A separate invoice draft for the penalties (the issued invoice is never changed)."""
    doc = _document(document_id)
    try:
        draft = reminders.create_penalty_invoice(doc, current_user._get_current_object(), today=_today())
    except ReminderError as exc:
        return panel_response(doc, message=("error", str(exc)))
    db.session.commit()
    flash("Facture de pénalités créée en brouillon : vérifiez-la puis émettez-la.", "success")
    return redirect_see_other("invoices.detail", invoice_id=draft.id)


# --- the collections page --------------------------------------------------------------


@bp.get("/")
def index():
    """Relances: what the plan sends today (dry run), what awaits confirmation, recent sends, tasks."""
    company = current_user.company
    today = _today()
    planned = reminders.planned_today(company, today)
    confirm = db.session.scalars(select(Task).where(Task.company_id == company.id, Task.kind == "confirm_formal_notice",
                                                    Task.done_at.is_(None)).order_by(Task.due_on)).all()
    sends = db.session.scalars(select(Send).where(Send.company_id == company.id)
                               .order_by(Send.created_at.desc(), Send.id.desc()).limit(30)).all()
    return render_template(
        "reminders/index.html", planned=planned, confirm=confirm, sends=sends, today=today,
        uncertain=sending.stale_sends(company.id),
        tasks=reminders.open_tasks(company.id, due_by=today + timedelta(days=7)),
        template_labels=messages.TEMPLATE_KEYS, level_labels=reminders.LEVEL_LABELS,
        plan=reminders.default_plan(company),
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The default plan (steps), confirmation of formal notices, automatic sending, tracking."""
    company = current_user.company
    plan = reminders.default_plan(company)
    if request.method == "GET":
        form = SettingsForm(obj=company)
        form.confirm_formal_notice.data = plan.confirm_formal_notice
        rows = [(str(s["offset_days"]), s["template"]) for s in plan.steps]
    else:
        form = SettingsForm()
        rows = _step_rows(request.form)
    steps_error = None
    if form.validate_on_submit():
        try:
            steps = reminders.clean_steps([(_offset(o), t) for o, t in rows])
        except ReminderError as exc:
            steps_error = str(exc)
        else:
            plan.steps = steps
            plan.confirm_formal_notice = form.confirm_formal_notice.data
            for name in ("reminders_enabled", "formal_notice_deadline_days", "auto_send_invoices", "auto_send_hour",
                         "copy_company_on_sends", "open_tracking_enabled"):
                setattr(company, name, getattr(form, name).data)
            db.session.commit()
            flash("Réglages des relances enregistrés.", "success")
            return redirect_see_other("reminders.settings")
    return render_template("reminders/settings.html", form=form, steps=rows, steps_error=steps_error,
                           template_choices=TEMPLATE_CHOICES, template_labels=messages.TEMPLATE_KEYS,
                           other_plans=[p for p in reminders.company_plans(company.id) if not p.is_default])


def _step_rows(formdata) -> list[tuple[str, str]]:
    """(offset as typed, template) for each filled row of the plan form."""
    rows = []
    for i in range(12):
        offset, template = formdata.get(f"offset_{i}", "").strip(), formdata.get(f"template_{i}", "")
        if offset or template:
            rows.append((offset, template))
    return rows


def _offset(text: str) -> int:
    """"J+7", "+7", "7", "-3" → int; anything else is a French error."""
    cleaned = text.upper().removeprefix("J").replace(" ", "")
    try:
        return int(cleaned)
    except ValueError:
        raise ReminderError(f"« {text} » : indiquez un nombre de jours entier, par exemple -3 ou 15.",
                            field="steps") from None


@bp.route("/plans/new", methods=["GET", "POST"])
@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
def plan(plan_id: int | None = None):
    """Create or edit an extra plan (e.g. gentler for regular clients), to pick per client or invoice."""
    from domain.collections.models import ReminderPlan

    current = get_owned_or_404(ReminderPlan, plan_id) if plan_id is not None else None
    if current is not None and current.is_default:
        return redirect(url_for("reminders.settings"))
    if request.method == "GET":
        steps = current.steps if current else reminders.DEFAULT_STEPS[1:3]
        rows = [(str(s["offset_days"]), s["template"]) for s in steps]
        name, confirm = (current.name, current.confirm_formal_notice) if current else ("", True)
        error = None
    else:
        rows, name = _step_rows(request.form), request.form.get("name", "")
        confirm = bool(request.form.get("confirm_formal_notice"))
        try:
            steps = reminders.clean_steps([(_offset(o), t) for o, t in rows])
            saved = reminders.save_plan(current_user.company, current, name=name, steps=steps,
                                        confirm_formal_notice=confirm)
        except ReminderError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"Plan « {saved.name} » enregistré.", "success")
            return redirect_see_other("reminders.settings")
    return render_template("reminders/plan.html", plan=current, name=name, confirm=confirm, steps=rows, error=error,
                           template_choices=TEMPLATE_CHOICES)


@bp.post("/clients/<int:client_id>/settings")
def client_settings(client_id: int):
    """A client's reminders: its own plan, the company default, or none."""
    client = get_owned_or_404(Client, client_id)
    choice = request.form.get("plan", "")
    try:
        reminders.set_client_plan(client, plan_id=parse_id(choice), enabled=choice != "off")
    except ReminderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Relances du client enregistrées.", "success")
    return redirect_see_other("clients.detail", client_id=client.id)


@bp.post("/documents/<int:document_id>/plan")
def document_plan(document_id: int):
    """This invoice's own plan (or back to the client's)."""
    doc = _document(document_id)
    choice = request.form.get("plan", "")
    try:
        reminders.set_invoice_plan(doc, current_user._get_current_object(), parse_id(choice))
    except ReminderError as exc:
        db.session.rollback()
        return panel_response(doc, message=("error", str(exc)))
    db.session.commit()
    return panel_response(doc, with_history=True, message=("success", "Plan de relance de la facture enregistré."))


@bp.route("/templates/<key>", methods=["GET", "POST"])
def template(key: str):
    """Edit one e-mail template; unknown variables or unsafe syntax are refused at save time."""
    if key not in messages.TEMPLATE_KEYS:
        abort(404)
    current = messages.get(current_user.company_id, key)
    if request.method == "GET":
        form = TemplateForm(formdata=None, subject=current.subject, body=current.body)
    else:
        form = TemplateForm()
    error = None
    if form.validate_on_submit():
        try:
            messages.save(current_user.company_id, key, form.subject.data, form.body.data)
        except messages.TemplateError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"Modèle « {messages.TEMPLATE_KEYS[key]} » enregistré.", "success")
            return redirect_see_other("reminders.template", key=key)
    return render_template("reminders/template.html", form=form, key=key, label=messages.TEMPLATE_KEYS[key],
                           customized=current.customized, error=error, variables=messages.VARIABLES,
                           keys=messages.TEMPLATE_KEYS)


@bp.post("/templates/<key>/reset")
def reset_template(key: str):
    """Back to the French default."""
    if key not in messages.TEMPLATE_KEYS:
        abort(404)
    messages.reset(current_user.company_id, key)
    db.session.commit()
    flash("Modèle par défaut rétabli.", "success")
    return redirect_see_other("reminders.template", key=key)


@bp.route("/rates", methods=["GET", "POST"])
def rates():
    """The dated rate tables used for penalties (sourced values, plus values entered here)."""
    form = RateForm()
    if form.validate_on_submit():
        try:
            rate_bp = parse_percent(form.rate.data)
        except MoneyError as exc:
            form.rate.errors.append(str(exc))
        else:
            start = form.start.data
            if start != half_year_start(start):
                form.start.errors.append("Un taux s'applique à partir du 1er janvier ou du 1er juillet.")
            else:
                existing = db.session.scalar(select(RateEntry).where(
                    RateEntry.company_id == current_user.company_id, RateEntry.kind == form.kind.data,
                    RateEntry.start == start))
                if existing is None:
                    db.session.add(RateEntry(company_id=current_user.company_id, kind=form.kind.data, start=start,
                                             rate_bp=rate_bp, source=form.source.data or ""))
                else:
                    existing.rate_bp, existing.source = rate_bp, form.source.data or ""
                db.session.commit()
                flash("Taux enregistré.", "success")
                return redirect_see_other("reminders.rates")
    today = _today()
    return render_template("reminders/rates.html", form=form, tables=load_tables(today, current_user.company_id),
                           kinds=TABLE_KINDS)

