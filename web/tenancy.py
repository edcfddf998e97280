"""Tenancy: every row a page shows belongs to the logged-in user's company; ids are bounded."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from domain.core import clock
from domain.core.accounts import security_log
from extensions import db

M = TypeVar("M")


# The largest id: ids are INTEGER columns (PostgreSQL int4). A larger number typed into a
# URL or a form must stop here: PostgreSQL refuses it ("integer out of range") and SQLite
# cannot even bind one above 2**63 (OverflowError), both a 500.
DB_INT_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to a database id: /clients/99999999999999999999 is a 404, not a 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(value) -> int | None:
    """An id from a query string or a form (ASCII digits a database can hold), else None.

    Usable as `request.args.get(name, type=parse_id)`."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > DB_INT_MAX:
        return None
    return int(text)


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


def company_today() -> date:
    """Today in the company's time zone (an invoice issued at 00:30 in Paris is dated that day)."""
    return clock.today_in(current_user.company.timezone)
