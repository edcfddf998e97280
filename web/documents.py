"""Web code shared by the quote and invoice pages: the header form, the lines editor
(parsing, row fragments, catalogue quick insert, live totals), list filters, form tokens
and template helpers.

It lives at the top level, like web.py, because two blueprints need it and a blueprint
never imports another.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from domain.billing import catalog, lists, mentions, status, terms
from domain.billing.documents import (
    FROZEN_MESSAGE,
    MAX_LINES,
    DocumentError,
    DraftInput,
    LineInput,
    deductions_totals,
    deposits_of,
)
from domain.billing.models import (
    KIND_LABELS,
    PAYMENT_METHOD_LABELS,
    Document,
    DocumentLine,
    Kind,
    PaymentMethod,
    VatRegime,
)
from domain.billing.money import (
    VAT_RATES_BP,
    MoneyError,
    Totals,
    format_amount_input,
    line_total_cents,
    parse_amount,
    parse_percent,
    parse_quantity,
    vat_rate_label,
)
from domain.core import clock, events, idempotency
from domain.core.models import Client
from extensions import db
from web import FrenchForm, choices, get_owned_or_404, parse_id

# Units an artisan uses; a unit typed elsewhere (catalogue, older document) is kept as is.
UNITS = ("u", "h", "jour", "forfait", "m²", "ml", "m", "m³", "kg", "lot", "ens.")
VAT_CHOICES = tuple((str(rate), vat_rate_label(rate)) for rate in VAT_RATES_BP)
REGIME_LABELS = {
    VatRegime.NORMAL: "TVA normale",
    VatRegime.AUTOLIQUIDATION: "Autoliquidation (sous-traitance BTP)",
    VatRegime.FRANCHISE: "Franchise en base",
}
ATTESTATION_REMINDER = (
    "Taux réduit de TVA (10 % ou 5,5 %) : faites signer au client l'attestation de travaux "
    "dans un logement de plus de deux ans, et conservez-la."
)
DATE_MESSAGE = "Saisissez une date valide, par exemple 23/11/2026."
_KEY_RE = re.compile(r"^[0-9a-z]{1,16}$")


def company_today() -> date:
    """Today in the company's time zone (an invoice issued at 00:30 in Paris is dated that day)."""
    return clock.today_in(current_user.company.timezone)


# --- the header form -----------------------------------------------------------------


