"""The category of the operation: goods, services or both, a mention every invoice carries
from 1 September 2027 for SMEs (décret 2022-1299 as amended by décret 2024-266, CGI ann. II
art. 242 nonies A). It is also the letter of the e-invoice's "cadre de facturation" (BT-23:
B, S or M, rule BR-FR-08).

A per-document choice. Left on "from the lines" (NULL on a draft), the category is derived
from the lines, and frozen on the document when it is issued. The rule:

- an artisan's work is a service: building and repair work ("travaux immobiliers") is a
  supply of services for VAT (CGI art. 256, 256 IV; BOI-TVA-CHAMP-10-10-40), even when the
  materials are included. So a line is a service unless something says it is goods;
- a line is goods when its designation is the one of a catalogue line of kind
  "fourniture" (what the artisan declared as a supply of goods), or when it is counted by
  weight or volume (kg, t, l, m³), which is how materials are sold, never work;
- a line whose designation is a catalogue "prestation" is a service whatever its unit;
- all goods → "goods"; goods and services → "mixed"; otherwise → "services".

Deposit invoices, final invoices and credit notes take the category of the quote or
invoice they come from (a deposit line "Acompte de 30 %" says nothing of what is sold).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from domain.billing.models import CatalogItem, Document
from domain.core.text import fold
from extensions import db
from output.views import OPERATION_CATEGORIES, OPERATION_CATEGORY_LABELS

GOODS, SERVICES, MIXED = OPERATION_CATEGORIES
CATEGORIES = OPERATION_CATEGORIES
LABELS = OPERATION_CATEGORY_LABELS  # as printed on the PDF
# Units materials are sold by (never work): weight and volume.
GOODS_UNITS = frozenset({"kg", "t", "l", "m³", "m3"})
CATALOG_KINDS = {"fourniture": GOODS, "prestation": SERVICES}


def _key(label: str) -> str:
    return " ".join(fold(label or "").split())


def catalog_kinds(company_id: int) -> dict[str, str]:
    """Folded designation → category, for the company's catalogue lines (archived included:
    a line inserted last year still says what it was)."""
    rows = db.session.execute(select(CatalogItem.label, CatalogItem.kind).where(
        CatalogItem.company_id == company_id)).all()
    return {_key(label): CATALOG_KINDS[kind] for label, kind in rows if kind in CATALOG_KINDS}


def line_category(label: str, unit: str, catalog: dict[str, str]) -> str:
    """GOODS or SERVICES for one line (see the module docstring)."""
    known = catalog.get(_key(label))
    if known is not None:
        return known
    if (unit or "").strip().lower() in GOODS_UNITS:
        return GOODS
    return SERVICES


def from_lines(lines: Iterable, catalog: dict[str, str]) -> str:
    """The category of a set of lines (objects with kind, label and unit)."""
    found = {line_category(line.label, line.unit, catalog) for line in lines if line.kind != "section"}
    if found == {GOODS}:
        return GOODS
    if GOODS in found:
        return MIXED
    return SERVICES


def of_document(doc: Document) -> str:
    """The document's category: chosen (or frozen at issue), else from its source, else from its lines."""
    if doc.operation_category in CATEGORIES:
        return doc.operation_category
    source = doc.credited or doc.quote
    if source is not None and source is not doc:
        return of_document(source)
    return from_lines(doc.lines, catalog_kinds(doc.company_id))


def check(value: str | None) -> str | None:
    """A category typed in a form: one of CATEGORIES, or None for "from the lines"."""
    if value in (None, ""):
        return None
    if value not in CATEGORIES:
        raise ValueError(value)
    return value
