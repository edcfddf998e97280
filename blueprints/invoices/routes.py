"""Invoices (standalone, deposit, final) and credit notes: list with filters, drafts,
issue, payments (record in two taps, cancel with a reason), credit notes, client summary."""

from datetime import timedelta

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from blueprints.invoices.forms import CancelPaymentForm, CreditNoteForm, InvoiceForm, PaymentForm, TokenForm
from domain.billing import documents as docs
from domain.billing import lists, payments, status
from domain.billing.documents import DocumentError
from domain.billing.models import INVOICE_KINDS, Document, Kind, Payment, VatRegime
from domain.billing.money import format_amount_input
from domain.billing.payments import PaymentError, PaymentInput
from domain.core import idempotency
from domain.core.models import Client
from extensions import db
from output.formatting import format_money
from web.documents import (
    create_draft_once,
    delete_draft,
    document_or_404,
    draft_form,
    einvoice_context,
    frozen_response,
    issue_action,
    list_page,
    pdf_response,
    save_draft_once,
    xml_response,
)
from web.editor import blank_row, deductions_of, lines_totals, parse_lines, register_editor, rows_of
from web.forms import check_due_date_input
from web.http import is_fragment_request, redirect_see_other, render_page
from web.once import Done, run_once
from web.tenancy import company_today, get_owned_or_404, parse_id

bp = Blueprint("invoices", __name__, url_prefix="/invoices")
register_editor(bp)

DOCUMENT_KINDS = (*INVOICE_KINDS, Kind.CREDIT_NOTE)
# Derived documents keep the client and VAT regime of what they derive from.
FIXED_PARTY_KINDS = (Kind.DEPOSIT, Kind.FINAL, Kind.CREDIT_NOTE)
CREDIT_NOTE_CREATED = "Avoir créé en brouillon : vérifiez-le puis émettez-le."


@bp.before_request
@login_required
def _require_login():
    """Every invoice page needs a logged-in user."""


def _invoice_or_404(invoice_id: int, *options) -> Document:
    """An invoice or credit note of the current company (a quote id here is a 404)."""
    return document_or_404(invoice_id, DOCUMENT_KINDS, *options)


@bp.get("/")
def index():
    """Invoices, filterable by status, client, period, overdue, amount; searchable; sortable."""
    return list_page("invoice", status.INVOICE_STATUSES)


# --- editor ----------------------------------------------------------------------------


def _lines_editable(doc: Document | None) -> bool:
    return doc is None or doc.breakdown_from_lines


def _render_form(form, rows, doc=None, *, parsed=None, form_error=None, lines_error=None):
    regime = doc.vat_regime if doc is not None and doc.kind in FIXED_PARTY_KINDS else (
        form.vat_regime.data or docs.default_regime(current_user.company))
    if parsed is not None and _lines_editable(doc):
        totals = lines_totals(parsed.lines, regime)
    else:
        totals = docs.totals_of(doc) if doc is not None else lines_totals([], regime)
    deductions, deducted = deductions_of(doc)
    return render_template("invoices/form.html", form=form, rows=rows, doc=doc, totals=totals, regime=regime,
                           deductions=deductions, deducted=deducted, lines_editable=_lines_editable(doc),
                           fixed_party=doc is not None and doc.kind in FIXED_PARTY_KINDS,
                           form_error=form_error, lines_error=lines_error,
                           line_errors=parsed.errors if parsed else [], editor="invoices")


def _due_date_error(form, client: Client | None) -> bool:
    """Refuse now a due date (or terms) the issue, dated today, would refuse: before today,
    or beyond L441-10's cap between businesses."""
    today = company_today()
    if form.requested_due_date.data is not None:
        field, due = form.requested_due_date, form.requested_due_date.data
    elif form.payment_terms_days.data is not None and not form.payment_terms_days.errors:
        field, due = form.payment_terms_days, today + timedelta(days=form.payment_terms_days.data)
    else:
        return False
    message = check_due_date_input(due, client, today)
    if message:
        field.errors = [*field.errors, message]
        return True
    return False


