"""What the bank pages show: lines by state, a page at a time, with the invoices they name.

A constant number of indexed queries whatever the number of lines: the counts per state, one
page of lines (ix_bank_lines_company_state_date), the invoices their proposals and allocations
name, the last imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select

from domain.banking.matching import EXACT
from domain.banking.models import DEBIT, IGNORED, MATCHED, UNMATCHED, BankAllocation, BankLine, BankStatement
from domain.billing.models import INVOICE_KINDS, Document
from domain.billing.status import open_terms
from domain.core.models import Client
from extensions import db

PER_PAGE = 50
MAX_PAGE = 10_000
RECENT_IMPORTS = 5
MAX_CLIENT_CHOICES = 300

# The tabs of the page: URL value → (state, French label).
VIEWS = {
    "a-rapprocher": (UNMATCHED, "À rapprocher"),
    "rapprochees": (MATCHED, "Rapprochées"),
    "de-cote": (IGNORED, "Mises de côté"),
    "debits": (DEBIT, "Débits (ignorés)"),
}
DEFAULT_VIEW = "a-rapprocher"


@dataclass(frozen=True)
class InvoiceBrief:
    """An invoice as a bank line shows it."""

    id: int
    number: str
    client_id: int
    client_name: str
    remaining_cents: int
    due_date: date | None


@dataclass
class LinePage:
    view: str
    items: list[BankLine]
    total: int
    page: int
    pages: int
    counts: dict[str, tuple[int, int]]  # view → (count, cents)
    exact: int = 0  # waiting lines whose proposal is exact and within what is due (one tap confirms them all)
    invoices: dict[int, InvoiceBrief] = field(default_factory=dict)
    allocations: dict[int, list[BankAllocation]] = field(default_factory=dict)  # line id → active allocations

    def stale(self, line: BankLine) -> bool:
        """The proposal asks more of an invoice than it owes now (paid since): to refresh."""
        return any(self.invoices.get(i) is None or self.invoices[i].remaining_cents < c for i, c in line.proposed)


def invoice_briefs(company_id: int, ids) -> dict[int, InvoiceBrief]:
    """Number, client and what is left to pay of the company's invoices among `ids`."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    d = Document
    rows = db.session.execute(
        select(d.id, d.number, d.client_id, Client.name, d.net_cents - d.paid_cents - d.credited_cents, d.due_date)
        .join(Client, Client.id == d.client_id)
        .where(d.company_id == company_id, d.id.in_(ids))).all()
    return {row[0]: InvoiceBrief(row[0], row[1] or "", row[2], row[3], row[4], row[5]) for row in rows}


def active_allocations(company_id: int, line_ids) -> dict[int, list[BankAllocation]]:
    """The allocations of matched lines that were not undone, by line id."""
    line_ids = list(line_ids)
    if not line_ids:
        return {}
    found: dict[int, list[BankAllocation]] = {}
    for allocation in db.session.scalars(
            select(BankAllocation).where(BankAllocation.company_id == company_id, BankAllocation.line_id.in_(line_ids),
                                         BankAllocation.undone_at.is_(None)).order_by(BankAllocation.id)):
        found.setdefault(allocation.line_id, []).append(allocation)
    return found


def _counts(company_id: int) -> tuple[dict[str, tuple[int, int]], int]:
    """(count, sum in cents) of lines per view, and the waiting lines with an exact proposal
    within what is due (one grouped query on the covering index ix_bank_lines_company_state_date)."""
    exact = case((and_(BankLine.match_kind == EXACT, BankLine.over_balance_cents == 0), 1), else_=0)
    rows = db.session.execute(
        select(BankLine.state, func.count(), func.coalesce(func.sum(BankLine.amount_cents), 0), func.sum(exact))
        .where(BankLine.company_id == company_id).group_by(BankLine.state)).all()
    by_state = {state: (count, int(cents)) for state, count, cents, _exact in rows}
    exact_waiting = next((int(n or 0) for state, _c, _s, n in rows if state == UNMATCHED), 0)
    return {view: by_state.get(state, (0, 0)) for view, (state, _label) in VIEWS.items()}, exact_waiting


def counts(company_id: int) -> dict[str, tuple[int, int]]:
    """(count, sum in cents) of lines per view."""
    return _counts(company_id)[0]


def list_lines(company_id: int, view: str, page: int = 1, *, statement_id: int | None = None,
               per_page: int = PER_PAGE) -> LinePage:
    """One page of a view's lines, newest first (or one import's lines, in the file's order)."""
    view = view if view in VIEWS else DEFAULT_VIEW
    query = select(BankLine).where(BankLine.company_id == company_id)
    if statement_id is not None:
        query = query.where(BankLine.statement_id == statement_id).order_by(BankLine.booking_date.desc(),
                                                                          BankLine.id.desc())
        total = db.session.scalar(select(func.count(BankLine.id)).where(
            BankLine.company_id == company_id, BankLine.statement_id == statement_id)) or 0
    else:
        state = VIEWS[view][0]
        query = query.where(BankLine.state == state).order_by(BankLine.booking_date.desc(), BankLine.id.desc())
    all_counts, exact = _counts(company_id)
    if statement_id is None:
        total = all_counts[view][0]
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages, MAX_PAGE)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    result = LinePage(view, items, total, page, pages, all_counts, exact=exact)
    matched = [line.id for line in items if line.state == MATCHED]
    result.allocations = active_allocations(company_id, matched)
    wanted = [i for line in items if line.state == UNMATCHED for i, _c in line.proposed]
    wanted += [a.document_id for allocations in result.allocations.values() for a in allocations]
    result.invoices = invoice_briefs(company_id, wanted)
    return result


def recent_imports(company_id: int, limit: int = RECENT_IMPORTS) -> list[BankStatement]:
    """The last imports, newest first."""
    return list(db.session.scalars(
        select(BankStatement).where(BankStatement.company_id == company_id)
        .order_by(BankStatement.imported_at.desc(), BankStatement.id.desc()).limit(limit)))


def clients_with_open_invoices(company_id: int, also: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the clients who owe something (the split screen's choice), by name."""
    d = Document
    owing = (select(d.client_id).where(d.company_id == company_id, d.kind.in_(INVOICE_KINDS), *open_terms())
             .distinct().subquery())
    rows = db.session.execute(
        select(Client.id, Client.name).where(Client.company_id == company_id,
                                             Client.id.in_(select(owing.c.client_id)) | (Client.id == (also or -1)))
        .order_by(func.lower(Client.name)).limit(MAX_CLIENT_CHOICES)).all()
    return [(row[0], row[1]) for row in rows]


def open_invoices_of(company_id: int, client_id: int) -> list[InvoiceBrief]:
    """A client's invoices with something left to pay, oldest due first."""
    d = Document
    rows = db.session.execute(
        select(d.id, d.number, d.client_id, Client.name, d.net_cents - d.paid_cents - d.credited_cents, d.due_date)
        .join(Client, Client.id == d.client_id)
        .where(d.company_id == company_id, d.client_id == client_id, d.kind.in_(INVOICE_KINDS), *open_terms())
        .order_by(d.due_date, d.number)).all()
    return [InvoiceBrief(id=i, number=number or "", client_id=client_id, client_name=name, remaining_cents=remaining,
                         due_date=due) for i, number, client_id, name, remaining, due in rows]
