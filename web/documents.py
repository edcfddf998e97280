"""Document pages shared by quotes and invoices: the frozen answer, the PDF response."""

from __future__ import annotations

from flask import Response, abort, flash, render_template, request, url_for

from domain.billing import einvoicing, printing
from domain.billing.documents import FROZEN_MESSAGE
from domain.billing.models import Document
from domain.core import idempotency
from domain.core.clock import today_in
from extensions import db
from web.http import see_other
from web.urls import document_url


def frozen_response(doc: Document):
    """An issued document was asked to change (edit, delete, forged POST): say why, offer the
    way out (credit note or duplicate), change nothing. htmx callers are sent to the page,
    since htmx does not swap a 4xx answer."""
    if request.headers.get("HX-Request") == "true":
        flash(FROZEN_MESSAGE, "error")
        return see_other(document_url(doc))
    return render_template("documents/frozen.html", doc=doc, message=FROZEN_MESSAGE,
                           token=idempotency.new_token()), 409


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


def xml_response(doc: Document, *, download: bool = True):
    """The e-invoice XML exactly as frozen at issue (the PDF's factur-x.xml); 404 when there
    is none (a draft, a quote, a document issued before e-invoices)."""
    stored = einvoicing.stored_xml(doc)
    if stored is None:
        abort(404)
    if request.if_none_match and stored.sha256 in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{stored.sha256}"'})
    response = Response(stored.data, mimetype=stored.mimetype)
    response.headers["ETag"] = f'"{stored.sha256}"'
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    return response


def pdf_response(doc, *, download: bool):
    """Serve a document's PDF: the frozen bytes of an issued document (strong ETag, the
    same bytes forever), a fresh render of a draft (never cached)."""
    disposition = "attachment" if download else "inline"
    if doc.is_issued:
        stored = printing.stored_pdf(doc)
        if stored is None:  # issued before PDFs were frozen (imported data): freeze now, once
            stored = printing.freeze_pdf(doc, late=True)
            db.session.commit()
        if request.if_none_match and stored.sha256 in request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{stored.sha256}"'})
        response = Response(stored.data, mimetype="application/pdf")
        response.headers["ETag"] = f'"{stored.sha256}"'
        response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
        filename = stored.filename
    else:
        # A PdfRenderError (document over the page or time bound) is answered by init_app's handler.
        data = printing.render_pdf(doc, today=today_in(doc.company.timezone))
        response = Response(data, mimetype="application/pdf")
        response.headers["Cache-Control"] = "no-store"
        filename = printing.pdf_filename(doc)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