def _form_client(form) -> Client | None:
    return db.session.scalar(db.select(Client).where(Client.id == form.client_value(),
                                                      Client.company_id == current_user.company_id))


def _form_error(form, rows, doc, parsed, exc: DocumentError):
    """The editor again with a domain error next to its field (or above the lines)."""
    if isinstance(exc, docs.FrozenDocumentError):
        return frozen_response(doc)
    message = form.show_domain_error(exc)
    if exc.field == "lines":
        return _render_form(form, rows, doc, parsed=parsed, lines_error=str(exc))
    return _render_form(form, rows, doc, parsed=parsed, form_error=message)


@bp.route("/new", methods=["GET", "POST"])
def create():
    """A standalone invoice draft (call-out, small job without a quote)."""
    company = current_user.company
    form = InvoiceForm().setup(company, None)
    if not form.is_submitted():
        client_id = request.args.get("client_id", type=parse_id)
        if client_id:
            form.client_id.data = str(client_id)
        return _render_form(form, [blank_row("item", franchise=company.is_vat_franchise)])
    parsed = parse_lines(request.form, franchise=company.is_vat_franchise)
    valid = form.validate()
    if _due_date_error(form, _form_client(form)) or not (valid and parsed.ok):
        return _render_form(form, parsed.rows, parsed=parsed)
    return create_draft_once(Kind.INVOICE, form, parsed.lines,
                             fail=lambda exc: _form_error(form, parsed.rows, None, parsed, exc))


@bp.route("/<int:invoice_id>/edit", methods=["GET", "POST"])
def edit(invoice_id: int):
    """Edit a draft; an issued invoice or credit note is frozen (also against a forged POST)."""
    doc = _invoice_or_404(invoice_id)
    form = draft_form(doc, InvoiceForm)
    if not form.is_submitted():
        return _render_form(form, rows_of(doc), doc)
    franchise = current_user.company.is_vat_franchise
    parsed = parse_lines(request.form, franchise=franchise) if _lines_editable(doc) else None
    valid = form.validate()
    client = doc.client if doc.kind in FIXED_PARTY_KINDS else _form_client(form)
    rows = parsed.rows if parsed else rows_of(doc)
    if _due_date_error(form, client) or not valid or (parsed is not None and not parsed.ok):
        return _render_form(form, rows, doc, parsed=parsed)
    fixed = {"client_id": doc.client_id, "vat_regime": doc.vat_regime} if doc.kind in FIXED_PARTY_KINDS else {}
    return save_draft_once(doc, form, parsed.lines if parsed else [],
                           fail=lambda exc: _form_error(form, rows, doc, parsed, exc), **fixed)


# --- the invoice page -----------------------------------------------------------------


def _payment_form(doc: Document, today) -> PaymentForm:
    form = PaymentForm(formdata=None, token=idempotency.new_token(), paid_on=today)
    form.amount.data = format_amount_input(max(doc.remaining_cents, 0))
    return form


def _detail_context(doc: Document, **extra) -> dict:
    today = company_today()
    deductions, deducted = deductions_of(doc)
    context = {
        "doc": doc, "today": today, "status": status.status_of(doc, today), "totals": docs.totals_of(doc),
        "regime": doc.vat_regime,
        "deductions": deductions, "deducted": deducted,
        "payments": lists.payments_of(doc) if doc.is_invoice else [],
        "credit_notes": lists.credit_notes_of(doc) if doc.is_invoice else [],
        "creditable": docs.creditable_cents(doc) if doc.is_invoice and doc.is_issued else 0,
        "events": lists.document_events(doc), "action_error": None, "cancel_errors": {},
        "issue_form": TokenForm(formdata=None, token=idempotency.new_token()),
        "payment_form": _payment_form(doc, today),
        "credit_form": CreditNoteForm(formdata=None, token=idempotency.new_token()),
        "cancel_form": CancelPaymentForm(formdata=None),
        **einvoice_context(doc),
    }
    context.update(extra)
    return context


