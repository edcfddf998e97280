"""The "Banque" page: import a statement file, then turn its credits into invoice payments.

Import (one transaction, each operation once: domain/banking/imports.py), the columns of an
unknown CSV (remembered for the account), the credits waiting with their proposals (one tap
confirms), a line's own page (split over a client's invoices, set aside, undo), one import's
lines. Every payment goes through domain.billing.payments (domain/banking/reconciliation.py).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.bank.forms import ConfirmForm, MappingForm, SplitForm, UploadForm, encode_file
from domain.banking import imports, reconciliation
from domain.banking import lists as bank_lists
from domain.banking.lists import DEFAULT_VIEW, VIEWS
from domain.banking.model import StatementError, compact_iban
from domain.banking.models import MATCHED, UNMATCHED, BankLine, BankStatement
from domain.banking.statements import NeedsMapping, parse_statement
from domain.core import idempotency
from domain.core.errors import UserError
from extensions import db
from output.formatting import format_money
from web.http import render_page
from web.once import Done, finish, remember, replay_of, run_once
from web.tenancy import company_today, get_owned_or_404, parse_id

bp = Blueprint("bank", __name__, url_prefix="/bank")


@bp.before_request
@login_required
def _require_login():
    """Every bank page needs a logged-in user."""


# --- the page --------------------------------------------------------------------------------


def _index_context(view: str, page: int, **extra) -> dict:
    company = current_user.company
    lines = bank_lists.list_lines(company.id, view, page)
    context = {
        "lines": lines, "views": VIEWS, "form_nonce": idempotency.new_token()[:24],
        "summary": reconciliation.summary(company.id, waiting=lines.counts[DEFAULT_VIEW]),
        "imports": bank_lists.recent_imports(company.id),
        "upload_form": UploadForm.fresh(), "has_iban": compact_iban(company.iban) is not None,
        "state_labels": reconciliation.STATE_LABELS,
    }
    context.update(extra)
    return context


def _page_arg() -> int:
    return request.args.get("page", 1, type=parse_id) or 1


@bp.get("/")
def index():
    """Import a statement; the credits to reconcile with their proposals, and the other lines by state."""
    view = request.args.get("view", DEFAULT_VIEW)
    return render_page("bank/index.html", "bank/_lines.html", **_index_context(view, _page_arg()))


def _upload_failed(form: UploadForm):
    return render_template("bank/index.html", **_index_context(DEFAULT_VIEW, 1, upload_form=form))


def _mapping_page(needs: NeedsMapping, data: bytes, filename: str, form: MappingForm | None = None, error: str = ""):
    form = (form or MappingForm(formdata=None)).setup(needs)
    form.file_data.data = encode_file(data)
    form.filename.data = filename
    return render_template("bank/mapping.html", form=form, needs=needs, error=error)


def _imported(token: str | None, result: imports.ImportResult):
    url = url_for("bank.index")
    remember(token, url)
    return finish(Done(url, result.message))


@bp.post("/import")
def upload():
    """Import a statement file: all of it or nothing; a CSV of unknown layout asks for its columns."""
    form = UploadForm()
    got = form.file_bytes()
    if got is None:
        return _upload_failed(form)
    data, filename = got
    replay = replay_of(form.token.data, url_for("bank.index"))
    if replay is not None:
        return replay
    try:
        result = imports.import_statement(current_user.company, current_user, data, filename)
    except UserError as exc:
        db.session.rollback()
        form.file.errors = [*form.file.errors, str(exc)]
        return _upload_failed(form)
    if result.needs_mapping is not None:
        db.session.rollback()  # nothing imported yet; the form token is given back
        return _mapping_page(result.needs_mapping, data, filename, error=result.mapping_error)
    return _imported(form.token.data, result)


@bp.post("/mapping")
def mapping():
    """The columns of an unknown CSV chosen: import with them, and remember them for the account."""
    form = MappingForm()
    data = form.file_bytes()
    filename = (form.filename.data or "")[:200]
    needs = _needs_mapping(data, filename) if data else None
    if needs is None:
        upload_form = UploadForm.fresh()
        upload_form.file.errors = ["Le fichier n'a pas été transmis avec les colonnes : choisissez-le à nouveau."]
        return _upload_failed(upload_form)
    form.setup(needs)
    chosen = form.mapping()
    if chosen is None:
        return _mapping_page(needs, data, filename, form)
    replay = replay_of(form.token.data, url_for("bank.index"))
    if replay is not None:
        return replay
    try:
        result = imports.import_statement(current_user.company, current_user, data, filename, mapping=chosen)
    except UserError as exc:
        db.session.rollback()
        return _mapping_page(needs, data, filename, form, error=str(exc))
    return _imported(form.token.data, result)


def _needs_mapping(data: bytes, filename: str) -> NeedsMapping | None:
    """The columns of a CSV the app does not recognise (None for any other file)."""
    try:
        parsed = parse_statement(data, filename)
    except StatementError:
        return None
    return parsed if isinstance(parsed, NeedsMapping) else None


@bp.post("/rematch")
def rematch():
    """Match the waiting credits again against what the invoices owe now."""
    def act() -> Done:
        exact = reconciliation.match_waiting(current_user.company_id)
        message = "Propositions mises à jour."
        if exact:
            message += f" {exact} avec la référence exacte d'une facture, à confirmer."
        return Done(url_for("bank.index"), message)

    return run_once(None, fallback_url=url_for("bank.index"), act=act,
                    fail=lambda _exc: _upload_failed(UploadForm.fresh()))


@bp.post("/confirm-exact")
def confirm_exact():
    """One tap for every proposal naming its invoice exactly (RF reference or number), within what is due."""
    form = ConfirmForm()

    def act() -> Done:
        done, left = reconciliation.confirm_exact(current_user.company_id, current_user, today=company_today())
        message = (f"{done} virements rapprochés de leur facture." if done > 1
                   else f"{done} virement rapproché de sa facture.")
        if left:
            message += (f" {left} laissé{'s' if left > 1 else ''} à rapprocher : la facture a changé depuis "
                        "(réglée entre-temps) ou le virement est daté après aujourd'hui.")
        return Done(url_for("bank.index"), message)

    return run_once(form.token.data, fallback_url=url_for("bank.index"), act=act,
                    fail=lambda _exc: _upload_failed(UploadForm.fresh()))


# --- one line ----------------------------------------------------------------------------------


def _line_or_404(line_id: int) -> BankLine:
    return get_owned_or_404(BankLine, line_id)


def _prefill(line: BankLine, invoices) -> dict[int, int]:
    """Amounts to offer on the split screen: the proposal's for its client, else oldest due first."""
    proposed = dict(line.proposed)
    if any(invoice.id in proposed for invoice in invoices):
        return {invoice.id: proposed[invoice.id] for invoice in invoices if invoice.id in proposed}
    left, amounts = line.amount_cents, {}
    for invoice in invoices:
        if left <= 0:
            break
        amounts[invoice.id] = min(left, invoice.remaining_cents)
        left -= amounts[invoice.id]
    return amounts


