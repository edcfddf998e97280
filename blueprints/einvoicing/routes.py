"""Réglages › Facturation électronique, the platform's webhook, the directory look-up of a client,
and a transmission queued again after a refusal."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, flash, render_template, request
from flask_login import current_user, login_required

from blueprints.einvoicing.forms import FilingForm, PlatformForm
from domain.billing.models import Document
from domain.core import accounts
from domain.core.errors import UserError
from domain.core.models import Client
from domain.einvoicing import connection, ereporting, transmissions, webhooks
from domain.einvoicing import directory as annuaire
from domain.einvoicing.connection import EinvoicingError, PlatformInput
from domain.einvoicing.models import FAILED
from extensions import csrf, db
from output.platform import PlatformError
from web import platform
from web.account_mail import send_account_mail
from web.http import is_fragment_request, redirect_see_other
from web.tenancy import company_today, get_owned_or_404, parse_id
from web.urls import absolute_url

log = logging.getLogger("encaisse.einvoicing")

bp = Blueprint("einvoicing", __name__, url_prefix="/einvoicing")
MAX_WEBHOOK_BYTES = 256 * 1024


def _page(form: PlatformForm | None = None, status: int = 200):
    company = current_user.company
    row = connection.settings_of(company)
    filing = FilingForm(formdata=None, vat_filing=ereporting.regime_of(company)
                        if not company.is_vat_franchise else None)
    if form is None:
        form = PlatformForm(formdata=None, obj=row) if row is not None else PlatformForm(formdata=None)
    today = company_today()
    due = ereporting.next_due(company, today)
    previews = [(period, *ereporting.preview(company, period)) for period in due]
    webhook_url = absolute_url("einvoicing.webhook", key=row.webhook_key) if row is not None else ""
    return render_template("einvoicing/settings.html", form=form, filing=filing, row=row, company=company,
                           previews=previews, webhook_url=webhook_url, labels=ereporting.KIND_LABELS,
                           franchise=company.is_vat_franchise, reports=ereporting.recent(company),
                           waiting=transmissions.waiting_count(company.id)), status


@bp.get("/settings")
@login_required
def settings():
    """The e-invoicing settings page: platform, connection test, e-reporting calendar and preview."""
    return _page()


@bp.post("/settings")
@login_required
def save_settings():
    """Connect (or change) the company's platform."""
    form = PlatformForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    data = PlatformInput(flow_base_url=form.flow_base_url.data or "",
                         directory_base_url=form.directory_base_url.data or "", token_url=form.token_url.data or "",
                         client_id=form.client_id.data or "",
                         client_secret=form.client_secret.data or "", webhook_secret=form.webhook_secret.data or "",
                         send_syntax=form.send_syntax.data or "")
    company = current_user.company
    try:
        change = connection.change_platform(company, current_user, data, password=form.confirm_password.data,
                                            secret_key=platform.secret_key())
    except UserError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None:
            target.errors = [*target.errors, exc.message]
        else:
            flash(exc.message, "error")
        return _page(form, 422)
    db.session.commit()
    # Every owner hears of it (after the commit: no transaction waits on SMTP).
    send_account_mail("platform_changed", accounts.owner_addresses(company.id),
                      f"Plateforme de facturation électronique modifiée – {company.name}",
                      company=company, actor=current_user, change=change)
    flash("Plateforme enregistrée. Testez la connexion.", "success")
    return redirect_see_other("einvoicing.settings")


@bp.post("/settings/test")
@login_required
def test_connection():
    """Ask the platform for a token and call its healthchecks; say the result in French."""
    row = connection.settings_of(current_user.company)
    if row is None or not row.connected:
        flash("Enregistrez d'abord les réglages de la plateforme.", "error")
        return redirect_see_other("einvoicing.settings")
    try:
        client = platform.client_for(row)
    except EinvoicingError as exc:
        flash(exc.message, "error")
        return redirect_see_other("einvoicing.settings")
    db.session.commit()  # no transaction held while the platform answers
    with client:
        result = connection.test_connection(row, client)
    db.session.commit()
    flash(result.message, "success" if result.ok else "error")
    return redirect_see_other("einvoicing.settings")


@bp.post("/settings/filing")
@login_required
def save_filing():
    """The VAT return regime (the e-reporting calendar)."""
    form = FilingForm()
    try:
        connection.set_vat_filing(current_user.company, current_user, form.vat_filing.data or "")
    except EinvoicingError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect_see_other("einvoicing.settings")
    db.session.commit()
    flash("Régime de déclaration enregistré.", "success")
    return redirect_see_other("einvoicing.settings")


@bp.post("/webhook/<key>")
@csrf.exempt
def webhook(key: str):
    """The platform's notification (signed, see domain/einvoicing/webhooks.py); no login, no CSRF."""
    row = connection.by_webhook_key(key)
    if row is None or not row.connected:
        return Response(status=404)
    body = request.get_data(cache=False)
    if len(body) > MAX_WEBHOOK_BYTES:
        return Response(status=413)
    secret = connection.webhook_secret(row, secret_key=platform.secret_key())
    with platform.client_for(row) as client:
        answer = webhooks.receive(row, body, dict(request.headers), secret=secret, client=client)
    return Response(status=answer.status)


@bp.post("/clients/<int:client_id>/directory")
@login_required
def lookup_client(client_id: int):
    """Look the client up in the directory now; answer the directory panel of its page."""
    client = get_owned_or_404(Client, client_id)
    row = connection.settings_of(current_user.company)
    message = None
    if row is None or not row.connected:
        message = ("error", "Configurez d'abord votre plateforme de facturation électronique.")
    elif not annuaire.identifier_of(client):
        message = ("error", "Indiquez le SIREN ou le SIRET du client.")
    else:
        try:
            with platform.client_for(row) as api:
                annuaire.lookup(client, api)
            db.session.commit()
        except (PlatformError, EinvoicingError) as exc:
            db.session.rollback()
            message = ("error", getattr(exc, "message_fr", None) or str(exc))
    client = get_owned_or_404(Client, client_id)
    invoice_id = request.form.get("invoice_id", type=parse_id)  # asked from a draft invoice's page
    draft = get_owned_or_404(Document, invoice_id) if invoice_id else None
    if draft is not None and draft.client_id != client.id:
        draft = None
    if is_fragment_request():
        return render_template("einvoicing/_directory.html", client=client, directory_message=message,
                               back_to_invoice=draft.id if draft is not None else None)
    if message:
        flash(message[1], message[0])
    if draft is not None:
        return redirect_see_other("invoices.detail", invoice_id=draft.id)
    return redirect_see_other("clients.detail", client_id=client_id)


@bp.post("/invoices/<int:invoice_id>/retransmit")
@login_required
def retransmit(invoice_id: int):
    """Queue again a transmission the platform refused (after the cause was fixed)."""
    doc = get_owned_or_404(Document, invoice_id)
    row = transmissions.of_document(doc)
    if row is not None and row.state == FAILED:
        transmissions.reopen(row)
        db.session.commit()
        flash("La facture sera transmise à nouveau.", "success")
    return redirect_see_other("invoices.detail", invoice_id=invoice_id)
