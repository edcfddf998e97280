"""List queries for quotes, invoices and payments: filters, search, sort, pagination,
and the count and totals of the whole filtered set.

Each list costs a constant number of SQL statements whatever the page size: one
aggregate (count and sums over the filtered set) and one page query that joins the
client (contains_eager), so rendering the rows never lazy-loads anything. Statuses come
from domain.status's SQL expressions, evaluated for "today", so a filter never shows a
stale status.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import contains_eager, defer, load_only

from domain.billing import status
from domain.billing.models import INVOICE_KINDS, Document, Kind, Payment
from domain.core import dataversion
from domain.core.models import Client, Event
from domain.core.text import like_pattern
from extensions import db

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

# A list row never shows the parties' snapshot, the VAT breakdown nor the deductions (JSON
# decoded for each row, ~1.5 kB of the ~2 kB row): not loaded, and an error if a template
# starts reading them, rather than a query per row.
LIST_ROW_OPTIONS = tuple(defer(column, raiseload=True)
                         for column in (Document.snapshot, Document.vat_breakdown, Document.deductions))
# The quote and invoice lists load only what their rows show (each column loaded is converted
# for each row: ten timestamps among the ~45 columns); anything else raises instead of
# loading row by row.
LIST_PAGE_OPTIONS = (
    load_only(Document.id, Document.company_id, Document.client_id, Document.kind, Document.version,
              Document.number, Document.issued_at, Document.issue_date, Document.due_date, Document.validity_date,
              Document.created_at, Document.subject, Document.total_ttc_cents, Document.net_cents,
              Document.paid_cents, Document.credited_cents, Document.reminder_level, Document.last_reminder_at,
              raiseload=True),
    contains_eager(Document.client).load_only(Client.id, Client.name, raiseload=True),
)

# Sort keys offered in the lists (value -> label). "age" is the issue date: oldest first.
DOCUMENT_SORTS = {
    "recent": "Plus récents",
    "due": "Échéance la plus proche",
    "due_desc": "Échéance la plus lointaine",
    "amount_desc": "Montant décroissant",
    "amount": "Montant croissant",
    "age": "Plus anciens d'abord",
}
PAYMENT_SORTS = {"recent": "Plus récents", "oldest": "Plus anciens", "amount_desc": "Montant décroissant"}

# What the invoice list shows by default: invoices (deposit, final, standalone). Credit
# notes have their own filter value; quotes have their own list.
INVOICE_KIND_FILTERS = {
    "": "Toutes les factures",
    Kind.INVOICE.value: "Factures simples",
    Kind.DEPOSIT.value: "Factures d'acompte",
    Kind.FINAL.value: "Factures de solde",
    Kind.CREDIT_NOTE.value: "Avoirs",
}


@dataclass(frozen=True)
class DocumentFilters:
    """What the user asked for in a quote or invoice list (all optional)."""

    group: str = "invoice"  # "quote" or "invoice"
    kind: str = ""  # invoices only: one of INVOICE_KIND_FILTERS
    status: str = ""
    client_id: int | None = None
    date_from: date | None = None  # issue date, inclusive
    date_to: date | None = None
    overdue: bool = False
    # From the dashboard cards: still to be paid, reminder level, due-date window (inclusive).
    open: bool = False
    level: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    q: str = ""
    sort: str = "recent"
    page: int = 1
    per_page: int = PAGE_SIZE


@dataclass(frozen=True)
class DocumentRow:
    """One line of a list: the document and its status as of the list's day."""

    doc: Document
    status: str


@dataclass(frozen=True)
class DocumentPage:
    """One page of a filtered list, with the count and the sums of the whole filtered set."""

    rows: list[DocumentRow]
    total: int  # documents in the filtered set (all pages)
    amount_cents: int  # sum of the amounts of the filtered set (quotes: TTC; invoices: net, credit notes deducted)
    remaining_cents: int  # sum of what is left to pay on the filtered set (invoices)
    page: int
    pages: int
    today: date


def _amount_expr(group: str):
    # An invoice's amount is what it asks to be paid (net: a final invoice minus its
    # deposits); a quote's is its TTC total.
    return Document.total_ttc_cents if group == "quote" else Document.net_cents


def remaining_expr():
    """Left to pay on an issued invoice, 0 otherwise (quotes, credit notes, drafts)."""
    return case(
        (and_(Document.kind.in_(INVOICE_KINDS), Document.issued_at.is_not(None)),
         Document.net_cents - Document.paid_cents - Document.credited_cents),
        else_=0,
    )


