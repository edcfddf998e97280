"""E-reporting of sales to consumers (B2C) and of the payments received on them.

What (CGI art. 290 and 290 A; décret n° 2022-1299 du 7 octobre 2022, CGI ann. II art. 242 nonies M
and N): sales to non-taxable persons are not e-invoiced but their *transaction data* are reported,
aggregated per day, category and VAT rate; for services whose VAT is due on receipts (no option
for VAT on debits, no reverse charge) the *payment data* are reported too.

When: the periodicity follows the VAT return regime (décret 2022-1299 art. 1, as amended by
décret 2024-266):
| regime | transactions | payments |
|---|---|---|
| réel normal mensuel | per decade (1-10, 11-20, 21-end), 10 days after it | monthly, by the 10th of the next month |
| réel normal trimestriel | monthly, by the 10th of the next month | monthly, by the 10th |
| réel simplifié | monthly, between the 25th and the 30th of the next month | same |
| franchise en base | every two months, between the 25th and the 30th of the month after | same |
Where a window is given (25-30, set per company by the administration like its VAT return), the
earliest day is used, so a report is never late. The obligation starts on 1 September 2027 for
PME and micro-entreprises (loi de finances 2024 art. 91); reports are prepared for every
completed period once a platform is connected, so the artisan sees them before that date.

The file (flowSyntax FRR, processingRule B2C) follows the aggregated B2C data of the DGFiP
flux 10.3 (transactions) and 10.4 (payments); the FRR schema is not part of the AFNOR
definitions, so element names must be checked against the DGFiP's when it is published.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lxml import etree
from sqlalchemy import select

from domain.billing.models import Document, Kind, Payment
from domain.core.models import Company
from domain.core.orm import utcnow
from domain.einvoicing import rules, sending, work
from domain.einvoicing.cashin import amounts_by_rate
from domain.einvoicing.connection import settings_of
from domain.einvoicing.models import (
    FILING_MONTHLY,
    FILING_QUARTERLY,
    FILING_SIMPLIFIED,
    QUEUED,
    SENT,
    EReport,
)
from extensions import db
from output.platform import (
    PlatformClient,
    flow_info_for_ereporting,
    tracking_id,
)

TRANSACTIONS = "transactions"
PAYMENTS = "payments"
KIND_LABELS = {TRANSACTIONS: "Ventes aux particuliers", PAYMENTS: "Encaissements sur ces ventes"}
FRANCHISE = "franchise"
NAMESPACE = "urn:encaisse:ereporting:flux10"


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date
    due_on: date


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month(day: date, dom: int) -> date:
    """Day `dom` of the month after `day`'s month (clamped to its length)."""
    first = _month_end(day) + timedelta(days=1)
    return first.replace(day=min(dom, calendar.monthrange(first.year, first.month)[1]))


def regime_of(company: Company) -> str:
    """The e-reporting calendar: franchise en base (CGI art. 293 B) or the VAT return regime set."""
    if company.is_vat_franchise:
        return FRANCHISE
    row = settings_of(company)
    return row.vat_filing if row is not None else FILING_SIMPLIFIED


def period_containing(kind: str, regime: str, day: date) -> Period:
    """The reporting period of `kind` that contains `day`, with its due date."""
    if regime == FILING_MONTHLY and kind == TRANSACTIONS:
        if day.day <= 10:
            start, end = day.replace(day=1), day.replace(day=10)
        elif day.day <= 20:
            start, end = day.replace(day=11), day.replace(day=20)
        else:
            start, end = day.replace(day=21), _month_end(day)
        return Period(kind, start, end, end + timedelta(days=10))
    if regime == FRANCHISE:
        first_month = day.month - (day.month - 1) % 2  # Jan-Feb, Mar-Apr, ...
        start = date(day.year, first_month, 1)
        end = _month_end(date(day.year, first_month + 1, 1))
        return Period(kind, start, end, _next_month(end, 25))
    start, end = day.replace(day=1), _month_end(day)
    due_day = 10 if regime in (FILING_MONTHLY, FILING_QUARTERLY) else 25
    return Period(kind, start, end, _next_month(end, due_day))


