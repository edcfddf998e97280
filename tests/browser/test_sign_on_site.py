"""Point 9: the client signs the quote on the tablet with a finger, in either orientation, one
hand holding the tablet: recorded with the same evidence as the online acceptance (time, device,
SHA-256 of the PDF as issued) and a signed PDF frozen beside the unchanged original."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from domain.billing import printing as document_files
from domain.billing.models import Document, StoredFile
from domain.core.clock import today_in
from domain.core.models import Company, Event
from domain.portal.models import ClientResponse
from extensions import db
from tests.support.browser import LANDSCAPE, PORTRAIT, login, small_targets
from tests.support.builders import make_client, make_quote


def _draw(page, selector: str) -> None:
    """A signature: three strokes with a finger (pointer events, as signature_pad reads them)."""
    box = page.locator(selector).bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for start, end in (((0.15, 0.6), (0.45, 0.3)), ((0.45, 0.3), (0.6, 0.7)), ((0.6, 0.7), (0.85, 0.35))):
        page.mouse.move(x + w * start[0], y + h * start[1])
        page.mouse.down()
        for step in range(1, 9):
            t = step / 8
            page.mouse.move(x + w * (start[0] + (end[0] - start[0]) * t), y + h * (start[1] + (end[1] - start[1]) * t))
        page.mouse.up()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_the_client_signs_the_quote_on_the_tablet(page, live_server, app, company, viewport):
    today = today_in("Europe/Paris")
    with app.app_context():
        co = db.session.get(Company, company)
        quote = make_quote(co, make_client(co, name="Hélène Dupont"), today=today, subject="Salle de bains")
        document_files.issue_with_pdf(quote, None, today=today)
        db.session.commit()
        quote_id, number = quote.id, quote.number
        original = db.session.scalar(db.select(StoredFile).where(StoredFile.document_id == quote_id)).data

    page.set_viewport_size(viewport)
    login(page, live_server)
    page.goto(f"{live_server}/quotes/{quote_id}")
    page.get_by_role("link", name="Faire signer sur la tablette").click()
    expect(page.get_by_role("heading", name=f"Bon pour accord · devis {number}")).to_be_visible()
    expect(page.locator(".mainnav")).to_have_count(0)  # handed to the client: no navigation
    # one hand: the pad and its buttons fit the screen together, every target is finger-sized
    pad, submit = page.locator("#sign-pad"), page.get_by_role("button", name="Signer et accepter le devis")
    submit.scroll_into_view_if_needed()
    pad_box, submit_box = pad.bounding_box(), submit.bounding_box()
    assert submit_box["y"] + submit_box["height"] - pad_box["y"] <= viewport["height"], viewport
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    assert small_targets(page) == []

    # nothing drawn: refused on the tablet, nothing sent
    submit.click()
    expect(page.locator("#signature-missing")).to_be_visible()
    page.get_by_label("Prénom et nom du signataire").fill("Hélène Dupont")
    page.get_by_label(re.compile("Bon pour accord")).check()
    _draw(page, "#signature-canvas")
    expect(page.locator("#signature-missing")).to_be_hidden()
    submit.click()

    expect(page.get_by_text("Devis signé par Hélène Dupont : accepté, PDF signé enregistré.")).to_be_visible()
    expect(page.locator(".badge.status-accepte").first).to_have_text("Accepté")
    signed_link = page.locator("#next-action").get_by_role("link", name="PDF signé")
    expect(signed_link).to_be_visible()

    with app.app_context():
        response = db.session.scalar(db.select(ClientResponse).where(ClientResponse.document_id == quote_id))
        assert response.kind == "accept" and response.channel == "on_site" and response.full_name == "Hélène Dupont"
        assert "Chrome" in response.user_agent and response.ip == "127.0.0.1"
        assert response.pdf_sha256 == hashlib.sha256(original).hexdigest()  # the PDF as issued
        assert response.signature_png.startswith(b"\x89PNG")
        stored = db.session.scalars(db.select(StoredFile).where(StoredFile.document_id == quote_id))
        files = {f.purpose: f for f in stored}
        assert files["document_pdf"].data == original  # the original is never touched
        signed = files["signed_pdf"]
        assert db.session.get(Document, quote_id).accepted_at is not None
        accepted = db.session.scalar(db.select(Event).where(Event.document_id == quote_id, Event.kind == "accepted"))
        assert accepted.data["signed_pdf_sha256"] == signed.sha256 == hashlib.sha256(signed.data).hexdigest()

    reader = PdfReader(io.BytesIO(signed.data))
    assert len(reader.pages) == len(PdfReader(io.BytesIO(original)).pages) + 1
    evidence = reader.pages[-1].extract_text()
    for text in ("Bon pour accord", "Hélène Dupont", f"Devis {number}", response.pdf_sha256[:32]):
        assert text in evidence.replace("\n", ""), text
    assert page.request.get(live_server + signed_link.get_attribute("href")).body() == signed.data

    # a second signature (the back button, a double tap) changes nothing
    page.goto(f"{live_server}/quotes/{quote_id}/sign")
    expect(page.locator("#sign-done")).to_contain_text("Ce devis est accepté")
