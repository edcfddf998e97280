"""The signed copy of a quote: the PDF as issued, its pages untouched, followed by one page of
evidence (bon pour accord, name, date, the finger signature, the device, the SHA-256 of the
original). The original stays stored beside it, unchanged: the hash on the page proves which
bytes were signed.

pypdf (already installed with factur-x) appends the pages; WeasyPrint lays out the evidence
page with the documents' stylesheet.
"""

from __future__ import annotations

import base64
import io

from pypdf import PdfReader, PdfWriter

from output.pdf import render_html, render_pdf_from_html
from output.views import SignatureView


def signature_page(view: SignatureView) -> bytes:
    """The evidence page alone (PDF bytes)."""
    uri = "data:image/png;base64," + base64.b64encode(view.signature_png).decode()
    html = render_html("signature.html", sig=view, seller=view.seller, insurance=None, signature_uri=uri,
                       meta_title=f"{view.title} signé", footer_ref=f"{view.title} · signé", draft=False)
    return render_pdf_from_html(html)


def signed_pdf(original: bytes, view: SignatureView) -> bytes:
    """The original PDF's pages followed by the evidence page."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(signature_page(view))))
    writer.add_metadata({"/Subject": f"{view.title}, {view.mention.lower()} signé par {view.full_name}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
