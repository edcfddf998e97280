"""The HTTP client of a company's approved platform, made from its settings and the app's key,
and the e-invoicing facts that several pages show (invoice panel, client directory, dashboard)."""

from __future__ import annotations

import dataclasses

from flask import current_app

from domain.billing.models import Document
from domain.core.models import Client, Company
from domain.einvoicing import cashin, connection, dashboard, directory, lifecycle, rules, transmissions
from domain.einvoicing.models import EinvoicingSettings
from output.platform import PlatformClient


def secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def client_for(row: EinvoicingSettings) -> PlatformClient:
    """A client for this company's platform (typed EinvoicingError when it is not configured)."""
    settings = connection.platform_settings(row, secret_key=secret_key())
    timeout = float(current_app.config.get("PLATFORM_READ_TIMEOUT", settings.read_timeout))
    return PlatformClient(dataclasses.replace(settings, read_timeout=timeout))


def invoice_panel(doc: Document) -> dict:
    """What the invoice page shows about its e-invoice: transmission, acknowledgement, statuses, 212s."""
    b2b = rules.is_b2b_france(doc)
    if not b2b:  # only B2B documents are queued (from their frozen snapshot): no query for the others
        return {"transmission": None, "b2b": False}
    row = transmissions.of_document(doc) if doc.is_issued else None
    settings = connection.settings_of(doc.company)
    details = []
    if row is not None:
        details = [rules.reason_fr(d.get("reason_code", ""), d.get("reason", "")) for d in row.ack_details or []]
    return {
        "transmission": row, "connected": bool(settings and settings.connected),
        "b2b": b2b, "statuses": lifecycle.statuses_of(doc) if row is not None else [],
        "ack_label": rules.ACK_LABELS.get(row.ack_status or "", "") if row is not None else "",
        "ack_details": details, "cash_reports": cashin.of_document(doc) if row is not None else [],
        "status_label": rules.status_label, "status_help": rules.STATUS_HELP,
        "directory": directory.verdict(directory.cached(doc.client)),
    }


def client_directory(client: Client) -> dict:
    entry = directory.cached(client)
    settings = connection.settings_of(client.company)
    return {"entry": entry, "verdict": directory.verdict(entry), "identifier": directory.identifier_of(client),
            "connected": bool(settings and settings.connected)}


def einvoicing_board(company: Company) -> dashboard.Board:
    return dashboard.board(company)
