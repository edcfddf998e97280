"""Quotes (devis): list with filters, lines editor, issue, send, accept/refuse, duplicate,
deposit invoices and the final invoice."""

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.quotes.forms import DepositForm, QuoteForm, RefuseForm, SignForm, TokenForm
from domain.billing import documents as docs
from domain.billing import lists, status
from domain.billing.documents import DocumentError
from domain.billing.models import Document, Kind
from domain.core import idempotency
from domain.portal import answers, signing
from domain.portal.links import PortalError
from web.documents import (
    create_draft_once,
    delete_draft,
    document_or_404,
    draft_form,
    frozen_response,
    issue_action,
    list_page,
    pdf_response,
    save_draft_once,
    stored_file_response,
)
from web.editor import blank_row, left_to_deposit_cents, lines_totals, parse_lines, register_editor, rows_of
from web.http import client_ip, render_page
from web.once import Done, run_once
from web.tenancy import company_today, parse_id

bp = Blueprint("quotes", __name__, url_prefix="/quotes")
register_editor(bp)


@bp.before_request
@login_required
def _require_login():
    """Every quote page needs a logged-in user."""


def _quote_or_404(quote_id: int) -> Document:
    """A quote of the current company (an invoice id here is a 404 too)."""
    return document_or_404(quote_id, (Kind.QUOTE,))


@bp.get("/")
def index():
    """Quotes, filterable by status, client, period, amount; searchable; sortable; paginated."""
    return list_page("quote", status.QUOTE_STATUSES)


# --- editor ----------------------------------------------------------------------------


def _validity_error(form, today) -> bool:
    """A validity date already past would be refused at issue: say it now, next to the field."""
    if form.validity_date.data is not None and form.validity_date.data < today:
        form.validity_date.errors = [*form.validity_date.errors, "La date de validité ne peut pas être déjà passée."]
        return True
    return False


def _form_error(form, parsed, doc, exc: DocumentError):
    """The editor again with a domain error next to its field (or above the lines)."""
    if isinstance(exc, docs.FrozenDocumentError):
        return frozen_response(doc)
    message = form.show_domain_error(exc)
    return _render_form(form, parsed.rows, doc, parsed=parsed, form_error=message if exc.field != "lines" else None,
                        lines_error=str(exc) if exc.field == "lines" else None)


def _render_form(form, rows, doc=None, *, parsed=None, form_error=None, lines_error=None):
    """The editor page; totals are the typed lines' (or the saved draft's on first display)."""
    regime = form.vat_regime.data or docs.default_regime(current_user.company)
    if parsed is not None:
        totals = lines_totals(parsed.lines, regime)
    else:
        totals = docs.totals_of(doc) if doc is not None else lines_totals([], regime)
    return render_template("quotes/form.html", form=form, rows=rows, doc=doc, totals=totals, regime=regime,
                           form_error=form_error, lines_error=lines_error,
                           line_errors=parsed.errors if parsed else [], editor="quotes")


@bp.route("/new", methods=["GET", "POST"])
def create():
    """A new quote draft (no number until it is issued)."""
    company = current_user.company
    form = QuoteForm().setup(company, None)
    today = company_today()
    if not form.is_submitted():
        client_id = request.args.get("client_id", type=parse_id)
        if client_id:
            form.client_id.data = str(client_id)
        form.validity_date.data = today + timedelta(days=company.quote_validity_days)
        return _render_form(form, [blank_row("item", franchise=company.is_vat_franchise)])
    parsed = parse_lines(request.form, franchise=company.is_vat_franchise)
    valid = form.validate()
    if _validity_error(form, today) or not (valid and parsed.ok):
        return _render_form(form, parsed.rows, parsed=parsed)
    return create_draft_once(Kind.QUOTE, form, parsed.lines, fail=lambda exc: _form_error(form, parsed, None, exc))


@bp.route("/<int:quote_id>/edit", methods=["GET", "POST"])
def edit(quote_id: int):
    """Edit a draft quote; an issued one is frozen (also against a forged POST)."""
    doc = _quote_or_404(quote_id)
    form = draft_form(doc, QuoteForm)
    if not form.is_submitted():
        return _render_form(form, rows_of(doc), doc)
    parsed = parse_lines(request.form, franchise=current_user.company.is_vat_franchise)
    valid = form.validate()
    if _validity_error(form, company_today()) or not (valid and parsed.ok):
        return _render_form(form, parsed.rows, doc, parsed=parsed)
    return save_draft_once(doc, form, parsed.lines, fail=lambda exc: _form_error(form, parsed, doc, exc))


