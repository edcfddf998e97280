"""Query plans that keep big companies fast (bench: 100,000 invoices, `make bench`).

SQLite has no statistics unless someone runs ANALYZE, so its planner picks indexes by
shape, not size: the same plan on a test database as on a large one. These tests run
EXPLAIN QUERY PLAN on what the dashboard, the lists and the invoice and client pages
actually send, and check that
- collections queries read the open invoices through the partial index ix_documents_open
  (they must spell its condition exactly, with a literal 0: domain.status.open_terms);
- payments of one invoice or one client come through their own index, never by walking the
  whole company's payments in date order;
- a client's reminders are found through its documents, not through every send of the company.
"""

import pytest
from sqlalchemy import event

from domain.billing import lists
from domain.billing.lists import DocumentFilters
from domain.collections import dashboard
from extensions import db
from tests.support.config import ON_POSTGRES
from tests.support.dashboard_dataset import T, build_dataset

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite query plans")


class Plans:
    def __init__(self):
        self.captured = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._capture)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._capture)

    def _capture(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            self.captured.append((statement, parameters))

    def explain(self) -> list[tuple[str, str]]:
        """(statement, its plan as one string) for everything captured."""
        raw = db.session.connection().connection.driver_connection
        out = []
        for statement, parameters in self.captured:
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
            out.append((statement, plan))
        return out


@pytest.fixture
def data(app):
    with app.app_context():
        yield build_dataset()
        db.session.rollback()


def _plans_of(call) -> list[tuple[str, str]]:
    with Plans() as plans:
        call()
    return plans.explain()


def test_dashboard_reads_open_invoices_through_the_partial_index(data):
    plans = _plans_of(lambda: dashboard.dashboard(data["company"], T))
    on_documents = [(s, p) for s, p in plans if "credited_cents > 0" in s]  # open_terms() spelled out
    assert len(on_documents) >= 3  # money cards, late clients, plan of the day
    for statement, plan in on_documents:
        assert "ix_documents_open" in plan, (statement[:120], plan)
    for statement, plan in plans:
        assert "SCAN documents" not in plan and "ix_documents_company_client" not in plan, (statement[:120], plan)
        assert "SCAN payments" not in plan, (statement[:120], plan)


def test_overdue_and_open_lists_use_the_partial_index(data):
    company_id = data["company"].id
    for filters in (DocumentFilters(overdue=True, per_page=50), DocumentFilters(open=True),
                    DocumentFilters(status="partiellement_payee")):
        plans = _plans_of(lambda filters=filters: lists.list_documents(company_id, filters, today=T))
        counted = [p for s, p in plans if "count(documents.id)" in s]
        assert counted and "ix_documents_open" in counted[0], (filters, counted)


def test_payments_of_an_invoice_and_a_client_use_their_own_indexes(data):
    invoice = data["invoices"]["4"]
    alpha = data["clients"]["Alpha"]
    plans = _plans_of(lambda: (lists.payments_of(invoice),
                               dashboard.client_activity(data["company"].id, alpha.id, T)))
    on_payments = [(s, p) for s, p in plans if "FROM payments" in s]
    assert on_payments
    for statement, plan in on_payments:
        assert "ix_payments_company_paid_on" not in plan, (statement[:120], plan)
    reminders_sent = [p for s, p in plans if "FROM sends" in s]
    assert reminders_sent and all("ix_sends_company_status" not in p for p in reminders_sent), reminders_sent


def test_the_open_terms_match_the_index_condition():
    """The SQL of open_terms() is the index's WHERE clause, term for term (literal 0)."""
    from domain.billing.models import OPEN_SQL
    from domain.billing.status import open_terms

    compiled = [str(t.compile(compile_kwargs={"literal_binds": True})).replace("documents.", "") for t in open_terms()]
    # (a - b) - c is a - b - c: the same expression tree for SQLite
    assert " AND ".join(compiled).replace("(", "").replace(")", "") == OPEN_SQL