def next_due(company: Company, today: date) -> list[Period]:
    """The current period of each kind (the next report to be sent), soonest due first."""
    regime = regime_of(company)
    return sorted((period_containing(kind, regime, today) for kind in (TRANSACTIONS, PAYMENTS)),
                  key=lambda p: p.due_on)


# --- the data -----------------------------------------------------------------------------------


def _b2c_documents(company: Company, start: date, end: date) -> list[Document]:
    docs = db.session.scalars(select(Document).where(
        Document.company_id == company.id, Document.issued_at.is_not(None), Document.issue_date >= start,
        Document.issue_date <= end, Document.kind.in_((Kind.DEPOSIT, Kind.FINAL, Kind.INVOICE, Kind.CREDIT_NOTE)))
        .order_by(Document.issue_date, Document.id))
    return [doc for doc in docs if rules.is_b2c(doc)]


def transactions(company: Company, start: date, end: date) -> list[dict]:
    """B2C sales of the period, per day, category and rate: base, VAT, count (credit notes negative)."""
    rows: dict[tuple, dict] = {}
    for doc in _b2c_documents(company, start, end):
        sign = -1 if doc.kind == Kind.CREDIT_NOTE else 1
        for rate_bp, base, vat in doc.vat_breakdown or []:
            key = (doc.issued_on, doc.operation_category or "services", int(rate_bp))
            row = rows.setdefault(key, {"day": key[0], "category": key[1], "rate_bp": key[2], "base_cents": 0,
                                        "vat_cents": 0, "count": 0})
            row["base_cents"] += sign * int(base)
            row["vat_cents"] += sign * int(vat)
            row["count"] += 1
    return [rows[key] for key in sorted(rows)]


def payments(company: Company, start: date, end: date) -> list[dict]:
    """Payments received in the period on B2C invoices whose VAT is due on receipts, per day and rate."""
    rows: dict[tuple, dict] = {}
    found = db.session.execute(select(Payment, Document).join(Document, Document.id == Payment.document_id).where(
        Payment.company_id == company.id, Payment.paid_on >= start, Payment.paid_on <= end,
        Payment.cancelled_at.is_(None)).order_by(Payment.paid_on, Payment.id)).all()
    for payment, doc in found:
        if not rules.is_b2c(doc) or not rules.vat_on_receipts(doc, company):
            continue
        for rate, cents in amounts_by_rate(doc, payment.amount_cents):
            key = (payment.paid_on, rate)
            row = rows.setdefault(key, {"day": payment.paid_on, "rate": rate, "amount_cents": 0, "count": 0})
            row["amount_cents"] += cents
            row["count"] += 1
    return [rows[key] for key in sorted(rows)]


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def build(company: Company, period: Period, *, created_at: datetime) -> tuple[bytes, dict]:
    """The report file and its totals (for the preview and the stored row)."""
    root = etree.Element(f"{{{NAMESPACE}}}Report", nsmap={None: NAMESPACE})
    head = etree.SubElement(root, "ReportDocument")
    etree.SubElement(head, "Id").text = f"ENC-{company.id}-{period.kind}-{period.start:%Y%m%d}"
    etree.SubElement(head, "IssueDateTime").text = created_at.strftime("%Y%m%d%H%M%S")
    etree.SubElement(head, "Period", start=period.start.strftime("%Y%m%d"), end=period.end.strftime("%Y%m%d"))
    sender = etree.SubElement(head, "Issuer")
    etree.SubElement(sender, "GlobalID", schemeID="0002").text = company.siren
    etree.SubElement(sender, "Name").text = company.name
    totals = {"lines": 0, "base_cents": 0, "vat_cents": 0, "amount_cents": 0}
    if period.kind == TRANSACTIONS:
        body = etree.SubElement(root, "TransactionsReport")
        for row in transactions(company, period.start, period.end):
            line = etree.SubElement(body, "Transaction", date=row["day"].strftime("%Y%m%d"), currency="EUR")
            # TLB1: goods, TPS1: services, TNT1/TMA1 per the DGFiP categories; "mixed" reported as services
            etree.SubElement(line, "CategoryCode").text = "TLB1" if row["category"] == "goods" else "TPS1"
            etree.SubElement(line, "TaxExclusiveAmount").text = _amount(row["base_cents"])
            etree.SubElement(line, "TaxAmount").text = _amount(row["vat_cents"])
            etree.SubElement(line, "RatePercent").text = f"{row['rate_bp'] // 100}.{row['rate_bp'] % 100:02d}"
            etree.SubElement(line, "TransactionsCount").text = str(row["count"])
            totals["lines"] += 1
            totals["base_cents"] += row["base_cents"]
            totals["vat_cents"] += row["vat_cents"]
    else:
        body = etree.SubElement(root, "PaymentsReport")
        for row in payments(company, period.start, period.end):
            line = etree.SubElement(body, "Payment", date=row["day"].strftime("%Y%m%d"), currency="EUR")
            etree.SubElement(line, "RatePercent").text = row["rate"]
            etree.SubElement(line, "Amount").text = _amount(row["amount_cents"])
            totals["lines"] += 1
            totals["amount_cents"] += row["amount_cents"]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True), totals