class FrenchDateField(DateField):
    """<input type=date> (ISO), also accepting a typed 23/11/2026, with a French error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators or [Optional()], format=["%Y-%m-%d", "%d/%m/%Y"],
                         invalid_value_message=DATE_MESSAGE, **kwargs)


class DocumentForm(FrenchForm):
    """Fields every editable document shares; lines are parsed apart (see parse_lines)."""

    version = HiddenField()
    token = HiddenField()
    client_id = SelectField("Client", validate_choice=False)
    subject = StringField("Objet", validators=[Length(max=200)],
                          description="Par exemple « Rénovation de la salle de bain ».")
    site_name = StringField("Chantier", validators=[Length(max=200)])
    site_address = TextAreaField("Adresse du chantier", validators=[Length(max=1000)])
    vat_regime = RadioField("TVA", validate_choice=False, default=VatRegime.NORMAL)
    notes = TextAreaField("Notes (imprimées sur le document)", validators=[Length(max=5000)])

    def setup(self, company, doc: Document | None) -> DocumentForm:
        """Fill the choices: the company's active clients (plus the document's own)."""
        rows = db.session.execute(
            db.select(Client.id, Client.name).where(
                Client.company_id == company.id,
                (Client.archived_at.is_(None)) | (Client.id == (doc.client_id if doc else -1)))
            .order_by(db.func.lower(Client.name))
        ).all()
        self.client_id.choices = choices([("", "Choisissez un client…"), *((str(i), n) for i, n in rows)])
        if company.is_vat_franchise:
            self.vat_regime.choices = choices([(VatRegime.FRANCHISE, REGIME_LABELS[VatRegime.FRANCHISE])])
        else:
            self.vat_regime.choices = choices([(r, REGIME_LABELS[r]) for r in (VatRegime.NORMAL, VatRegime.AUTOLIQUIDATION)])
        if not self.is_submitted():
            if doc is not None:
                self.client_id.data = str(doc.client_id)
                self.version.data = str(doc.version)
            if doc is None or company.is_vat_franchise:
                self.vat_regime.data = VatRegime.FRANCHISE if company.is_vat_franchise else VatRegime.NORMAL
            self.token.data = idempotency.new_token()
        return self

    def client_value(self) -> int:
        """The chosen client id (0 when none: the domain answers "Choisissez un client.")."""
        try:
            return parse_id(self.client_id.data) or 0
        except (TypeError, ValueError):
            return 0

    def version_value(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

    def common_input(self, lines: list[LineInput], **extra) -> DraftInput:
        """The typed content, ready for the domain."""
        return DraftInput(
            client_id=self.client_value(), lines=lines, subject=self.subject.data or "",
            site_name=self.site_name.data or "", site_address=self.site_address.data or "",
            notes=self.notes.data or "", vat_regime=self.vat_regime.data or VatRegime.NORMAL, **extra,
        )

    def show_domain_error(self, exc: DocumentError) -> str | None:
        """Put a domain error next to its field; return it when it belongs to no field."""
        target = getattr(self, exc.field, None) if exc.field and exc.field != "lines" else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, str(exc)]
            return None
        return str(exc)


def check_due_date_input(due: date | None, client: Client | None, today: date) -> str | None:
    """French error for a requested due date that the issue (today) would refuse."""
    if due is None:
        return None
    try:
        terms.check_due_date(today, due, professional=bool(client and client.is_business))
    except terms.LegalError as exc:
        return str(exc)
    return None


# --- lines editor --------------------------------------------------------------------


def new_key() -> str:
    """Key of a new editor row (existing lines use their position, so keys never clash)."""
    return secrets.token_hex(4)


@dataclass
class LineRow:
    """One editor row as typed (strings), with its errors: re-rendered unchanged on error."""

    key: str
    kind: str = "item"
    label: str = ""
    description: str = ""
    quantity: str = "1"
    unit: str = "u"
    unit_price: str = ""
    discount: str = ""
    vat_rate: str = "2000"
    errors: dict[str, str] = field(default_factory=dict)
    total_ht_cents: int | None = None

    @property
    def is_section(self) -> bool:
        return self.kind == "section"

    @classmethod
    def from_line(cls, line: DocumentLine, key: str) -> LineRow:
        if line.is_section:
            return cls(key=key, kind="section", label=line.label)
        return cls(
            key=key, label=line.label, description=line.description,
            quantity=_quantity_input(line.quantity_milli), unit=line.unit,
            unit_price=format_amount_input(line.unit_price_cents),
            discount=_percent_input(line.discount_bp) if line.discount_bp else "",
            vat_rate=str(line.vat_rate_bp), total_ht_cents=line.total_ht_cents,
        )

    @classmethod
    def from_catalog(cls, item, key: str, *, franchise: bool) -> LineRow:
        return cls(key=key, label=item.label, description=item.description, unit=item.unit,
                   unit_price=format_amount_input(item.unit_price_cents),
                   vat_rate="0" if franchise else str(item.vat_rate_bp))


def _quantity_input(milli: int) -> str:
    units, rest = divmod(milli, 1000)
    return str(units) if not rest else f"{units},{rest:03d}".rstrip("0")


def _percent_input(bp: int) -> str:
    units, rest = divmod(bp, 100)
    return str(units) if not rest else f"{units},{rest:02d}".rstrip("0")


def blank_row(kind: str, *, franchise: bool) -> LineRow:
    """An empty item row (1 unit) or section title."""
    if kind == "section":
        return LineRow(key=new_key(), kind="section")
    return LineRow(key=new_key(), vat_rate="0" if franchise else "2000")


def rows_of(doc: Document) -> list[LineRow]:
    """Editor rows for a saved document's lines."""
    return [LineRow.from_line(line, str(position)) for position, line in enumerate(doc.lines)]


