"""List queries: filters, search, sort, pagination, totals of the filtered set, and a
constant number of SQL statements whatever the page size."""

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from domain.billing import documents as docs
from domain.billing import lists, payments, status
from domain.billing.documents import LineInput
from domain.billing.lists import DocumentFilters, PaymentFilters
from domain.billing.models import Document, Kind, PaymentMethod
from domain.billing.payments import PaymentInput
from domain.core import dataversion
from extensions import db
from tests.support.builders import (
    accepted_quote,
    issued,
    make_client,
    make_company,
    make_invoice,
    make_quote,
    make_user,
)

TODAY = date(2026, 11, 23)


def lines(ht_cents: int, rate: int = 2000) -> list[LineInput]:
    return [LineInput(label="Travaux", unit_price_cents=ht_cents, vat_rate_bp=rate)]


@pytest.fixture
def data(app):
    """Invoices with hand-computed amounts (TTC at 20 %: HT x 1.2):

    A1 Hélène  1 200,00  issued 2026-09-01, due 2026-10-01 -> late, nothing paid
    A2 Hélène    600,00  issued 2026-11-20, due 2026-12-20 -> partial (200 paid), remaining 400
    B1 Bâtir   2 400,00  issued 2026-10-15, due 2026-11-14 -> paid
    B2 Bâtir     120,00  issued 2026-11-22, sent            -> sent
    D  Hélène    360,00  draft
    plus one quote per status, and another company's invoice that must never appear.
    """
    with app.app_context():
        company = make_company()
        user = make_user(company)
        helene = make_client(company, name="Hélène Dupont")
        batir = make_client(company, name="Bâtir Ensemble SAS", kind="professionnel", email="b@example.fr",
                            siren="552100554", vat_number="FR44552100554")
        a1 = issued(make_invoice(company, helene, user, lines=lines(100000)), user, date(2026, 9, 1))
        b1 = issued(make_invoice(company, batir, user, lines=lines(200000)), user, date(2026, 10, 15))
        a2 = issued(make_invoice(company, helene, user, lines=lines(50000)), user, date(2026, 11, 20))
        b2 = issued(make_invoice(company, batir, user, lines=lines(10000)), user, date(2026, 11, 22))
        draft = make_invoice(company, helene, user, lines=lines(30000))
        payments.record_payment(a2, user, PaymentInput(20000, date(2026, 11, 21), PaymentMethod.CHEQUE), today=TODAY)
        payments.record_payment(b1, user, PaymentInput(240000, date(2026, 11, 10), PaymentMethod.TRANSFER), today=TODAY)
        docs.mark_sent(b2, user)
        # quotes: draft, pending, accepted, refused, expired
        make_quote(company, helene, user)
        issued(make_quote(company, batir, user, today=TODAY), user, TODAY)
        accepted_quote(company, helene, user)
        refused = issued(make_quote(company, batir, user), user)
        docs.refuse_quote(refused, user, reason="Trop cher")
        issued(make_quote(company, helene, user, today=date(2026, 9, 1)), user, date(2026, 9, 1))
        other = make_company("Entreprise B", siret="55210055400013")
        other_user = make_user(other, email="b@b.example.fr")
        issued(make_invoice(other, make_client(other, name="Hélène Dupont", email="x@example.fr"), other_user,
                            lines=lines(100000)), other_user, date(2026, 9, 1))
        db.session.commit()
        ids = {"company": company.id, "helene": helene.id, "batir": batir.id, "a1": a1.id, "a2": a2.id,
               "b1": b1.id, "b2": b2.id, "draft": draft.id}
        yield ids


def invoices(ids, **kw):
    return lists.list_documents(ids["company"], DocumentFilters(group="invoice", **kw), today=TODAY)


def numbers(page):
    return [r.doc.id for r in page.rows]


def test_everything_and_totals(data):
    page = invoices(data)
    assert page.total == 5
    assert page.amount_cents == 120000 + 60000 + 240000 + 12000 + 36000
    assert page.remaining_cents == 120000 + 40000 + 0 + 12000  # drafts owe nothing yet
    statuses = {r.doc.id: r.status for r in page.rows}
    assert statuses == {data["a1"]: status.LATE, data["a2"]: status.PARTIAL, data["b1"]: status.PAID,
                        data["b2"]: status.SENT, data["draft"]: status.DRAFT}
    # the same rule in Python agrees
    for r in page.rows:
        assert status.status_of(r.doc, TODAY) == r.status


