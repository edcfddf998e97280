"""The lines editor of quotes and invoices: typed rows, parsing, a new row, catalogue search, live totals."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from domain.billing import catalog
from domain.billing.documents import MAX_LINES, LineInput, deductions_totals, deposits_of
from domain.billing.models import Document, DocumentLine, Kind, VatRegime
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
from web.tenancy import get_owned_or_404, parse_id

# Units an artisan uses; a unit typed elsewhere (catalogue, older document) is kept as is.
UNITS = ("u", "h", "jour", "forfait", "m²", "ml", "m", "m³", "kg", "lot", "ens.")


VAT_CHOICES = tuple((str(rate), vat_rate_label(rate)) for rate in VAT_RATES_BP)


_KEY_RE = re.compile(r"^[0-9a-z]{1,16}$")


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
    parsed = ParsedLines(rows=[], lines=[], errors=[])
    seen = set()
    for key in formdata.getlist("row"):
        if not _KEY_RE.match(key) or key in seen:
            continue
        seen.add(key)
        if len(parsed.rows) > MAX_LINES:
            parsed.errors.append(f"Un document est limité à {MAX_LINES} lignes.")
            break
        row = _typed_row(formdata, key, franchise=franchise)
        if row.is_section:
            if row.label:  # an empty title says nothing
                parsed.rows.append(row)
                parsed.lines.append(LineInput(label=row.label, kind="section"))
        elif row.label or row.description or row.unit_price:
            parsed.rows.append(row)
            line = _line_of(row, len(parsed.rows))
            parsed.errors += row.errors.values()
            if line is not None:
                parsed.lines.append(line)
    return parsed


def _typed_row(formdata, key: str, *, franchise: bool) -> LineRow:
    """One editor row exactly as typed (bounded lengths)."""
    def get(name: str, default: str = "") -> str:
        return (formdata.get(f"line-{key}-{name}") or default)[:1000]

    return LineRow(key=key, kind="section" if get("kind") == "section" else "item",
                   label=get("label").strip()[:300], description=get("description").strip(),
                   quantity=get("quantity").strip(), unit=get("unit", "u").strip()[:20] or "u",
                   unit_price=get("unit_price").strip(), discount=get("discount").strip(),
                   vat_rate=get("vat_rate", "0" if franchise else "2000").strip())


def _line_of(row: LineRow, number: int) -> LineInput | None:
    """The row's line, or None with its errors set on the row ("Ligne 3 : …" per field)."""
    def fail(name: str, message: str) -> None:
        row.errors[name] = f"Ligne {number} : {_lower_first(message)}"

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
    rate = int(row.vat_rate) if row.vat_rate.isascii() and row.vat_rate.isdigit() else None
    if rate not in VAT_RATES_BP:
        fail("vat_rate", "Choisissez un taux de TVA : 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.")
    if row.errors or rate is None:
        return None
    row.total_ht_cents = line_total_cents(values["quantity"], values["unit_price"], values["discount"])
    return LineInput(label=row.label, description=row.description, quantity_milli=values["quantity"], unit=row.unit,
                     unit_price_cents=values["unit_price"], discount_bp=values["discount"], vat_rate_bp=rate)


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