@dataclass
class ParsedLines:
    rows: list[LineRow]
    lines: list[LineInput]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def parse_lines(formdata, *, franchise: bool = False) -> ParsedLines:
    """Read the editor rows from a posted form, in screen order, each field with money.parse_*.

    Errors are per line and per field ("Ligne 3 : saisissez une quantité valide…"); the
    typed text is kept so the form comes back exactly as the user left it. A row left
    completely empty is ignored (the user tapped "+ Ligne" once too often).
    """
    rows: list[LineRow] = []
    lines: list[LineInput] = []
    errors: list[str] = []
    seen = set()
    for key in formdata.getlist("row"):
        if not _KEY_RE.match(key) or key in seen:
            continue
        seen.add(key)
        if len(rows) > MAX_LINES:
            errors.append(f"Un document est limité à {MAX_LINES} lignes.")
            break

        def get(name: str, default: str = "") -> str:
            return (formdata.get(f"line-{key}-{name}") or default)[:1000]

        kind = "section" if get("kind") == "section" else "item"
        row = LineRow(key=key, kind=kind, label=get("label").strip()[:300], description=get("description").strip(),
                      quantity=get("quantity").strip(), unit=get("unit", "u").strip()[:20] or "u",
                      unit_price=get("unit_price").strip(), discount=get("discount").strip(),
                      vat_rate=get("vat_rate", "0" if franchise else "2000").strip())
        number = len(rows) + 1
        if kind == "section":
            if not row.label:
                continue  # an empty title says nothing
            rows.append(row)
            lines.append(LineInput(label=row.label, kind="section"))
            continue
        if not (row.label or row.description or row.unit_price):
            continue
        rows.append(row)

        def fail(name: str, message: str) -> None:
            text = f"Ligne {number} : {_lower_first(message)}"
            row.errors[name] = text
            errors.append(text)

        if not row.label:
            fail("label", "Saisissez la désignation.")
        values = {}
        for name, parser, text in (("quantity", parse_quantity, row.quantity or "1"),
                                   ("unit_price", parse_amount, row.unit_price),
                                   ("discount", parse_percent, row.discount or "0")):
            try:
                values[name] = parser(text)
            except MoneyError as exc:
                fail(name, str(exc))
        try:
            rate = int(row.vat_rate)
            if rate not in VAT_RATES_BP:
                raise ValueError(rate)
            values["vat_rate"] = rate
        except ValueError:
            fail("vat_rate", "Choisissez un taux de TVA : 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.")
        if row.errors:
            continue
        row.total_ht_cents = line_total_cents(values["quantity"], values["unit_price"], values["discount"])
        lines.append(LineInput(
            label=row.label, description=row.description, quantity_milli=values["quantity"], unit=row.unit,
            unit_price_cents=values["unit_price"], discount_bp=values["discount"], vat_rate_bp=values["vat_rate"],
        ))
    return ParsedLines(rows=rows, lines=lines, errors=errors)


def lines_totals(lines: list[LineInput], regime: str) -> Totals:
    """Totals of typed lines, computed by domain.money exactly as a saved draft's would be."""
    items = [(line.vat_rate_bp, line_total_cents(line.quantity_milli, line.unit_price_cents, line.discount_bp))
             for line in lines if line.kind != "section"]
    # Autoliquidation (CGI art. 283-2 nonies): bases per rate, no VAT charged.
    return Totals.from_lines(items, charge_vat=regime != VatRegime.AUTOLIQUIDATION)


def deductions_of(doc: Document | None) -> tuple[list[dict], Totals | None]:
    """A final invoice's deducted deposits and their sum (none for other documents)."""
    if doc is None or doc.kind != Kind.FINAL or not doc.deductions:
        return [], None
    return list(doc.deductions), deductions_totals(doc)


def left_to_deposit_cents(quote: Document) -> int:
    """What deposits may still ask on a quote: its TTC minus every live deposit (drafts too)."""
    return quote.total_ttc_cents - sum(d.net_cents - d.credited_cents for d in deposits_of(quote))


def reduced_rate_used(totals: Totals, regime: str) -> bool:
    return regime == VatRegime.NORMAL and any(v.rate_bp in (1000, 550) for v in totals.per_rate)


# Editor endpoints, added to the quotes and invoices blueprints by register_editor().


def _editor_franchise() -> bool:
    return current_user.company.is_vat_franchise


