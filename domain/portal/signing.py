"""A quote signed on site: the client reads it on the artisan's tablet and signs with a finger.

The same evidence as the acceptance through the client's link (answers.accept): the typed
name, the time, the device (user agent) and IP address, and the SHA-256 of the PDF as issued;
plus the signature as drawn (PNG) and who handed over the tablet. A signed PDF, the original's
pages followed by an evidence page, is frozen beside the original, which never changes.
Signing twice (a double tap, two tablets) records once: the quote's one decision is a unique
index (answers.insert_once).

Nothing is signed offline: the evidence needs the server's clock and the frozen PDF, and a
signature queued on a tablet could arrive after the quote changed hands.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from domain.billing import documents as docs
from domain.billing.models import Document, StoredFile, VatRegime
from domain.billing.printing import client_slug, freeze_pdf, seller_party, stored_pdf
from domain.core.orm import utcnow
from domain.portal.answers import Outcome, clean_name, decision, insert_once, quote_open_for_answer
from domain.portal.links import PortalError
from domain.portal.models import CHANNEL_ON_SITE, RESPONSE_ACCEPT, ClientResponse
from extensions import db
from output import formatting
from output.signed import signed_pdf
from output.views import SignatureView

SIGNED_PDF_PURPOSE = "signed_pdf"
MAX_SIGNATURE_BYTES = 300_000  # a finger signature on a 1024 px canvas is 10-40 kB
MAX_SIGNATURE_SIDE = 4000
ON_SITE_LABEL = "client, sur place"


def clean_signature(data_url: str) -> bytes:
    """The PNG bytes of a signature drawn on the canvas ("data:image/png;base64,…"); a blank
    canvas, another format or an oversized image is refused (French message)."""
    prefix = "data:image/png;base64,"
    if not (data_url or "").startswith(prefix):
        raise PortalError("Signez dans le cadre avec le doigt avant de valider.", field="signature")
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise PortalError("La signature est trop volumineuse : effacez-la et signez à nouveau.", field="signature")
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIGNATURE_SIDE:
                raise PortalError("Signature illisible : effacez-la et signez à nouveau.", field="signature")
            alpha = image.convert("RGBA").getchannel("A")
            drawn = alpha.getbbox()
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PortalError("Signature illisible : effacez-la et signez à nouveau.", field="signature") from None
    if drawn is None or (drawn[2] - drawn[0] < 10 and drawn[3] - drawn[1] < 10):
        raise PortalError("Signez dans le cadre avec le doigt avant de valider.", field="signature")
    return data


def _locked(doc: Document) -> Document:
    return db.session.execute(select(Document).where(Document.id == doc.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def sign_on_site(quote: Document, actor, *, full_name: str, signature_data_url: str, agreed: bool, ip: str,
                 user_agent: str, today, now: datetime | None = None) -> Outcome:
    """"Bon pour accord" signed on the tablet: accept the quote, record the evidence, freeze the
    signed PDF. Signing an accepted quote again changes nothing (changed=False)."""
    now = now or utcnow()
    doc = _locked(quote)
    if not doc.is_quote or not doc.is_issued:
        raise PortalError("Seul un devis émis peut être signé.")
    if doc.accepted_at is not None:
        return Outcome(decision(doc), False)
    name = clean_name(full_name)
    if not agreed:
        raise PortalError("Cochez la case « Bon pour accord » pour accepter le devis.", field="agree")
    png = clean_signature(signature_data_url)
    reason = quote_open_for_answer(doc, today)
    if reason:
        raise PortalError(reason)
    original = stored_pdf(doc) or freeze_pdf(doc)
    original_sha = hashlib.sha256(original.data).hexdigest()
    response = ClientResponse(company_id=doc.company_id, document_id=doc.id, link_id=None, kind=RESPONSE_ACCEPT,
                              full_name=name, at=now, ip=(ip or "")[:45], user_agent=(user_agent or "")[:500],
                              pdf_sha256=original_sha, channel=CHANNEL_ON_SITE, signature_png=png,
                              recorded_by_id=getattr(actor, "id", None))
    if not insert_once(response):
        return Outcome(decision(doc), False)
    signed = _freeze_signed(doc, original.data, response)
    docs.accept_quote(doc, actor, now=now, actor_label=f"{name} ({ON_SITE_LABEL})", channel="signé sur place",
                      full_name=name, response_id=response.id, pdf_sha256=original_sha,
                      signed_pdf_sha256=signed.sha256)
    return Outcome(response, True)


def _freeze_signed(doc: Document, original: bytes, response: ClientResponse) -> StoredFile:
    company = doc.company
    seller = (doc.snapshot or {}).get("seller") or {}
    no_vat = doc.vat_regime != VatRegime.NORMAL
    view = SignatureView(
        seller=seller_party(seller, company) if seller else seller_party({"name": company.name}, company),
        title=f"Devis {doc.number}", buyer_name=doc.client.name,
        amount_text=formatting.format_money(doc.total_ttc_cents) + ("" if no_vat else " TTC"),
        full_name=response.full_name,
        signed_at_text=formatting.format_datetime(response.at, company.timezone) + " (heure de "
        + (company.timezone or "Europe/Paris").split("/")[-1].replace("_", " ") + ")",
        place=doc.site_name or "", signature_png=response.signature_png or b"", original_sha256=response.pdf_sha256,
        device=response.user_agent, ip=response.ip,
    )
    data = signed_pdf(original, view)
    buyer = (doc.snapshot or {}).get("buyer") or {}
    slug = client_slug(buyer.get("name") or doc.client.name, bool(buyer.get("is_business", doc.client.is_business)))
    stored = StoredFile(company_id=doc.company_id, document_id=doc.id, purpose=SIGNED_PDF_PURPOSE,
                        filename=f"Devis-{doc.number}-{slug}-signe.pdf", sha256=hashlib.sha256(data).hexdigest(),
                        size=len(data), data=data)
    db.session.add(stored)
    db.session.flush()
    return stored


def signed_copy(doc: Document) -> StoredFile | None:
    """The signed PDF of a quote signed on site, if any."""
    return db.session.scalar(select(StoredFile).where(StoredFile.document_id == doc.id,
                                                      StoredFile.purpose == SIGNED_PDF_PURPOSE))