def _line_context(line: BankLine, **extra) -> dict:
    company_id = current_user.company_id
    allocations = bank_lists.active_allocations(company_id, [line.id]).get(line.id, []) if line.state == MATCHED else []
    proposed = bank_lists.invoice_briefs(company_id, [i for i, _c in line.proposed])
    briefs = bank_lists.invoice_briefs(company_id, [a.document_id for a in allocations])
    client_id = extra.pop("client_id", None) or request.args.get("client_id", type=parse_id)
    if client_id is None and line.proposed and line.proposed[0][0] in proposed:
        client_id = proposed[line.proposed[0][0]].client_id
    waiting = line.state == UNMATCHED
    open_invoices = bank_lists.open_invoices_of(company_id, client_id) if waiting and client_id else []
    statement = db.session.scalar(db.select(BankStatement).where(BankStatement.id == line.statement_id,
                                                                 BankStatement.company_id == company_id))
    context = {
        "line": line, "statement": statement, "allocations": allocations, "allocated": briefs,
        "proposed": proposed, "stale": any(proposed.get(i) is None or proposed[i].remaining_cents < c
                                           for i, c in line.proposed),
        "clients": bank_lists.clients_with_open_invoices(company_id, also=client_id) if waiting else [],
        "client_id": client_id, "open_invoices": open_invoices,
        "amounts": _prefill(line, open_invoices), "amount_errors": {},
        "confirm_form": ConfirmForm(formdata=None, token=idempotency.new_token()),
        "split_form": SplitForm(formdata=None, token=idempotency.new_token(), client_id=client_id or ""),
        "error": None, "split_error": None, "state_labels": reconciliation.STATE_LABELS,
    }
    context.update(extra)
    return context


@bp.get("/lines/<int:line_id>")
def line(line_id: int):
    """One operation: what the bank wrote, the proposal, the split over a client's invoices, or its payments."""
    return render_template("bank/line.html", **_line_context(_line_or_404(line_id)))