def line_row_view():
    """A new editor row: empty line, section title, or a catalogue line (?item_id=)."""
    franchise = _editor_franchise()
    item_id = request.args.get("item_id", type=parse_id)
    if item_id is not None:
        item = catalog.get_item(current_user.company_id, item_id)
        if item is None:
            abort(404)
        row = LineRow.from_catalog(item, new_key(), franchise=franchise)
    else:
        row = blank_row(request.args.get("kind", "item"), franchise=franchise)
    return render_template("documents/_line_row.html", row=row, editor=request.blueprint, franchise=franchise)


def catalog_search_view():
    """Catalogue lines matching what is typed, each inserted in one tap."""
    q = request.args.get("catalog_q", "")[:100]
    items = catalog.search_items(current_user.company_id, q)
    return render_template("documents/_catalog_results.html", items=items, q=q, editor=request.blueprint)


def preview_view():
    """Live totals of the lines being typed, computed by the domain (never in JavaScript)."""
    franchise = _editor_franchise()
    parsed = parse_lines(request.form, franchise=franchise)
    regime = request.form.get("vat_regime") or (VatRegime.FRANCHISE if franchise else VatRegime.NORMAL)
    if regime not in tuple(VatRegime):
        regime = VatRegime.NORMAL
    doc = None
    doc_id = request.form.get("document_id", type=parse_id)
    if doc_id:
        doc = get_owned_or_404(Document, doc_id)
        if doc.kind in (Kind.DEPOSIT, Kind.FINAL, Kind.CREDIT_NOTE):
            regime = doc.vat_regime  # derived documents keep their origin's regime
    totals = lines_totals(parsed.lines, regime)
    deductions, deducted = deductions_of(doc)
    return render_template("documents/_totals.html", totals=totals, regime=regime, deductions=deductions,
                           deducted=deducted, preview=True, line_errors=parsed.errors, editor=request.blueprint,
                           doc=doc, line_rows=parsed.rows if request.headers.get("HX-Request") == "true" else [])


def register_editor(bp: Blueprint) -> None:
    """Add the lines-editor endpoints (row, catalogue search, live totals) to a blueprint."""
    bp.add_url_rule("/lines/row", "line_row", line_row_view, methods=["GET"])
    bp.add_url_rule("/lines/catalog", "catalog_search", catalog_search_view, methods=["GET"])
    bp.add_url_rule("/preview", "preview", preview_view, methods=["POST"])
    init_blueprint(bp)


# --- list filters --------------------------------------------------------------------


