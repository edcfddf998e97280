"""Web plumbing shared by every blueprint: fragments, tenancy, headers, errors, filters.

Blueprints import this module and the domain, never each other.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, abort, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

import database
from domain.core.accounts import security_log  # one logger, one line per event (see OneLinePerEvent)
from extensions import db
from output.formatting import JINJA_FILTERS

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# No inline script anywhere (htmx is configured through a <meta> tag and app.js), so
# the policy needs neither 'unsafe-inline' nor 'unsafe-eval'.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

NAV = (
    ("dashboard.index", "Tableau de bord"),
    ("quotes.index", "Devis"),
    ("invoices.index", "Factures"),
    ("payments.index", "Paiements"),
    ("reminders.index", "Relances"),
    ("clients.index", "Clients"),
    ("settings.index", "Réglages"),
)

M = TypeVar("M")

# The largest id: ids are INTEGER columns (PostgreSQL int4). A larger number typed into a
# URL or a form must stop here: PostgreSQL refuses it ("integer out of range") and SQLite
# cannot even bind one above 2**63 (OverflowError), both a 500.
DB_INT_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to a database id: /clients/99999999999999999999 is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(value) -> int | None:
    """An id from a query string or a form (ASCII digits a database can hold), else None.

    Usable as `request.args.get(name, type=parse_id)`."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > DB_INT_MAX:
        return None
    return int(text)


def is_fragment_request() -> bool:
    """True when htmx asks for a fragment (not a boosted navigation nor a history restore)."""
    h = request.headers
    return h.get("HX-Request") == "true" and not h.get("HX-Boosted") and not h.get("HX-History-Restore-Request")


def render_page(page: str, fragment: str, **context):
    """Render the whole page, or only its fragment for an htmx request (same URL)."""
    return render_template(fragment if is_fragment_request() else page, **context)


def current_company():
    """The logged-in user's company (every query is scoped to it)."""
    return current_user.company


def get_owned_or_404(model: type[M], object_id: int, *options) -> M:
    """Load a row of the current company by id; another company's id is a 404, never a 403.

    `options`: loader options (e.g. joinedload) for what the page shows next to the row."""
    obj = db.session.scalar(
        select(model).where(model.id == object_id, model.company_id == current_user.company_id).options(*options)
    )
    if obj is None:
        security_log.warning(
            "denied %s id=%s user=%s company=%s", model.__name__, object_id, current_user.id, current_user.company_id
        )
        abort(404)
    return obj


def redirect_see_other(endpoint: str, **values):
    """303 after a POST; htmx gets HX-Redirect so the whole page changes."""
    url = url_for(endpoint, **values)
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def client_ip() -> str:
    """Client IP (ProxyFix rewrites remote_addr when the app sits behind a proxy)."""
    return request.remote_addr or "?"


def _combine_attrs(attrs: dict, errors, err_id: str) -> dict:
    """Add aria-invalid/aria-describedby to a form control that has errors."""
    attrs = dict(attrs)
    if errors:
        attrs.update({"aria-invalid": "true", "aria-describedby": err_id})
    return attrs