@bp.get("/<int:invoice_id>")
def detail(invoice_id: int):
    """The invoice page: status, due date, lines, totals, deductions, balance, payments, history."""
    # The client and its contacts come with the invoice (shown in the header and the panel).
    doc = _invoice_or_404(invoice_id, joinedload(Document.client).joinedload(Client.contacts))
    return render_template("invoices/detail.html", **_detail_context(doc))


@bp.post("/<int:invoice_id>/delete")
def delete(invoice_id: int):
    """Delete a draft (it has no number: no gap). An issued document is never deleted."""
    doc = _invoice_or_404(invoice_id)
    if doc.quote_id:
        next_url = url_for("quotes.detail", quote_id=doc.quote_id)
    elif doc.credited_id:
        next_url = url_for("invoices.detail", invoice_id=doc.credited_id)
    else:
        next_url = url_for("invoices.index")
    return delete_draft(doc, next_url)


@bp.post("/<int:invoice_id>/issue")
def issue(invoice_id: int):
    """Issue: the next F- (or A-) number, due date from the terms, frozen. A double tap issues once."""
    return _on_invoice(invoice_id, TokenForm().token.data, issue_action(_invoice_or_404(invoice_id)))


def _on_invoice(invoice_id: int, token: str | None, act):
    """run_once on the invoice page: an error comes back in its actions panel."""
    def fail(exc):
        return render_page("invoices/detail.html", "invoices/_actions.html",
                           **_detail_context(_invoice_or_404(invoice_id), action_error=str(exc),
                                             action_error_field=exc.field))

    return run_once(token, fallback_url=url_for("invoices.detail", invoice_id=invoice_id), act=act, fail=fail)


@bp.post("/<int:invoice_id>/sent")
def mark_sent(invoice_id: int):
    """Record that the invoice reached the client (by hand, post, e-mail)."""
    doc = _invoice_or_404(invoice_id)

    def act() -> Done:
        docs.mark_sent(doc, current_user, channel="manuel")
        return Done(url_for("invoices.detail", invoice_id=doc.id), "Marquée comme envoyée.")

    return _on_invoice(invoice_id, None, act)


@bp.post("/<int:invoice_id>/payments")
def record_payment(invoice_id: int):
    """Record money received (partial or full). A double tap records once; overpayment is refused."""
    doc = _invoice_or_404(invoice_id)
    url = url_for("invoices.detail", invoice_id=doc.id)
    form = PaymentForm()
    if not form.validate():
        return render_page("invoices/detail.html", "invoices/_payment_form.html",
                           **_detail_context(doc, payment_form=form))

    def act() -> Done:
        payments.record_payment(doc, current_user, PaymentInput(form.amount_cents, form.paid_on.data, form.method.data,
                                                                form.reference.data or ""), today=company_today())
        return Done(url, f"Paiement de {format_money(form.amount_cents)} enregistré. Reste à payer : "
                         f"{format_money(doc.remaining_cents)}.")

    def fail(exc: PaymentError):
        target = {"amount": form.amount, "paid_on": form.paid_on, "method": form.method}.get(exc.field, form.amount)
        target.errors = [*target.errors, str(exc)]
        return render_page("invoices/detail.html", "invoices/_payment_form.html",
                           **_detail_context(_invoice_or_404(invoice_id), payment_form=form))

    return run_once(form.token.data, fallback_url=url, act=act, fail=fail)


@bp.post("/<int:invoice_id>/payments/<int:payment_id>/cancel")
def cancel_payment(invoice_id: int, payment_id: int):
    """Cancel a payment (bounced cheque, typing mistake) with a reason; it is never edited."""
    doc = _invoice_or_404(invoice_id)
    payment = get_owned_or_404(Payment, payment_id)
    if payment.document_id != doc.id:
        abort(404)
    form = CancelPaymentForm()
    if not form.validate():
        return render_page("invoices/detail.html", "invoices/_payments.html",
                           **_detail_context(doc, cancel_errors={payment.id: form.reason.errors[0]}))

    def act() -> Done:
        payments.cancel_payment(payment, current_user, reason=form.reason.data)
        return Done(url_for("invoices.detail", invoice_id=doc.id),
                    f"Paiement de {format_money(payment.amount_cents)} annulé.")

    return run_once(None, fallback_url="", act=act, fail=lambda exc: render_page(
        "invoices/detail.html", "invoices/_payments.html",
        **_detail_context(_invoice_or_404(invoice_id), cancel_errors={payment_id: str(exc)})))