@pytest.mark.parametrize("filters, expected, amount, remaining", [
    ({"status": status.LATE}, ["a1"], 120000, 120000),
    ({"overdue": True}, ["a1"], 120000, 120000),
    ({"status": status.PARTIAL}, ["a2"], 60000, 40000),
    ({"status": status.PAID}, ["b1"], 240000, 0),
    ({"status": status.DRAFT}, ["draft"], 36000, 0),
    ({"client": "batir"}, ["b2", "b1"], 252000, 12000),
    ({"date_from": date(2026, 10, 1), "date_to": date(2026, 11, 20)}, ["a2", "b1"], 300000, 40000),
    ({"amount_min_cents": 60000, "amount_max_cents": 120000}, ["a2", "a1"], 180000, 160000),
    ({"q": "HELENE"}, ["draft", "a2", "a1"], 216000, 160000),
    ({"q": "F-2026-0002"}, ["b1"], 240000, 0),
    ({"q": "100%"}, [], 0, 0),
])
def test_filters(data, filters, expected, amount, remaining):
    if "client" in filters:
        filters = {k: v for k, v in filters.items() if k != "client"} | {"client_id": data[filters["client"]]}
    page = invoices(data, **filters)
    assert numbers(page) == [data[k] for k in expected]
    assert (page.total, page.amount_cents, page.remaining_cents) == (len(expected), amount, remaining)


def test_sorts(data):
    by = lambda sort: numbers(invoices(data, sort=sort))  # noqa: E731
    # due dates: a1 2026-10-01, b1 2026-11-14, a2 2026-12-20, b2 2026-12-22; drafts have none (last)
    assert by("due") == [data[k] for k in ("a1", "b1", "a2", "b2", "draft")]
    assert by("due_desc") == [data[k] for k in ("b2", "a2", "b1", "a1", "draft")]
    assert by("amount_desc") == [data[k] for k in ("b1", "a1", "a2", "draft", "b2")]
    assert by("amount") == [data[k] for k in ("b2", "draft", "a2", "a1", "b1")]
    assert by("age") == [data[k] for k in ("a1", "b1", "a2", "b2", "draft")]
    assert by("recent") == [data[k] for k in ("draft", "b2", "a2", "b1", "a1")]


def test_kind_filter(data):
    assert invoices(data, kind="credit_note").total == 0
    assert invoices(data, kind="invoice").total == 5
    assert invoices(data, kind="deposit").total == 0


def test_quote_statuses(data):
    def quotes(**kw):
        return lists.list_documents(data["company"], DocumentFilters(group="quote", **kw), today=TODAY)
    everything = quotes()
    assert everything.total == 5
    assert sorted(r.status for r in everything.rows) == sorted(
        [status.DRAFT, status.PENDING, status.ACCEPTED, status.REFUSED, status.EXPIRED])
    assert quotes(status=status.EXPIRED).total == 1
    assert quotes(status=status.ACCEPTED).amount_cents == 217328
    assert everything.remaining_cents == 0


