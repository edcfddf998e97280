"""One page of a query: the rows, the total and the page count (page clamped to what exists)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from extensions import db


def paginate(stmt: Select, order_by, page: int, page_size: int) -> tuple[list, int, int, int]:
    """(rows, total, page, pages) of `stmt` ordered by `order_by`; page 1 when there is none."""
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = db.session.scalars(stmt.order_by(*order_by).limit(page_size).offset((page - 1) * page_size)).all()
    return list(rows), total, page, pages
