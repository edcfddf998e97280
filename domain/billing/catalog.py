"""The catalogue of frequent lines (prestations, fournitures), inserted in one tap."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from domain.billing.models import CatalogItem
from domain.billing.money import VAT_RATES_BP
from domain.core.errors import UserError
from domain.core.models import Company
from domain.core.paging import paginate
from domain.core.text import fold
from extensions import db

ITEM_KINDS = (("prestation", "Prestation"), ("fourniture", "Fourniture"))
PAGE_SIZE = 50
# A catalogue is a few dozen to a few hundred lines; search folds accents in Python so
# "electrique" finds "Tableau électrique" on SQLite and PostgreSQL alike. Past this size
# something is wrong and we stop looking rather than scan forever.
_SEARCH_SCAN_LIMIT = 5000


class CatalogError(UserError):
    """A catalogue rule refused the change; str(e) is French, `field` the form field."""


@dataclass(frozen=True)
class ItemInput:
    label: str
    kind: str = "prestation"
    description: str = ""
    unit: str = "u"
    unit_price_cents: int = 0
    vat_rate_bp: int = 2000


def _check(company: Company, data: ItemInput) -> None:
    if not data.label.strip():
        raise CatalogError("Saisissez la désignation.", field="label")
    if data.kind not in dict(ITEM_KINDS):
        raise CatalogError("Choisissez prestation ou fourniture.", field="kind")
    if data.unit_price_cents < 0:
        raise CatalogError("Le prix unitaire ne peut pas être négatif.", field="unit_price")
    if data.vat_rate_bp not in VAT_RATES_BP:
        raise CatalogError("Taux de TVA inconnu : 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.", field="vat_rate")
    if company.is_vat_franchise and data.vat_rate_bp != 0:
        raise CatalogError("En franchise en base (art. 293 B du CGI), vos lignes ne portent pas de TVA.",
                           field="vat_rate")


def _apply(item: CatalogItem, data: ItemInput) -> None:
    item.label = data.label.strip()[:300]
    item.kind = data.kind
    item.description = data.description.strip()
    item.unit = (data.unit or "u").strip()[:20]
    item.unit_price_cents = data.unit_price_cents
    item.vat_rate_bp = data.vat_rate_bp


def create_item(company: Company, data: ItemInput) -> CatalogItem:
    """Add a line to the catalogue."""
    _check(company, data)
    item = CatalogItem(company_id=company.id)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: CatalogItem, company: Company, data: ItemInput) -> CatalogItem:
    """Change a catalogue line (documents already written keep their own copy)."""
    _check(company, data)
    _apply(item, data)
    db.session.flush()
    return item


def set_archived(item: CatalogItem, archived: bool) -> CatalogItem:
    """Hide a line from the quick insert (or bring it back); nothing is deleted. The line."""
    item.archived = archived
    db.session.flush()
    return item


def get_item(company_id: int, item_id: int) -> CatalogItem | None:
    """A catalogue line of this company, or None (another company's id finds nothing)."""
    return db.session.scalar(select(CatalogItem).where(CatalogItem.id == item_id, CatalogItem.company_id == company_id))


def search_items(company_id: int, q: str = "", *, limit: int = 8) -> list[CatalogItem]:
    """Active lines whose label or description contains every typed word (accents ignored)."""
    items = db.session.scalars(
        select(CatalogItem).where(CatalogItem.company_id == company_id, CatalogItem.archived.is_(False))
        .order_by(func.lower(CatalogItem.label), CatalogItem.id).limit(_SEARCH_SCAN_LIMIT)
    ).all()
    words = fold(q).split()
    if not words:
        return list(items[:limit])
    found = []
    for item in items:
        key = fold(f"{item.label} {item.description}")
        if all(w in key for w in words):
            found.append(item)
            if len(found) >= limit:
                break
    return found


@dataclass(frozen=True)
class ItemPage:
    items: list[CatalogItem]
    total: int
    page: int
    pages: int


def list_items(company_id: int, *, archived: bool = False, page: int = 1) -> ItemPage:
    """The catalogue, by label, paginated."""
    stmt = select(CatalogItem).where(CatalogItem.company_id == company_id, CatalogItem.archived.is_(archived))
    items, total, page, pages = paginate(stmt, (func.lower(CatalogItem.label), CatalogItem.id), page, PAGE_SIZE)
    return ItemPage(items=items, total=total, page=page, pages=pages)
