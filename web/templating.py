"""Everything templates can call, registered in one place: filters (money, dates,
percentages) and globals (labels, choices, panels, the navigation)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_login import current_user

from domain.billing import categories, lists, mentions, status, terms
from domain.billing.models import KIND_LABELS, PAYMENT_METHOD_LABELS, PaymentMethod
from domain.billing.money import format_amount_input
from domain.collections import dashboard as board
from domain.collections import reminders
from domain.core import events, idempotency, roles, verification
from domain.portal import tracking
from domain.portal.models import DocumentLink
from output.formatting import JINJA_FILTERS, format_date
from web import platform
from web.editor import UNITS, VAT_CHOICES, reduced_rate_used
from web.http import is_fragment_request
from web.panels import collections_panel, next_action, next_action_kind
from web.security import offline_owner
from web.tenancy import company_today
from web.urls import id_url, link_url

NAV = (
    ("dashboard.index", "Tableau de bord"),
    ("quotes.index", "Devis"),
    ("invoices.index", "Factures"),
    ("payments.index", "Paiements"),
    ("bank.index", "Banque"),
    ("reminders.index", "Relances"),
    ("clients.index", "Clients"),
    ("settings.index", "Réglages"),
)

ATTESTATION_REMINDER = (
    "Taux réduit de TVA (10 % ou 5,5 %) : faites signer au client l'attestation de travaux "
    "dans un logement de plus de deux ans, et conservez-la."
)


def combine_attrs(attrs: dict, errors, err_id: str) -> dict:
    """Add aria-invalid/aria-describedby to a form control that has errors."""
    attrs = dict(attrs)
    if errors:
        attrs.update({"aria-invalid": "true", "aria-describedby": err_id})
    return attrs


def event_details(event) -> str:
    data = event.data or {}
    parts = []
    if data.get("number"):
        parts.append(f"n° {data['number']}")
    if data.get("method"):
        try:
            parts.append(PAYMENT_METHOD_LABELS[PaymentMethod(data["method"])])
        except ValueError:
            parts.append(str(data["method"]))
    if data.get("reference"):
        parts.append(f"réf. {data['reference']}")
    if data.get("reason"):
        parts.append(f"motif : {data['reason']}")
    if data.get("credit_note_number"):
        parts.append(f"avoir {data['credit_note_number']}")
    if data.get("invoice_number"):
        parts.append(f"facture {data['invoice_number']}")
    if data.get("duplicated_from"):
        parts.append(f"copie de {data['duplicated_from']}")
    if data.get("channel"):
        # "lien client" (portal answers) is already French; internal tags ("link", "email") are not.
        channel = str(data["channel"])
        parts.append(reminders.channel_label(channel) if channel in reminders.CHANNEL_LABELS else channel)
    return " · ".join(parts)


def linked_document_id(event) -> int | None:
    data = event.data or {}
    for key in ("deposit_id", "final_id", "credit_note_id", "copy_id"):
        if data.get(key):
            return int(data[key])
    return None


TEMPLATE_GLOBALS = {
    "status_label": status.label,
    "status_badge": status.badge,
    "event_label": events.label,
    "event_details": event_details,
    "event_link_id": linked_document_id,
    "days_late": terms.days_late,
    "kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
    "payment_methods": [(m.value, label) for m, label in PAYMENT_METHOD_LABELS.items()],
    "vat_choices": VAT_CHOICES,
    "line_units": UNITS,
    "regime_mentions": mentions.REGIME_MENTIONS,
    "attestation_reminder": ATTESTATION_REMINDER,
    "amount_input": format_amount_input,
    "reduced_rate_used": reduced_rate_used,
    "iso_date": date.fromisoformat,
    "document_sorts": lists.DOCUMENT_SORTS,
    "payment_sorts": lists.PAYMENT_SORTS,
    "invoice_kind_filters": lists.INVOICE_KIND_FILTERS,
}




def category_label(doc) -> str:
    """The category of the operation of a document as printed, "(d'après les lignes)" on a draft left on auto."""
    label = categories.LABELS[categories.of_document(doc)]
    if not doc.is_issued and doc.operation_category is None:
        return f"{label} (d'après les lignes)"
    return label


def client_activity(client):
    """Data of templates/clients/_activity.html."""
    return board.client_activity(current_user.company_id, client.id, company_today())


def level_short(level: int) -> str:
    """"R2" for reminder level 2."""
    return reminders.LEVEL_SHORT.get(level, "")


def date_arg_label(value: str) -> str:
    """A date from the query string (ISO or 23/11/2026) in French, or as typed."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return format_date(datetime.strptime(value, fmt).date())
        except ValueError:
            continue
    return value


def client_link_url(link: DocumentLink | None) -> str:
    """Absolute URL of a client link, to copy."""
    return link_url(link) if link is not None else ""


def navigation(app: Flask) -> list[tuple[str, str]]:
    """The main navigation: the sections whose blueprint is registered; "Réglages" (owners) is
    "Mon compte" for the other roles."""
    nav = [(ep, label) for ep, label in NAV if ep in app.view_functions]
    if current_user and current_user.is_authenticated and not roles.can_manage_company(current_user):
        nav = [("settings.account", "Mon compte") if ep == "settings.index" else (ep, label) for ep, label in nav]
    return nav


def read_only() -> bool:
    """True for a logged-in accountant (the pages say so once, at the top)."""
    return bool(current_user and current_user.is_authenticated and not roles.can_write(current_user))


def manages_company() -> bool:
    """True for an owner: the links to owner-only pages (Réglages, the e-invoicing platform) are theirs."""
    return bool(current_user and current_user.is_authenticated and roles.can_manage_company(current_user))


def init_app(app: Flask) -> None:
    """Register every filter and global (before the first template is rendered)."""
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.filters["combine_attrs"] = combine_attrs
    app.jinja_env.globals.update(
        TEMPLATE_GLOBALS,
        collections_panel=collections_panel, next_action=next_action, next_action_kind=next_action_kind,
        new_token=idempotency.new_token, offline_owner=offline_owner, company_plans=reminders.company_plans,
        client_activity=client_activity, level_short=level_short, date_arg_label=date_arg_label,
        document_lifecycle=tracking.lifecycle, client_link_url=client_link_url, channel_label=reminders.channel_label,
        category_label=category_label, can_send_to_clients=verification.can_send_to_clients,
        einvoice_panel=platform.invoice_panel, client_directory=platform.client_directory,
        einvoicing_board=platform.einvoicing_board, id_url=id_url,
    )

    @app.context_processor
    def _page_context():
        return {"is_fragment": is_fragment_request(), "nav": navigation(app), "read_only": read_only(),
                "manages_company": manages_company()}