# --- the quote page -------------------------------------------------------------------


def _detail_context(doc: Document, **extra) -> dict:
    today = company_today()
    new = idempotency.new_token
    context = {
        "doc": doc, "today": today, "status": status.status_of(doc, today), "totals": docs.totals_of(doc),
        "regime": doc.vat_regime,
        "invoices": lists.related_invoices(doc, today=today) if doc.is_issued else [],
        "job": docs.job_balance(doc) if doc.is_issued else None,
        "left_to_deposit": left_to_deposit_cents(doc) if doc.accepted_at else 0,
        "can_bill": doc.accepted_at is not None and not docs.finals_of(doc),
        "events": lists.document_events(doc), "action_error": None,
        "issue_form": TokenForm(formdata=None, token=new()),
        "deposit_form": DepositForm(formdata=None, token=new()),
        "final_form": TokenForm(formdata=None, token=new()),
        "duplicate_form": TokenForm(formdata=None, token=new()),
        "refuse_form": RefuseForm(formdata=None),
    }
    context.update(extra)
    return context


def _render_detail(doc: Document, **extra):
    """The quote page, or only its actions panel for htmx (action errors land there)."""
    return render_page("quotes/detail.html", "quotes/_actions.html", **_detail_context(doc, **extra))


@bp.get("/<int:quote_id>")
def detail(quote_id: int):
    """The quote page: status, lines, totals, job balance, actions by state, history."""
    return render_template("quotes/detail.html", **_detail_context(_quote_or_404(quote_id)))


@bp.post("/<int:quote_id>/delete")
def delete(quote_id: int):
    """Delete a draft quote (it has no number: no gap). An issued quote is never deleted."""
    return delete_draft(_quote_or_404(quote_id), url_for("quotes.index"))


@bp.post("/<int:quote_id>/issue")
def issue(quote_id: int):
    """Issue the quote: it takes the next D-number and is frozen. A double tap issues once."""
    return _on_quote(quote_id, TokenForm().token.data, issue_action(_quote_or_404(quote_id)))


def _on_quote(quote_id: int, token: str | None, act):
    """run_once on the quote page: an error comes back in its actions panel."""
    return run_once(token, fallback_url=url_for("quotes.detail", quote_id=quote_id), act=act,
                    fail=lambda exc: _render_detail(_quote_or_404(quote_id), action_error=str(exc)))


def _simple_action(quote_id: int, action, success: str):
    doc = _quote_or_404(quote_id)

    def act() -> Done:
        action(doc)
        return Done(url_for("quotes.detail", quote_id=doc.id), success)

    return _on_quote(quote_id, None, act)


@bp.post("/<int:quote_id>/sent")
def mark_sent(quote_id: int):
    """Record that the quote was handed or sent to the client."""
    return _simple_action(quote_id, lambda d: docs.mark_sent(d, current_user, channel="manuel"),
                          "Devis marqué comme envoyé.")


@bp.post("/<int:quote_id>/accept")
def accept(quote_id: int):
    """The client said yes (bon pour accord)."""
    return _simple_action(quote_id, lambda d: docs.accept_quote(d, current_user), "Devis accepté.")


@bp.post("/<int:quote_id>/refuse")
def refuse(quote_id: int):
    """The client said no (with an optional reason)."""
    form = RefuseForm()
    if not form.validate():
        return _render_detail(_quote_or_404(quote_id), refuse_form=form)
    return _simple_action(quote_id, lambda d: docs.refuse_quote(d, current_user, reason=form.reason.data or ""),
                          "Devis marqué comme refusé.")


def _create_once(quote_id: int, create, url_of, message):
    """Create a draft from the quote once per form token (a double tap gets the first answer):
    `create(quote)` makes it, `url_of(draft)` is where to go next, `message(quote)` is flashed."""
    doc = _quote_or_404(quote_id)
    return _on_quote(quote_id, TokenForm().token.data, lambda: Done(url_of(create(doc)), message(doc)))