def _kind_condition(f: DocumentFilters):
    """Quotes, one kind of invoice, or every kind of invoice."""
    if f.group == "quote":
        return Document.kind == Kind.QUOTE
    if f.kind in INVOICE_KIND_FILTERS and f.kind:
        return Document.kind == f.kind
    return Document.kind.in_(INVOICE_KINDS)


def _status_conditions(f: DocumentFilters, status_col, today: date) -> list:
    conditions = []
    # An invoice is "en retard" exactly when it is open (something left to pay: neither paid nor
    # cancelled) and due before today: the conditions below say it on the open-invoice index
    # without computing every row's status (the whole cost of the overdue list otherwise).
    late_by_terms = f.group != "quote" and f.kind != Kind.CREDIT_NOTE and (f.overdue or f.status == status.LATE)
    if f.status and not (late_by_terms and f.status == status.LATE):
        conditions.append(status_col == f.status)
    if f.overdue and not late_by_terms:
        conditions.append(status_col == status.LATE)
    if f.open or f.overdue or f.status in status.OPEN_INVOICE_STATUSES:
        # Implied by these filters; spelled out so that the database reads only the open
        # invoices (partial index ix_documents_open) instead of computing every status.
        conditions += status.open_terms()
    if f.overdue or f.status == status.LATE:
        conditions.append(Document.due_date < today)
    return conditions


def _document_conditions(company_id: int, f: DocumentFilters, status_col, today: date) -> list:
    conditions = [Document.company_id == company_id, _kind_condition(f), *_status_conditions(f, status_col, today)]
    if f.level is not None:
        conditions.append(Document.reminder_level == f.level)
    for value, column, compare in ((f.due_from, Document.due_date, operator.ge),
                                   (f.due_to, Document.due_date, operator.le),
                                   (f.client_id, Document.client_id, operator.eq),
                                   (f.date_from, Document.issue_date, operator.ge),
                                   (f.date_to, Document.issue_date, operator.le)):
        if value is not None:
            conditions.append(compare(column, value))
    amount = _amount_expr(f.group)
    if f.amount_min_cents is not None:
        conditions.append(amount >= f.amount_min_cents)
    if f.amount_max_cents is not None:
        conditions.append(amount <= f.amount_max_cents)
    q = f.q.strip()
    if q:
        pattern = like_pattern(q)
        conditions.append(or_(
            func.lower(Document.number).like(pattern, escape="\\"),
            Client.search_key.like(pattern, escape="\\"),
        ))
    return conditions


ORDERED_SORTS = ("due", "due_desc", "amount", "amount_desc", "age")  # "recent" (default): see list_documents


def _document_order(f: DocumentFilters) -> list:
    amount = _amount_expr(f.group)
    orders = {
        "due": [Document.due_date.asc().nulls_last()],
        "due_desc": [Document.due_date.desc().nulls_last()],
        "amount": [amount.asc()],
        "amount_desc": [amount.desc()],
        "age": [Document.issue_date.asc().nulls_last()],
    }
    # Default: drafts (no issue date yet) first, then the most recently issued: on the same
    # day, the last issued first, which is number order (not creation order: a draft created
    # earlier may be issued later and take the later number).
    chosen = orders.get(f.sort, [Document.issue_date.desc().nulls_first(), Document.issued_at.desc().nulls_first()])
    return [*chosen, Document.id.desc()]


