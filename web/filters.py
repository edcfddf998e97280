"""List filters read from the query string (so every list is a plain, shareable GET URL)."""

from __future__ import annotations

from datetime import date, datetime

from domain.billing import lists, status
from domain.billing.models import PAYMENT_METHOD_LABELS
from domain.billing.money import MoneyError, parse_amount
from web.forms import DATE_MESSAGE
from web.tenancy import parse_id


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