@bp.post("/<int:quote_id>/duplicate")
def duplicate(quote_id: int):
    """Copy the quote into a new draft (the way to change an issued quote)."""
    return _create_once(quote_id, lambda quote: docs.duplicate(quote, current_user, today=company_today()),
                        lambda copy: url_for("quotes.edit", quote_id=copy.id),
                        lambda quote: f"Copie créée en brouillon à partir de {quote.display_number}.")


@bp.post("/<int:quote_id>/deposits")
def create_deposit(quote_id: int):
    """A deposit invoice draft on the accepted quote, by percentage or TTC amount."""
    doc = _quote_or_404(quote_id)
    form = DepositForm()
    if not form.validate():
        return _render_detail(doc, deposit_form=form)

    def act() -> Done:
        deposit = docs.create_deposit(doc, current_user, today=company_today(), percent_bp=form.percent_bp,
                                      amount_cents=form.amount_cents)
        return Done(url_for("invoices.detail", invoice_id=deposit.id),
                    "Facture d'acompte créée en brouillon : vérifiez-la puis émettez-la.")

    def fail(exc: DocumentError):
        target = form.percent if exc.field == "percent" or (exc.field == "amount" and form.percent_bp) else form.amount
        if exc.field in ("percent", "amount"):
            target.errors = [*target.errors, str(exc)]
            return _render_detail(_quote_or_404(quote_id), deposit_form=form)
        return _render_detail(_quote_or_404(quote_id), deposit_form=form, action_error=str(exc))

    return run_once(form.token.data, fallback_url=url_for("quotes.detail", quote_id=doc.id), act=act, fail=fail)


@bp.post("/<int:quote_id>/final")
def create_final(quote_id: int):
    """The final invoice draft: every quote line, each deposit deducted."""
    return _create_once(quote_id, lambda quote: docs.create_final(quote, current_user, today=company_today()),
                        lambda final: url_for("invoices.detail", invoice_id=final.id),
                        lambda _quote: "Facture de solde créée en brouillon : vérifiez-la puis émettez-la.")


@bp.get("/<int:quote_id>/pdf")
def pdf(quote_id: int):
    """The PDF: the frozen bytes of an issued document (never re-rendered), a fresh draft render otherwise."""
    return pdf_response(_quote_or_404(quote_id), download=request.args.get("download") == "1")


# --- signed on site -------------------------------------------------------------------


@bp.route("/<int:quote_id>/sign", methods=["GET", "POST"])
def sign(quote_id: int):
    """The client signs the quote on the tablet with a finger ("bon pour accord"), recorded with
    the same evidence as the online acceptance, and a signed PDF frozen beside the original."""
    doc = _quote_or_404(quote_id)
    today = company_today()
    if request.method == "GET":
        name = doc.client.name if not doc.client.is_business else ""
        form = SignForm(formdata=None, token=idempotency.new_token(), full_name=name)
        return _sign_page(doc, form, today)
    form = SignForm()
    url = url_for("quotes.detail", quote_id=doc.id)

    def act() -> Done:
        outcome = signing.sign_on_site(doc, current_user, full_name=form.full_name.data or "",
                                       signature_data_url=form.signature.data or "", agreed=bool(form.agree.data),
                                       ip=client_ip(), user_agent=request.user_agent.string, today=today)
        name = outcome.response.full_name if outcome.response else ""
        return Done(url, f"Devis signé par {name} : accepté, PDF signé enregistré." if outcome.changed
                    else "Ce devis était déjà accepté : rien n'a changé.")

    def fail(exc: PortalError):
        form.token.data = idempotency.new_token()
        return _sign_page(doc, form, today, error=exc), 422

    return run_once(form.token.data, fallback_url=url, act=act, fail=fail)


def _sign_page(doc: Document, form: SignForm, today, error: PortalError | None = None):
    errors = {error.field or "form": str(error)} if error else {}
    return render_template("quotes/sign.html", doc=doc, form=form, today=today, errors=errors,
                           closed=answers.quote_open_for_answer(doc, today) if doc.accepted_at is None else None,
                           status=status.status_of(doc, today), totals=docs.totals_of(doc))


@bp.get("/<int:quote_id>/signed.pdf")
def signed_pdf(quote_id: int):
    """The signed copy of a quote signed on site (its original PDF stays as issued)."""
    doc = _quote_or_404(quote_id)
    return stored_file_response(signing.signed_copy(doc), mimetype="application/pdf",
                                download=request.args.get("download") == "1")
