"""Document pages shared by quotes and invoices: the frozen answer, the PDF response."""

from __future__ import annotations

from flask import Response, abort, flash, make_response, render_template, request, url_for
from flask_login import current_user

from domain.billing import documents as docs
from domain.billing import einvoicing, lists, printing
from domain.billing.documents import FROZEN_MESSAGE
from domain.billing.models import Document, Kind
from domain.core import idempotency
from domain.core.clock import today_in
from extensions import db
from web.filters import parse_document_filters
from web.http import render_page, see_other
from web.limits import render_slot
from web.once import Done, finish, run_once
from web.tenancy import company_today, get_owned_or_404
from web.urls import document_url


def document_or_404(document_id: int, kinds, *options) -> Document:
    """A document of the current company whose kind is one of `kinds` (any other id is a 404)."""
    doc = get_owned_or_404(Document, document_id, *options)
    if doc.kind not in kinds:
        abort(404)
    return doc


def list_page(group: str, statuses):
    """The quotes or invoices list: filters from the query string, the page or its fragment."""
    filters, values, errors = parse_document_filters(request.args, group)
    result = lists.list_documents(current_user.company_id, filters, today=company_today())
    return render_page(f"{group}s/index.html", f"{group}s/_list.html", group=group, result=result, values=values,
                       errors=errors, clients=lists.clients_for_filter(current_user.company_id, filters.client_id),
                       statuses=statuses)


def issued_message(doc: Document) -> str:
    """"Devis émis sous le n° D-2026-0003." / "Facture émise…" / "Avoir émis…"."""
    if doc.is_invoice:
        return f"{doc.kind_label} émise sous le n° {doc.number}."
    return f"{'Devis' if doc.is_quote else 'Avoir'} émis sous le n° {doc.number}."


def issue_action(doc: Document):
    """The `act` of run_once that issues a draft with its frozen PDF.

    The PDF is rendered and its bytes stored in the same transaction: a render failure rolls
    the issue back, so the document stays an unnumbered draft (no gap)."""
    def act() -> Done:
        printing.issue_with_pdf(doc, current_user, today=company_today(),
                                confirm_over_quote=request.form.get("confirm_over_quote") == "1")
        return Done(document_url(doc), issued_message(doc))

    return act


def create_draft_once(kind: str, form, lines, fail):
    """Save a new quote or invoice draft once per form token, then open its page."""
    def act() -> Done:
        doc = docs.create_draft(current_user.company, current_user, kind, form.draft_input(lines),
                                today=company_today())
        return Done(document_url(doc), "Devis enregistré en brouillon." if doc.is_quote
                    else "Facture enregistrée en brouillon.")

    index = "quotes.index" if kind == Kind.QUOTE else "invoices.index"
    return run_once(form.token.data, fallback_url=url_for(index), act=act, fail=fail)


def save_draft_once(doc: Document, form, lines, fail, **fixed):
    """Save an edited draft once per form token, then open its page: a double tap on
    "Enregistrer" must not come back as "modified in the meantime"."""
    url = document_url(doc)

    def act() -> Done:
        docs.update_draft(doc, current_user.company, current_user, form.draft_input(lines, **fixed),
                          expected_version=form.version_value())
        return Done(url, "Devis enregistré." if doc.is_quote else "Brouillon enregistré.")

    return run_once(form.token.data, fallback_url=url, act=act, fail=fail)


def delete_draft(doc: Document, next_url: str):
    """Delete a draft (no number: no gap); an issued document is never deleted."""
    if doc.is_issued:
        return frozen_response(doc)
    docs.delete_draft(doc, current_user)
    return finish(Done(next_url, "Brouillon supprimé."))


def frozen_response(doc: Document):
    """An issued document was asked to change (edit, delete, forged POST): say why, offer the
    way out (credit note or duplicate), change nothing. htmx callers are sent to the page,
    since htmx does not swap a 4xx answer."""
    if request.headers.get("HX-Request") == "true":
        flash(FROZEN_MESSAGE, "error")
        return see_other(document_url(doc))
    return render_template("documents/frozen.html", doc=doc, message=FROZEN_MESSAGE,
                           token=idempotency.new_token()), 409


def draft_form(doc: Document, form_class):
    """The editor's form for a draft: the saved values on display, the typed ones on submit.
    An issued document is frozen, also against a forged POST: the answer is the frozen page."""
    if doc.is_issued:
        abort(make_response(frozen_response(doc)))
    return form_class(obj=None if request.method == "POST" else doc).setup(current_user.company, doc)


def missing_links(doc: Document, missing: list[einvoicing.Missing]) -> list[tuple[str, str]]:
    """(what is missing, URL of the form field to fill in) for a draft's e-invoice."""
    links = []
    for item in missing:
        page = "settings.index" if item.place == "company" else "clients.edit"
        url = url_for(page, **({} if item.place == "company" else {"client_id": doc.client_id}))
        links.append((item.what, f"{url}#field-{item.field}"))
    return links


def einvoice_context(doc: Document) -> dict:
    """What the issue area of a draft invoice says about its e-invoice (nothing once issued)."""
    if doc.is_issued or not einvoicing.is_einvoice(doc):
        return {"einvoice_missing": [], "einvoice_advice": []}
    return {"einvoice_missing": missing_links(doc, einvoicing.missing_for(doc)),
            "einvoice_advice": einvoicing.advice(doc)}


def stored_file_response(stored, *, mimetype: str, download: bool):
    """Stored bytes (an issued PDF or XML, a signed copy, a formal notice letter): a strong ETag
    from their hash (304 when the browser has them), revalidated on each use, inline or as a download.
    None (no such file for this document) is a 404."""
    if stored is None:
        abort(404)
    if request.if_none_match and stored.sha256 in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{stored.sha256}"'})
    response = Response(stored.data, mimetype=mimetype)
    response.headers["ETag"] = f'"{stored.sha256}"'
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    return response


def xml_response(doc: Document, *, download: bool = True):
    """The e-invoice XML exactly as frozen at issue (the PDF's factur-x.xml); 404 when there
    is none (a draft, a quote, a document issued before e-invoices)."""
    stored = einvoicing.stored_xml(doc)
    if stored is None:
        abort(404)
    return stored_file_response(stored, mimetype=stored.mimetype, download=download)


def pdf_response(doc, *, download: bool):
    """Serve a document's PDF: the frozen bytes of an issued document (strong ETag, the
    same bytes forever), a fresh render of a draft (never cached)."""
    if doc.is_issued:
        stored = printing.stored_pdf(doc)
        if stored is None:  # issued before PDFs were frozen (imported data): freeze now, once
            stored = printing.freeze_pdf(doc, late=True)
            db.session.commit()
        return stored_file_response(stored, mimetype="application/pdf", download=download)
    # A PdfRenderError (document over the page or time bound) is answered by init_app's handler.
    with render_slot(doc.company_id):
        data = printing.render_pdf(doc, today=today_in(doc.company.timezone))
    response = Response(data, mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{printing.pdf_filename(doc)}"'
    return response