def list_documents(company_id: int, f: DocumentFilters, *, today: date) -> DocumentPage:
    """One page of quotes or invoices matching the filters, with count and totals of them all."""
    if f.group == "quote":
        status_col = status.quote_status_expr(today)
    elif f.kind == Kind.CREDIT_NOTE:
        status_col = status.status_expr(today)
    else:  # invoices only: the invoice statuses, read from the open-invoice index when filtered so
        status_col = status.invoice_status_expr(today)
    conditions = _document_conditions(company_id, f, status_col, today)
    per_page = min(max(1, f.per_page), MAX_PAGE_SIZE)

    def filtered(*columns):
        stmt = select(*columns).select_from(Document)
        if f.q.strip():  # the search also looks at the client's name
            stmt = stmt.join(Client, Client.id == Document.client_id)
        return stmt.where(*conditions)

    # The total says what was invoiced: credit notes deducted, so a cancelled invoice adds nothing.
    amount = _amount_expr(f.group) if f.group == "quote" or f.kind == Kind.CREDIT_NOTE else (
        Document.net_cents - Document.credited_cents)

    def totals() -> tuple[int, int, int, int]:
        count, amount_sum, remaining, drafts = db.session.execute(
            filtered(func.count(Document.id), func.coalesce(func.sum(amount), 0),
                     func.coalesce(func.sum(remaining_expr()), 0),
                     func.coalesce(func.sum(case((Document.issue_date.is_(None), 1), else_=0)), 0))
        ).one()
        return int(count), int(amount_sum), int(remaining), int(drafts)

    # The count and sums of the whole filtered set read every matching row (all the company's
    # invoices for the default list): kept in the figures cache, exact by construction
    # (domain/core/dataversion.py), keyed by the filters without the page and the order.
    total, amount_sum, remaining_sum, drafts = dataversion.figures.get_or_compute(
        company_id, today, ("document_totals", replace(f, sort="", page=1, per_page=0)), totals)
    pages = max(1, -(-total // per_page))
    page = min(max(1, f.page), pages)

    # The page's ids first (sorted on index columns only), then those rows in full: sorting
    # thousands of full rows to keep 50 costs ten times more.
    start = (page - 1) * per_page
    if f.sort in ORDERED_SORTS:
        page_ids = filtered(Document.id).order_by(*_document_order(f)).limit(per_page).offset(start)
    else:
        # The default order (drafts first, then the most recently issued, in number order within
        # a day) in two parts, each read in the order of ix_documents_company_issue instead of
        # sorting every document of the company (no database reads "DESC NULLS FIRST" from an
        # index): the drafts, then the
        # issued ones, with the count of drafts in the set (from the totals) to page across both.
        parts = []
        from_drafts = max(0, min(per_page, drafts - start))
        if from_drafts:
            parts.append(filtered(Document.id).where(Document.issue_date.is_(None))
                         .order_by(Document.id.desc()).limit(from_drafts).offset(start))
        if from_drafts < per_page:
            parts.append(filtered(Document.id).where(Document.issue_date.is_not(None))
                         .order_by(Document.issue_date.desc(), Document.issued_at.desc(), Document.id.desc())
                         .limit(per_page - from_drafts).offset(max(0, start - drafts)))
        page_ids = union_all(*(select(part.subquery().c.id) for part in parts))
    # Which documents are on the page is cached like the totals (an overdue list sorts thousands
    # of open invoices to find them); the rows themselves are read each time.
    ids = dataversion.figures.get_or_compute(
        company_id, today, ("document_page", replace(f, page=page, per_page=per_page)),
        lambda: tuple(db.session.scalars(page_ids)))
    rows = db.session.execute(
        select(Document, status_col.label("status"))
        .join(Client, Client.id == Document.client_id)
        .options(*LIST_PAGE_OPTIONS)
        .where(Document.id.in_(ids))
        .order_by(*_document_order(f))
    ).all()
    return DocumentPage(
        rows=[DocumentRow(doc, st) for doc, st in rows], total=total, amount_cents=int(amount_sum),
        remaining_cents=int(remaining_sum), page=page, pages=pages, today=today,
    )


# --- documents around one document or client ----------------------------------------


def related_invoices(quote: Document, *, today: date) -> list[DocumentRow]:
    """Deposit and final invoices of a quote (drafts included), oldest first, with status."""
    rows = db.session.execute(
        select(Document, status.invoice_status_expr(today))
        .where(Document.company_id == quote.company_id, Document.quote_id == quote.id,
               Document.kind.in_((Kind.DEPOSIT, Kind.FINAL)))
        .order_by(Document.id)
    ).all()
    return [DocumentRow(doc, st) for doc, st in rows]


def credit_notes_of(invoice: Document) -> list[Document]:
    """Credit notes (drafts included) referencing an invoice, oldest first."""
    return list(db.session.scalars(
        select(Document).where(Document.company_id == invoice.company_id, Document.credited_id == invoice.id,
                               Document.kind == Kind.CREDIT_NOTE).order_by(Document.id)
    ))


def client_documents(company_id: int, client_id: int, *, today: date, limit: int = 50) -> list[DocumentRow]:
    """A client's quotes, invoices and credit notes, newest first, with status."""
    rows = db.session.execute(
        select(Document, status.status_expr(today)).options(*LIST_ROW_OPTIONS)
        .where(Document.company_id == company_id, Document.client_id == client_id)
        .order_by(Document.issue_date.desc().nulls_first(), Document.id.desc())
        .limit(limit)
    ).all()
    return [DocumentRow(doc, st) for doc, st in rows]


def document_events(doc: Document) -> list[Event]:
    """The document's history, oldest first (actors are joined by the relationship)."""
    return list(db.session.scalars(
        select(Event).where(Event.company_id == doc.company_id, Event.document_id == doc.id)
        .order_by(Event.at, Event.id)
    ).unique())


def payments_of(invoice: Document) -> list[Payment]:
    """Payments recorded on an invoice (cancelled ones included), oldest first."""
    return list(db.session.scalars(
        select(Payment).where(Payment.company_id == invoice.company_id, Payment.document_id == invoice.id)
        .order_by(Payment.paid_on, Payment.id)
    ))


# --- payments -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilters:
    date_from: date | None = None  # paid_on, inclusive
    date_to: date | None = None
    method: str = ""
    client_id: int | None = None
    include_cancelled: bool = False
    q: str = ""  # invoice number or client name
    sort: str = "recent"
    page: int = 1
    per_page: int = PAGE_SIZE


@dataclass(frozen=True)
class PaymentPage:
    items: list[Payment]
    total: int
    amount_cents: int  # sum of the non-cancelled payments of the filtered set
    cancelled: int  # cancelled payments in the filtered set
    page: int
    pages: int
    by_method: dict[str, int] = field(default_factory=dict)  # non-cancelled sums per method


def list_payments(company_id: int, f: PaymentFilters) -> PaymentPage:
    """One page of payments matching the filters, with the count and sums of them all."""
    conditions = [Payment.company_id == company_id]
    if not f.include_cancelled:
        conditions.append(Payment.cancelled_at.is_(None))
    if f.date_from is not None:
        conditions.append(Payment.paid_on >= f.date_from)
    if f.date_to is not None:
        conditions.append(Payment.paid_on <= f.date_to)
    if f.method:
        conditions.append(Payment.method == f.method)
    if f.client_id is not None:
        conditions.append(Payment.client_id == f.client_id)
    if f.q.strip():
        pattern = like_pattern(f.q.strip())
        conditions.append(or_(func.lower(Document.number).like(pattern, escape="\\"),
                              Client.search_key.like(pattern, escape="\\")))
    per_page = min(max(1, f.per_page), MAX_PAGE_SIZE)

    def base(*cols):
        return (select(*cols).select_from(Payment)
                .join(Document, Document.id == Payment.document_id)
                .join(Client, Client.id == Payment.client_id)
                .where(*conditions))

    live = Payment.cancelled_at.is_(None)
    by_method_rows = db.session.execute(
        base(Payment.method, func.count(Payment.id),
             func.coalesce(func.sum(case((live, Payment.amount_cents), else_=0)), 0),
             func.coalesce(func.sum(case((live, 0), else_=1)), 0))
        .group_by(Payment.method)
    ).all()
    total = sum(int(r[1]) for r in by_method_rows)
    amount = sum(int(r[2]) for r in by_method_rows)
    cancelled = sum(int(r[3]) for r in by_method_rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, f.page), pages)
    orders: dict[str, list] = {
        "oldest": [Payment.paid_on.asc(), Payment.id.asc()],
        "amount_desc": [Payment.amount_cents.desc(), Payment.id.desc()],
    }
    order = orders.get(f.sort, [Payment.paid_on.desc(), Payment.id.desc()])
    items = db.session.scalars(
        base(Payment)
        .options(contains_eager(Payment.document), contains_eager(Payment.client))
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return PaymentPage(items=list(items), total=total, amount_cents=amount, cancelled=cancelled, page=page,
                       pages=pages, by_method={r[0]: int(r[2]) for r in by_method_rows if int(r[2])})


CLIENT_FILTER_MAX = 200  # beyond, a drop-down is unusable (and weighs ~45 bytes a client)


class ClientChoices(list):
    """(id, name) pairs for the client filter; `complete` is False when the company has too many
    clients for a drop-down: then only the selected one is listed (the search box finds
    clients by name)."""

    complete = True


def clients_for_filter(company_id: int, selected_id: int | None = None) -> ClientChoices:
    """(id, name) of the company's clients for the client filter of the lists, or only the
    selected one (the filters' parsed client id) when there are more than CLIENT_FILTER_MAX."""
    scoped = select(Client.id).where(Client.company_id == company_id)
    count = db.session.scalar(select(func.count()).select_from(scoped.limit(CLIENT_FILTER_MAX + 1).subquery())) or 0
    if count <= CLIENT_FILTER_MAX:
        return ClientChoices((cid, name) for cid, name in db.session.execute(
            select(Client.id, Client.name).where(Client.company_id == company_id)
            .order_by(func.lower(Client.name), Client.id)))
    choices = ClientChoices()
    choices.complete = False
    if selected_id is not None:
        choices.extend((cid, name) for cid, name in db.session.execute(
            select(Client.id, Client.name).where(Client.company_id == company_id, Client.id == selected_id)))
    return choices