def preview(company: Company, period: Period, *, now: datetime | None = None) -> tuple[str, dict]:
    """What would be sent for this period if it ended now (XML text, totals)."""
    data, totals = build(company, period, created_at=now or utcnow())
    return data.decode("utf-8"), totals


def prepare_due(company: Company, today: date, *, now: datetime | None = None) -> list[EReport]:
    """Create the report of each period that has ended and has none yet (the last one of each kind)."""
    now = now or utcnow()
    regime = regime_of(company)
    made = []
    for kind in (TRANSACTIONS, PAYMENTS):
        current = period_containing(kind, regime, today)
        last = period_containing(kind, regime, current.start - timedelta(days=1))
        exists = db.session.scalar(select(EReport.id).where(EReport.company_id == company.id, EReport.kind == kind,
                                                            EReport.period_start == last.start))
        if exists:
            continue
        data, totals = build(company, last, created_at=now)
        row = EReport(company_id=company.id, kind=kind, period_start=last.start, period_end=last.end,
                      due_on=last.due_on, content=data, totals=totals, state=QUEUED, next_attempt_at=now,
                      tracking_id=tracking_id("encaisse", company.id, "ereport", kind, last.start.isoformat()),
                      ack_details=[])
        db.session.add(row)
        made.append(row)
    db.session.flush()
    return made


def send_one(row: EReport, client: PlatformClient, *, now: datetime | None = None) -> str:
    """Send one claimed e-report; returns its new state. Commits."""
    now = now or utcnow()
    attempt = row.attempts
    data = row.content
    filename = f"ereporting-{row.kind}-{row.period_start:%Y%m%d}.xml"
    info = flow_info_for_ereporting(data, tracking=row.tracking_id, filename=filename)
    submitted = sending.submit(row, attempt, client, info, data, filename, now)
    if isinstance(submitted, str):
        return submitted
    work.finish(row, attempt, state=SENT, flow_id=submitted.flow_id, submitted_at=submitted.submitted_at,
                ack_status="Pending", sent_at=now, last_error="")
    db.session.commit()
    return SENT


def recent(company: Company, limit: int = 6) -> list[EReport]:
    return list(db.session.scalars(select(EReport).where(EReport.company_id == company.id)
                                   .order_by(EReport.period_start.desc(), EReport.kind).limit(limit)))
