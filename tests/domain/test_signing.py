"""Signing a quote on site: what counts as a signature, the evidence recorded, signing once."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from domain.billing import printing as document_files
from domain.billing.models import StoredFile
from domain.portal import signing
from domain.portal.links import PortalError
from domain.portal.models import ClientResponse
from extensions import db
from tests.support.builders import count, make_client, make_company, make_quote, make_user
from tests.support.world import TODAY


def png_url(draw: bool = True, fmt: str = "PNG") -> str:
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line([(40, 200), (200, 60), (360, 240), (560, 80)], fill=(20, 33, 61, 255), width=4)
    out = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else "RGBA").save(out, fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(out.getvalue()).decode()


def test_a_blank_canvas_or_anything_but_a_png_is_not_a_signature():
    assert signing.clean_signature(png_url()).startswith(b"\x89PNG")
    for bad in ("", "data:image/png;base64,", png_url(draw=False), png_url(fmt="JPEG"), "data:image/png;base64,!!",
                "data:image/png;base64," + "A" * 500_000):
        with pytest.raises(PortalError) as err:
            signing.clean_signature(bad)
        assert err.value.field == "signature"


@pytest.fixture
def quote(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        doc = make_quote(company, make_client(company), user, today=TODAY)
        document_files.issue_with_pdf(doc, user, today=TODAY)
        db.session.commit()
        yield doc, user


def test_signing_records_the_evidence_and_freezes_a_signed_copy_once(quote):
    doc, user = quote
    original = document_files.stored_pdf(doc).data
    with pytest.raises(PortalError, match="Bon pour accord"):
        signing.sign_on_site(doc, user, full_name="Hélène Dupont", signature_data_url=png_url(), agreed=False,
                             ip="10.0.0.7", user_agent="Tablette", today=TODAY)
    outcome = signing.sign_on_site(doc, user, full_name="  Hélène   Dupont ", signature_data_url=png_url(),
                                   agreed=True, ip="10.0.0.7", user_agent="Tablette", today=TODAY)
    db.session.commit()
    assert outcome.changed and outcome.response.full_name == "Hélène Dupont"
    assert outcome.response.pdf_sha256 == hashlib.sha256(original).hexdigest()
    assert outcome.response.recorded_by_id == user.id and outcome.response.channel == "on_site"
    again = signing.sign_on_site(doc, user, full_name="Autre", signature_data_url=png_url(), agreed=True, ip="",
                                 user_agent="", today=TODAY)
    assert not again.changed and again.response.id == outcome.response.id
    assert count(ClientResponse, ClientResponse.document_id == doc.id) == 1
    signed = signing.signed_copy(doc)
    assert count(StoredFile, StoredFile.document_id == doc.id) == 2
    assert document_files.stored_pdf(doc).data == original
    pages = PdfReader(io.BytesIO(signed.data)).pages
    assert pages[-1].extract_text().count(outcome.response.pdf_sha256[:20]) == 1