def _recorded_message(made) -> str:
    parts = []
    for allocation in made:
        invoice = allocation.document
        left = invoice.remaining_cents
        state = "facture payée" if left <= 0 else f"reste {format_money(left)} à payer"
        parts.append(f"{format_money(allocation.amount_cents)} sur {invoice.number} ({state})")
    noun = "Paiement enregistré" if len(made) == 1 else f"{len(made)} paiements enregistrés"
    return f"{noun} : " + " ; ".join(parts) + "."


@bp.post("/lines/<int:line_id>/confirm")
def confirm(line_id: int):
    """One tap: record the proposal. A double tap records once (form token, then the line's state)."""
    line = _line_or_404(line_id)
    form = ConfirmForm()

    def act() -> Done:
        made = reconciliation.confirm_proposal(line, current_user, today=company_today(),
                                               acknowledge_excess=bool(form.acknowledge_excess.data))
        return Done(url_for("bank.index"), _recorded_message(made))

    def fail(exc: UserError):
        line_again = _line_or_404(line_id)
        return render_template("bank/line.html", **_line_context(line_again, error=str(exc), confirm_form=form))

    return run_once(form.token.data, fallback_url=url_for("bank.index"), act=act, fail=fail)


@bp.post("/lines/<int:line_id>/split")
def split(line_id: int):
    """Give typed amounts of the credit to invoices of one client (partial stays partial)."""
    line = _line_or_404(line_id)
    form = SplitForm()
    client_id = form.client_value()
    invoices = bank_lists.open_invoices_of(current_user.company_id, client_id) if client_id else []
    wanted, amount_errors = form.allocations(request.form, [invoice.id for invoice in invoices])
    typed = {invoice.id: request.form.get(f"amount-{invoice.id}", "") for invoice in invoices}

    def again(**extra):
        return render_template("bank/line.html", **_line_context(
            _line_or_404(line_id), client_id=client_id, split_form=form, amount_errors=amount_errors,
            typed=typed, **extra))

    if amount_errors:
        return again(split_error="Corrigez les montants signalés.")
    if client_id is None:
        return again(split_error="Choisissez le client.")

    def act() -> Done:
        made = reconciliation.allocate(line, current_user, client_id, wanted, today=company_today(),
                                       acknowledge_excess=bool(form.acknowledge_excess.data))
        return Done(url_for("bank.index"), _recorded_message(made))

    return run_once(form.token.data, fallback_url=url_for("bank.index"), act=act,
                    fail=lambda exc: again(split_error=str(exc), split_error_field=exc.field))


def _simple(line_id: int, action, message: str, target: str = "line"):
    """Set aside, bring back, undo: idempotent, so no form token; an error comes back on the line's page."""
    line = _line_or_404(line_id)

    def act() -> Done:
        action(line)
        url = url_for("bank.line", line_id=line.id) if target == "line" else url_for("bank.index")
        return Done(url, message)

    def fail(exc: UserError):
        return render_template("bank/line.html", **_line_context(_line_or_404(line_id), error=str(exc)))

    return run_once(None, fallback_url=url_for("bank.line", line_id=line_id), act=act, fail=fail)


@bp.post("/lines/<int:line_id>/ignore")
def ignore(line_id: int):
    """Set a credit aside: it pays no invoice (a refund, a transfer between own accounts…)."""
    return _simple(line_id, lambda line: reconciliation.ignore_line(line, current_user),
                   "Opération mise de côté : elle ne compte plus dans « À rapprocher ».", target="index")


@bp.post("/lines/<int:line_id>/restore")
def restore(line_id: int):
    """Bring a credit set aside back to the ones to reconcile."""
    return _simple(line_id, lambda line: reconciliation.restore_line(line, current_user),
                   "Opération remise à rapprocher.")


@bp.post("/lines/<int:line_id>/undo")
def undo(line_id: int):
    """Undo a match: its payments are cancelled (with the reason), the credit waits again."""
    return _simple(line_id, lambda line: reconciliation.undo_match(line, current_user),
                   "Rapprochement annulé : les paiements correspondants sont annulés, l'opération est à rapprocher.")


# --- one import -------------------------------------------------------------------------------


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int):
    """One import: the file, what it added, and its lines."""
    imported = get_owned_or_404(BankStatement, statement_id)
    lines = bank_lists.list_lines(current_user.company_id, DEFAULT_VIEW, _page_arg(), statement_id=imported.id)
    return render_page("bank/statement.html", "bank/_statement_lines.html", statement=imported, lines=lines,
                       state_labels=reconciliation.STATE_LABELS)