def test_pagination(app, data):
    with app.app_context():
        from domain.core.models import Client, Company, User

        company = db.session.get(Company, data["company"])
        user = db.session.scalar(db.select(User).where(User.company_id == company.id))
        helene = db.session.get(Client, data["helene"])
        for i in range(25):
            make_invoice(company, helene, user, lines=lines(1000 + i))
        db.session.commit()
        first = invoices(data, page=1, per_page=10)
        last = invoices(data, page=3, per_page=10)
        beyond = invoices(data, page=99, per_page=10)
    assert (first.total, first.pages, len(first.rows)) == (30, 3, 10)
    assert len(last.rows) == 10 and beyond.page == 3
    assert first.amount_cents == last.amount_cents  # totals cover the whole filtered set
    seen = set()
    for p in (1, 2, 3):
        with app.app_context():
            seen |= set(numbers(invoices(data, page=p, per_page=10)))
    assert len(seen) == 30


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 7])
def test_default_order_pages_across_drafts_and_issued(app, data, per_page):
    """The default order is read in two parts (drafts, then the issued by date): page by page,
    with a page straddling both, it is the order a single sort gives, quotes left out."""
    with app.app_context():
        from domain.core.models import Client, Company, User

        company = db.session.get(Company, data["company"])
        user = db.session.scalar(db.select(User).where(User.company_id == company.id))
        helene = db.session.get(Client, data["helene"])
        make_invoice(company, helene, user, lines=lines(700))
        issued(make_invoice(company, helene, user, lines=lines(800)), user, date(2026, 11, 22))  # same day as b2
        db.session.commit()
        rows = db.session.execute(db.select(Document.id, Document.issue_date).where(
            Document.company_id == company.id, Document.kind == Kind.INVOICE)).all()
        drafts = sorted((i for i, d in rows if d is None), reverse=True)
        issued_rows = sorted(((d, i) for i, d in rows if d is not None), reverse=True)
        expected = drafts + [i for _, i in issued_rows]
        pages = -(-len(rows) // per_page)
        seen = []
        for p in range(1, pages + 1):
            page = invoices(data, page=p, per_page=per_page)
            assert page.total == len(rows)
            seen += numbers(page)
    assert seen == expected


@contextmanager
def count_statements():
    counter = {"n": 0}

    def before(_conn, _cursor, statement, *_args):
        # Queries only: SQLite's BEGIN is also a cursor execute, once per transaction.
        if statement.lstrip().upper().startswith("SELECT"):
            counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_constant_number_of_statements(app, data):
    with app.app_context():
        def run(per_page, *, cached=False):
            db.session.rollback()  # a new request: a new transaction
            if not cached:
                dataversion.figures.clear()
            with count_statements() as counter:
                page = invoices(data, per_page=per_page)
                # what the list template touches on each row
                for r in page.rows:
                    _ = (r.doc.client.name, r.doc.number, r.doc.net_cents, r.doc.remaining_cents, r.doc.due_date)
            return counter["n"]
        # The company's data version, the totals of the filtered set, the page's ids, its rows; once
        # the totals and the ids are cached (same data, same day), the version and the rows only.
        assert run(2) == run(5) == 4
        assert run(5, cached=True) == 2
        db.session.expire_all()
        with count_statements() as counter:
            result = lists.list_payments(data["company"], PaymentFilters())
            for p in result.items:
                _ = (p.client.name, p.document.display_number, p.method_label)
        assert counter["n"] == 2


def test_payments_list(data):
    everything = lists.list_payments(data["company"], PaymentFilters())
    assert (everything.total, everything.amount_cents) == (2, 260000)
    assert everything.by_method == {"cheque": 20000, "virement": 240000}
    assert lists.list_payments(data["company"], PaymentFilters(method="cheque")).amount_cents == 20000
    assert lists.list_payments(data["company"], PaymentFilters(client_id=data["batir"])).total == 1
    assert lists.list_payments(data["company"], PaymentFilters(date_from=date(2026, 11, 15))).total == 1
    assert lists.list_payments(data["company"], PaymentFilters(q="bâtir")).total == 1


def test_cancelled_payments(app, data):
    with app.app_context():
        from domain.billing.models import Payment

        payment = db.session.scalar(db.select(Payment).where(Payment.amount_cents == 20000))
        payments.cancel_payment(payment, None, reason="Chèque impayé")
        db.session.commit()
        assert lists.list_payments(data["company"], PaymentFilters()).total == 1
        with_cancelled = lists.list_payments(data["company"], PaymentFilters(include_cancelled=True))
        assert (with_cancelled.total, with_cancelled.amount_cents, with_cancelled.cancelled) == (2, 240000, 1)
        assert invoices(data, status=status.PARTIAL).total == 0
        assert invoices(data, status=status.TO_SEND).total == 1  # a2 again unpaid, not yet due


def test_related_queries(app, data):
    with app.app_context():
        from domain.billing.models import Document
        from domain.core.models import Client, Company, User

        company = db.session.get(Company, data["company"])
        user = db.session.scalar(db.select(User).where(User.company_id == company.id))
        quote = accepted_quote(company, db.session.get(Client, data["helene"]), user)
        deposit = issued(docs.create_deposit(quote, user, today=TODAY, percent_bp=3000), user)
        final = docs.create_final(quote, user, today=TODAY)
        rows = lists.related_invoices(quote, today=TODAY + timedelta(days=1))
        assert [(r.doc.id, r.status) for r in rows] == [(deposit.id, status.TO_SEND), (final.id, status.DRAFT)]
        summary = lists.client_documents(company.id, data["helene"], today=TODAY)
        assert {r.doc.id for r in summary} >= {data["a1"], data["a2"], data["draft"], deposit.id, final.id}
        assert all(r.doc.company_id == company.id for r in summary)
        invoice = db.session.get(Document, data["a2"])
        assert [p.amount_cents for p in lists.payments_of(invoice)] == [20000]
        assert [e.kind for e in lists.document_events(invoice)] == ["created", "issued", "payment_recorded"]


def test_demo_data_fills_every_filter(app):
    """The demo company shows something under every status filter, with chronological numbers."""
    from domain import demo
    from domain.billing.models import Document, Kind
    from domain.core import clock
    from domain.core.models import Event

    with app.app_context():
        company = demo.load_demo()
        db.session.commit()
        today = clock.today_in(company.timezone)
        for group, statuses in (("quote", status.QUOTE_STATUSES), ("invoice", status.INVOICE_STATUSES)):
            for st in statuses:
                page = lists.list_documents(company.id, DocumentFilters(group=group, status=st), today=today)
                assert page.total >= 1, (group, st)
        assert lists.list_documents(company.id, DocumentFilters(overdue=True), today=today).total >= 2
        assert lists.list_documents(company.id, DocumentFilters(kind="credit_note"), today=today).total == 2
        everything = lists.list_payments(company.id, PaymentFilters(include_cancelled=True))
        assert everything.cancelled == 1 and len(everything.by_method) >= 4
        # numbers follow issue dates in every series
        issued_docs = db.session.scalars(db.select(Document).where(Document.number.is_not(None))
                                         .order_by(Document.number)).all()
        for series in ("D", "F", "A"):
            dates = [d.issue_date for d in issued_docs if d.number.startswith(series + "-")]
            assert dates == sorted(dates) and dates, series
        # histories read in story order: nothing was stamped with the loading time
        assert db.session.scalar(db.select(db.func.max(Event.at))) < datetime.now(UTC) - timedelta(hours=12)
        assert db.session.scalar(db.select(db.func.count()).select_from(Document)
                                 .where(Document.kind == Kind.FINAL)) == 3
        assert demo.load_demo() is None  # once only