# --- credit notes -------------------------------------------------------------------


@bp.post("/<int:invoice_id>/credit-notes")
def credit_full(invoice_id: int):
    """A credit note for everything still due (cancels the invoice once issued)."""
    doc = _invoice_or_404(invoice_id)
    form = CreditNoteForm()

    def act() -> Done:
        note = docs.create_credit_note(doc, current_user, today=company_today(), full=True,
                                       reason=form.reason.data or "")
        return Done(url_for("invoices.detail", invoice_id=note.id), CREDIT_NOTE_CREATED)

    return _on_invoice(invoice_id, form.token.data, act)


def _render_credit_form(invoice, form, rows, *, parsed=None, lines_error=None, status_code=200):
    totals = lines_totals(parsed.lines if parsed else [], invoice.vat_regime)
    return render_template("invoices/credit_note_form.html", invoice=invoice, form=form, rows=rows, totals=totals,
                           regime=invoice.vat_regime, lines_error=lines_error,
                           line_errors=parsed.errors if parsed else [], creditable=docs.creditable_cents(invoice),
                           editor="invoices"), status_code


@bp.route("/<int:invoice_id>/credit-notes/new", methods=["GET", "POST"])
def credit_partial(invoice_id: int):
    """A partial credit note: typed lines (a discount, a line billed twice…)."""
    invoice = _invoice_or_404(invoice_id)
    if not invoice.is_invoice or not invoice.is_issued:
        abort(404)
    franchise = invoice.vat_regime == VatRegime.FRANCHISE
    form = CreditNoteForm()
    if not form.is_submitted():
        form.token.data = idempotency.new_token()
        return _render_credit_form(invoice, form, [blank_row("item", franchise=franchise)])
    parsed = parse_lines(request.form, franchise=franchise)
    if not (form.validate() and parsed.ok):
        return _render_credit_form(invoice, form, parsed.rows, parsed=parsed)

    def act() -> Done:
        note = docs.create_credit_note(invoice, current_user, today=company_today(), full=False,
                                       reason=form.reason.data or "", lines=parsed.lines)
        return Done(url_for("invoices.detail", invoice_id=note.id), CREDIT_NOTE_CREATED)

    return run_once(form.token.data, fallback_url=url_for("invoices.detail", invoice_id=invoice.id), act=act,
                    fail=lambda exc: _render_credit_form(_invoice_or_404(invoice_id), form, parsed.rows,
                                                         parsed=parsed, lines_error=str(exc)))


# --- a client's documents and balance (shown on the client page) ---------------------


@bp.get("/clients/<int:client_id>")
def client_summary(client_id: int):
    """A client's balance (invoiced, paid, left to pay) and documents, as a fragment."""
    client = get_owned_or_404(Client, client_id)
    if not is_fragment_request():
        return redirect_see_other("clients.detail", client_id=client.id)
    today = company_today()
    return render_template(
        "invoices/_client_summary.html", client=client, today=today,
        balance=docs.client_balance(current_user.company_id, client.id),
        rows=lists.client_documents(current_user.company_id, client.id, today=today),
    )


@bp.get("/<int:invoice_id>/pdf")
def pdf(invoice_id: int):
    """The PDF (a Factur-X once issued): the frozen bytes of an issued document (never
    re-rendered), a fresh draft render otherwise."""
    return pdf_response(_invoice_or_404(invoice_id), download=request.args.get("download") == "1")


@bp.get("/<int:invoice_id>/factur-x.xml")
def xml(invoice_id: int):
    """The e-invoice XML alone (CII, Factur-X EN 16931), as frozen at issue."""
    return xml_response(_invoice_or_404(invoice_id), download=request.args.get("download") != "0")