def init_app(app: Flask) -> None:
    """Register hooks, headers, error pages and template helpers (before any blueprint: the
    routes' `<int:…>` converter is replaced here)."""
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.filters.update(JINJA_FILTERS)
    app.jinja_env.filters["combine_attrs"] = _combine_attrs

    @app.before_request
    def _mark_write_intent():
        if request.method not in SAFE_METHODS:
            g._write_token = database.set_write_intent(True)

    @app.before_request
    def _refuse_nul_characters():
        # No keyboard types U+0000, and PostgreSQL text cannot hold it (psycopg refuses the
        # query: a 500). Refused once here for every field and query string. (URL parts are
        # ids, keys checked against a list, or portal tokens looked up by their hash.)
        fields = [*request.args.lists(), *(request.form.lists() if request.method not in SAFE_METHODS else ())]
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields):
            return render_template("errors/error.html", title="Saisie invalide",
                                   message="Un caractère invisible (NUL) s'est glissé dans la saisie : il ne peut pas "
                                           "être enregistré. Retirez-le et recommencez."), 400

    @app.teardown_request
    def _clear_write_intent(_exc):
        token = g.pop("_write_token", None)
        if token is not None:
            database.reset_write_intent(token)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.vary.add("HX-Request")
        # (mimetype first: static files must not cost a user lookup)
        if response.mimetype == "text/html" and current_user and current_user.is_authenticated:
            # Shared tablets: never leave a client's data in the browser cache.
            headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def _template_helpers():
        # Only link the sections whose blueprint is registered.
        nav = [(ep, label) for ep, label in NAV if ep in app.view_functions]
        return {"is_fragment": is_fragment_request(), "nav": nav}

    @app.errorhandler(404)
    def _not_found(_e):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def _not_allowed(_e):
        return render_template("errors/error.html", title="Action impossible",
                               message="Cette action n'est pas possible à cette adresse."), 405

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        security_log.warning("csrf refused path=%s ip=%s reason=%s", request.path, client_ip(), e.description)
        return render_template(
            "errors/error.html", title="Formulaire expiré",
            message="Le formulaire a expiré ou n'a pas été envoyé depuis Encaisse. Rechargez la page et recommencez : rien n'a été enregistré.",
        ), 400

    @app.errorhandler(413)
    def _too_large(_e):
        return render_template("errors/error.html", title="Fichier trop volumineux",
                               message="L'envoi dépasse la taille autorisée. Choisissez un fichier plus petit."), 413

    from output.pdf import PdfRenderError

    @app.errorhandler(PdfRenderError)
    def _pdf_unavailable(e):
        # Over a bound (pages, lines, time: the user's document, a 422) or a real failure
        # (it has a cause, already logged by the renderer: a 500). The message is French.
        return render_template("errors/error.html", title="PDF indisponible", message=str(e)), (
            500 if e.__cause__ is not None else 422)

    @app.errorhandler(500)
    def _server_error(_e):
        db.session.rollback()
        return render_template("errors/error.html", title="Erreur inattendue",
                               message="Une erreur inattendue s'est produite. Rien n'a été enregistré ; réessayez dans un instant."), 500


# --- forms -------------------------------------------------------------------------

from flask_wtf import FlaskForm  # noqa: E402
from wtforms import IntegerField as _IntegerField  # noqa: E402
from wtforms.validators import ValidationError  # noqa: E402


class FrenchForm(FlaskForm):
    """FlaskForm with WTForms' built-in French messages ("Ce champ est requis.")."""

    class Meta:
        locales = ("fr_FR", "fr")


class IntegerField(_IntegerField):
    """WTForms' IntegerField, refusing a number too long to mean anything: NumberRange would
    crash on it (its math.isnan() of a 400-digit int raises OverflowError: a 500)."""

    MAX_DIGITS = 12

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > self.MAX_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


def cleaned_by(clean, *, optional: bool = True):
    """WTForms validator running a domain `clean_*` function and keeping its normalised value."""

    def _validator(_form, field):
        raw = (field.data or "").strip() if isinstance(field.data, str) or field.data is None else field.data
        if optional and raw in ("", None):
            field.data = ""
            return
        try:
            field.data = clean(raw)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    return _validator


def choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects (tuples are deprecated in 3.3)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]


def pdf_response(doc, *, download: bool):
    """Serve a document's PDF: the frozen bytes of an issued document (strong ETag, the
    same bytes forever), a fresh render of a draft (never cached)."""
    from flask import Response

    from domain.billing import printing as document_files
    from domain.core.clock import today_in

    disposition = "attachment" if download else "inline"
    if doc.is_issued:
        stored = document_files.stored_pdf(doc)
        if stored is None:  # issued before PDFs were frozen (imported data): freeze now, once
            stored = document_files.freeze_pdf(doc)
            db.session.commit()
        if request.if_none_match and stored.sha256 in request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{stored.sha256}"'})
        response = Response(stored.data, mimetype="application/pdf")
        response.headers["ETag"] = f'"{stored.sha256}"'
        response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
        filename = stored.filename
    else:
        # A PdfRenderError (document over the page or time bound) is answered by init_app's handler.
        data = document_files.render_pdf(doc, today=today_in(doc.company.timezone))
        response = Response(data, mimetype="application/pdf")
        response.headers["Cache-Control"] = "no-store"
        filename = document_files.pdf_filename(doc)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
