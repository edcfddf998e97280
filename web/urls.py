"""Absolute links to put in e-mails: the client's page of a document and the open-tracking pixel.

The base URL comes from configuration only: the `PUBLIC_BASE_URL` setting (e.g.
https://factures.example.fr, what a client's phone can reach; production refuses to start
without it), else SERVER_NAME, else http://127.0.0.1:5000 (development, with a warning).
Never from the request: its Host header is whatever the sender typed, and a link built from
it would turn a genuine e-mail into a phishing one.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from flask import current_app, g, has_request_context, request, url_for

import database
from domain.billing.models import Document, Kind
from domain.core.orm import utcnow
from domain.portal import links as portal
from extensions import db
from web.http import SAFE_METHODS

log = logging.getLogger("encaisse")
DEV_BASE_URL = "http://127.0.0.1:5000"


def public_base_url() -> str:
    """Scheme, host and path prefix the client's browser uses to reach the app (no trailing /)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"
    log.warning("PUBLIC_BASE_URL is not set: links in e-mails point to %s", DEV_BASE_URL)
    return DEV_BASE_URL


def absolute_url(endpoint: str, **values) -> str:
    """Absolute URL of an endpoint, inside a request or not (cron)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return public_base_url() + path


def link_lifetime() -> timedelta | None:
    """How long a new client link stays valid (`PORTAL_LINK_DAYS`, 0 = forever)."""
    days = int(current_app.config.get("PORTAL_LINK_DAYS", 365) or 0)
    return timedelta(days=days) if days > 0 else None


def link_secret() -> bytes:
    """The key client-link tokens are sealed with (SECRET_KEY: never in the database)."""
    key = current_app.secret_key
    return key.encode() if isinstance(key, str) else bytes(key or b"")


def link_url(link) -> str:
    """Absolute URL of a client link, to copy or put in an e-mail."""
    token = link.__dict__.get("_clear_token") or portal.unseal(link, link_secret())
    return absolute_url("portal.page", token=token)


def _create_link(doc):
    if has_request_context() and request.method in SAFE_METHODS:
        # A GET (a message preview) ends in a rollback, yet the link already sits in the text
        # the user may send a minute later: store it now, in its own transaction, with the
        # write lock taken up front (SQLite).
        db.session.commit()
        with database.write_intent():
            link = portal.ensure_link(doc, secret=link_secret(), lifetime=link_lifetime())
            db.session.commit()
        return link
    # committed with the caller's send
    return portal.ensure_link(doc, secret=link_secret(), lifetime=link_lifetime())


def client_link(doc) -> str:
    """The client's page of an issued document (created on first use); "" for a draft."""
    if not portal.can_have_link(doc) or "portal.page" not in current_app.view_functions:
        return ""
    link = portal.live_link(doc)
    if link is None or not link.is_live(utcnow()):
        link = _create_link(doc)
    return link_url(link)


def tracking_pixel_html(company, send) -> str:
    """The open-tracking pixel for an e-mail's HTML part ("" when the company switched tracking off).

    Used as `html_extra_for` by domain.sending.send_all.
    """
    if not company.open_tracking_enabled or not getattr(send, "tracking_token", None):
        return ""
    if "portal.pixel" not in current_app.view_functions:
        return ""
    url = absolute_url("portal.pixel", token=send.tracking_token)
    # On a line of its own: the HTML part is sent unwrapped (8bit), and SMTP refuses lines
    # over 998 characters.
    return (f'\n<img src="{html.escape(url)}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">\n')


def document_url(doc: Document, *, external: bool = False) -> str:
    """The page of a quote, invoice or credit note (absolute, from the public base URL, for an e-mail)."""
    endpoint, values = ("quotes.detail", {"quote_id": doc.id}) if doc.kind == Kind.QUOTE else (
        "invoices.detail", {"invoice_id": doc.id})
    return absolute_url(endpoint, **values) if external else url_for(endpoint, **values)


_ID_PLACEHOLDER = 9_182_736_455_463_728_190  # an id no row will have, replaced in the built URL


def id_url(endpoint: str, object_id: int) -> str:
    """url_for(endpoint, <its one id argument>=object_id), for the rows of a list: the URL is
    built once per endpoint and request, then only the id changes (url_for costs ~15 µs, and a
    50-row list calls it twice a row)."""
    templates = g.setdefault("encaisse_id_urls", {})
    template = templates.get(endpoint)
    if template is None:
        rule = next(iter(current_app.url_map.iter_rules(endpoint)))
        (argument,) = rule.arguments
        template = templates[endpoint] = url_for(endpoint, **{argument: _ID_PLACEHOLDER}).split(str(_ID_PLACEHOLDER))
    return str(int(object_id)).join(template)