def _parse_date_arg(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(DATE_MESSAGE)


def _int_arg(value: str) -> int | None:
    return parse_id(value)


def parse_document_filters(args, group: str) -> tuple[lists.DocumentFilters, dict, dict]:
    """Filters from the query string: (filters, values to show in the form, French errors)."""
    errors: dict[str, str] = {}
    values = {k: (args.get(k) or "")[:100] for k in (
        "q", "status", "client_id", "date_from", "date_to", "amount_min", "amount_max", "sort", "kind")}
    values["overdue"] = args.get("overdue") == "1"
    # Dashboard cards: open=1, level=0..3, due_from/due_to (due-date window).
    values.update({k: (args.get(k) or "")[:100] for k in ("due_from", "due_to", "level")})
    values["open"] = args.get("open") == "1"
    parsed: dict = {}
    for name in ("date_from", "date_to", "due_from", "due_to"):
        try:
            parsed[name] = _parse_date_arg(values[name])
        except ValueError as exc:
            errors[name] = str(exc)
            parsed[name] = None
    for name in ("amount_min", "amount_max"):
        parsed[name] = None
        if values[name].strip():
            try:
                parsed[name] = parse_amount(values[name])
            except MoneyError as exc:
                errors[name] = str(exc)
    statuses = status.QUOTE_STATUSES if group == "quote" else (*status.INVOICE_STATUSES, status.ISSUED)
    filters = lists.DocumentFilters(
        group=group, kind=values["kind"] if values["kind"] in lists.INVOICE_KIND_FILTERS else "",
        status=values["status"] if values["status"] in statuses else "",
        client_id=_int_arg(values["client_id"]), date_from=parsed["date_from"], date_to=parsed["date_to"],
        overdue=values["overdue"] and group != "quote",
        open=values["open"] and group != "quote",
        level=int(values["level"]) if values["level"] in ("0", "1", "2", "3") and group != "quote" else None,
        due_from=parsed["due_from"], due_to=parsed["due_to"],
        amount_min_cents=parsed["amount_min"], amount_max_cents=parsed["amount_max"], q=values["q"],
        sort=values["sort"] if values["sort"] in lists.DOCUMENT_SORTS else "recent",
        page=args.get("page", 1, type=int) or 1,
        per_page=args.get("per_page", lists.PAGE_SIZE, type=int) or lists.PAGE_SIZE,  # capped by the list
    )
    return filters, values, errors


def parse_payment_filters(args) -> tuple[lists.PaymentFilters, dict, dict]:
    """Payment-list filters from the query string."""
    errors: dict[str, str] = {}
    values = {k: (args.get(k) or "")[:100] for k in ("q", "method", "client_id", "date_from", "date_to", "sort")}
    values["cancelled"] = args.get("cancelled") == "1"
    parsed = {}
    for name in ("date_from", "date_to"):
        try:
            parsed[name] = _parse_date_arg(values[name])
        except ValueError as exc:
            errors[name] = str(exc)
            parsed[name] = None
    filters = lists.PaymentFilters(
        date_from=parsed["date_from"], date_to=parsed["date_to"],
        method=values["method"] if values["method"] in {m.value for m in PAYMENT_METHOD_LABELS} else "",
        client_id=_int_arg(values["client_id"]), include_cancelled=values["cancelled"], q=values["q"],
        sort=values["sort"] if values["sort"] in lists.PAYMENT_SORTS else "recent",
        page=args.get("page", 1, type=int) or 1,
    )
    return filters, values, errors


# --- form tokens (double taps) ---------------------------------------------------------


def see_other(url: str):
    """303 to a URL after a POST; htmx gets HX-Redirect so the whole page changes."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def replay_of(token: str | None, fallback_url: str):
    """If this form token was already used (double tap, retry), the response to give again.

    None means first use: the caller acts, then calls `remember(token, url)` before its
    commit. A failed first attempt rolls back its claim, so the user can simply retry.
    """
    prior = idempotency.claim(current_user.company_id, token or "")
    if prior is None:
        return None
    db.session.rollback()
    return see_other(prior.result or fallback_url)


def remember(token: str | None, url: str) -> None:
    idempotency.remember_result(current_user.company_id, token or "", url)


def document_url(doc: Document) -> str:
    """The page of a quote, invoice or credit note."""
    if doc.kind == Kind.QUOTE:
        return url_for("quotes.detail", quote_id=doc.id)
    return url_for("invoices.detail", invoice_id=doc.id)


def frozen_response(doc: Document):
    """An issued document was asked to change (edit, delete, forged POST): say why, offer the
    way out (credit note or duplicate), change nothing. htmx callers are sent to the page,
    since htmx does not swap a 4xx answer."""
    if request.headers.get("HX-Request") == "true":
        flash(FROZEN_MESSAGE, "error")
        return see_other(document_url(doc))
    return render_template("documents/frozen.html", doc=doc, message=FROZEN_MESSAGE,
                           token=idempotency.new_token()), 409


# --- template helpers ----------------------------------------------------------------


def _event_details(event) -> str:
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
        parts.append(str(data["channel"]))
    return " · ".join(parts)


def _linked_document_id(event) -> int | None:
    data = event.data or {}
    for key in ("deposit_id", "final_id", "credit_note_id", "copy_id"):
        if data.get(key):
            return int(data[key])
    return None


TEMPLATE_GLOBALS = {
    "status_label": status.label,
    "status_badge": status.badge,
    "event_label": events.label,
    "event_details": _event_details,
    "event_link_id": _linked_document_id,
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


def init_blueprint(bp: Blueprint) -> None:
    """Make the document template helpers available (idempotent; several blueprints call it)."""
    bp.record_once(lambda state: state.app.jinja_env.globals.update(TEMPLATE_GLOBALS))
