"""The PDF engine: URL fetcher, escaping, attachments, limits, metadata."""

import dataclasses
import io
import os
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader

from output import pdf
from output.samples import sample_invoice_view, sample_quote_view
from output.views import Line

PASSWD_MARKER = "root:x:0:0"


def _recording_fetcher_class():
    base = pdf.fetcher_class()

    class RecordingFetcher(base):
        def __init__(self, static_dir=pdf.STATIC_DIR):
            super().__init__(static_dir)
            self.requested = []
            self.refused = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            try:
                return super().fetch(url, headers)
            except pdf.URLRefused:
                self.refused.append(url)
                raise

    return RecordingFetcher


@pytest.fixture(scope="module")
def recording_renderer():
    return pdf.PdfRenderer(url_fetcher=_recording_fetcher_class()())


@pytest.fixture
def fetcher(recording_renderer):
    recording_renderer.url_fetcher.requested.clear()
    recording_renderer.url_fetcher.refused.clear()
    return recording_renderer.url_fetcher


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly (and record) if anything opens a socket."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def _text(pdf_bytes: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)


# ------------------------------------------------------------------------ fetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/logo.png",
        "https://example.com/logo.png",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "ftp://example.com/x",
        "gopher://127.0.0.1:25/",
        f"file://{pdf.STATIC_DIR}/../output/pdf.py",
        f"file://{pdf.STATIC_DIR}/pdf/../../output/pdf.py",
        f"file://{pdf.STATIC_DIR}/pdf/missing.png",
        "file://example.com/etc/passwd",
    ],
)
def test_fetcher_refuses(url, no_network):
    fetcher = pdf.fetcher_class()()
    with pytest.raises(pdf.URLRefused):
        fetcher.fetch(url)
    assert no_network == []


def test_fetcher_serves_static_files_and_data_urls(tmp_path):
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetcher = pdf.fetcher_class()(static)

    response = fetcher.fetch((static / "img" / "logo.svg").as_uri())
    assert response.read().startswith(b"<svg")
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher.fetch("data:text/plain,hello%20world").read() == b"hello world"


def test_fetcher_refuses_symlink_out_of_static(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, static / "innocent.png")
    os.symlink(tmp_path, static / "dir-link")
    fetcher = pdf.fetcher_class()(static)
    with pytest.raises(pdf.URLRefused):
        fetcher.fetch((static / "innocent.png").as_uri())
    with pytest.raises(pdf.URLRefused):
        fetcher.fetch((static / "dir-link" / "secret.txt").as_uri())


def test_fetcher_never_follows_redirects():
    fetcher = pdf.fetcher_class()()
    # Nothing reaches urllib's opener, and no redirect handler is installed either.
    assert not any(type(h).__name__ == "HTTPRedirectHandler" for h in fetcher.handlers)


# ------------------------------------------------------------ hostile documents


def test_html_resources_outside_static_are_refused_in_a_render(
    recording_renderer, fetcher, no_network
):
    html = """<!DOCTYPE html><html lang="fr"><head>
    <link rel="stylesheet" href="http://example.com/evil.css">
    <link rel="stylesheet" href="file:///etc/passwd">
    </head><body>
    <img src="file:///etc/passwd"><img src="http://169.254.169.254/latest/meta-data/">
    <img src="https://example.com/pixel.png"><img src="../../../../etc/passwd">
    <p style="background: url(http://example.com/bg.png)">Bonjour</p>
    </body></html>"""
    out = recording_renderer.render_pdf_from_html(html)
    assert "Bonjour" in _text(out)
    assert PASSWD_MARKER not in _text(out)
    assert set(fetcher.requested) == set(fetcher.refused)
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://169.254.169.254/latest/meta-data/" in fetcher.refused
    assert no_network == []


def test_attachments_are_never_embedded_nor_fetched(recording_renderer, fetcher):
    html = """<!DOCTYPE html><html><head>
    <link rel="attachment" href="data:text/plain;base64,c2VjcmV0LWxpbms=" title="x">
    <link rel="attachment" href="file:///etc/passwd">
    </head><body><p>Facture</p>
    <a rel="attachment" href="data:text/plain,secret-anchor">pièce jointe</a>
    </body></html>"""
    out = recording_renderer.render_pdf_from_html(html)
    assert b"/EmbeddedFile" not in out
    assert b"/FileAttachment" not in out
    assert not any("secret" in url or "passwd" in url for url in fetcher.requested)

    # The same HTML through plain WeasyPrint does embed: the test exercises the feature.
    import weasyprint

    plain = weasyprint.HTML(string=html).write_pdf(uncompressed_pdf=True)
    assert b"/EmbeddedFile" in plain


def test_attachments_option_is_refused():
    with pytest.raises(TypeError):
        pdf.render_pdf_from_html("<p>x</p>", attachments=["file:///etc/passwd"])


def test_user_text_is_escaped_and_fetches_nothing(recording_renderer, fetcher, no_network):
    view = sample_invoice_view()
    hostile = Line(
        kind="item",
        label='<img src="file:///etc/passwd">',
        description='<img src="http://169.254.169.254/latest/"> <link rel=attachment href=data:,x>',
        quantity_milli=1000,
        unit="u",
        unit_price_cents=100,
        vat_rate_bp=1000,
        total_ht_cents=100,
    )
    view = dataclasses.replace(
        view,
        lines=(hostile, *view.lines),
        notes='<script>alert(1)</script><img src="https://example.com/track.gif">',
        site_name='<style>@import "http://example.com/x.css";</style>Chantier',
    )
    html = recording_renderer.document_html(view)
    assert '&lt;img src=&#34;file:///etc/passwd&#34;&gt;' in html
    assert "<img src=\"file:" not in html
    out = recording_renderer.render_document(view)
    text = _text(out)
    assert '<img src="file:///etc/passwd">' in text
    assert "<script>alert(1)</script>" in text
    assert PASSWD_MARKER not in text
    # Only the QR code (a data: URL) was fetched.
    assert fetcher.requested and all(url.startswith("data:image/png") for url in fetcher.requested)
    assert b"/EmbeddedFile" not in out
    assert no_network == []


def test_logo_must_be_an_inline_image(recording_renderer, fetcher):
    seller = dataclasses.replace(sample_invoice_view().seller, logo_data_uri="file:///etc/passwd")
    view = dataclasses.replace(sample_invoice_view(), seller=seller, epc_qr=False)
    recording_renderer.render_document(view)
    assert fetcher.requested == []

    png_1px = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
        "mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    seller = dataclasses.replace(seller, logo_data_uri=png_1px)
    recording_renderer.render_document(dataclasses.replace(view, seller=seller))
    assert fetcher.requested == [png_1px]


# ------------------------------------------------------------------------ limits


def test_too_many_lines_is_a_french_error():
    line = sample_invoice_view().lines[1]
    view = dataclasses.replace(sample_invoice_view(), lines=(line,) * (pdf.MAX_LINES + 1))
    with pytest.raises(pdf.PdfRenderError, match="lignes"):
        pdf.render_document(view)


def test_page_limit_stops_layout_early():
    renderer = pdf.PdfRenderer(max_pages=2)
    with pytest.raises(pdf.PdfRenderError, match="dépasse 2 pages"):
        renderer.render_document(sample_quote_view(40))
    # The renderer is still usable afterwards (the guard was disarmed).
    assert renderer.render_document(sample_quote_view(8)).startswith(b"%PDF")


def test_time_budget_interrupts_layout():
    renderer = pdf.PdfRenderer(time_budget_s=0)
    with pytest.raises(pdf.PdfRenderError, match="secondes"):
        renderer.render_document(sample_quote_view(8))


def test_invalid_view_is_a_french_error():
    view = dataclasses.replace(sample_invoice_view(), total_ht_cents=3039.03)
    with pytest.raises(pdf.PdfRenderError, match="données invalides") as info:
        pdf.render_document(view)
    assert isinstance(info.value.__cause__, TypeError)


def test_guard_is_inactive_outside_renders():
    import weasyprint

    assert weasyprint.HTML(string="<p>x</p>").write_pdf().startswith(b"%PDF")


# ---------------------------------------------------------------------- API, meta


def test_renderer_is_a_lazy_singleton():
    assert pdf.get_renderer() is pdf.get_renderer()


def test_metadata_title_author_lang():
    out = pdf.render_document(sample_invoice_view())
    reader = PdfReader(io.BytesIO(out))
    assert reader.metadata.title == "Facture F-2026-0042"
    assert reader.metadata.author == "Martin Plomberie Chauffage"
    assert reader.trailer["/Root"]["/Lang"] == "fr"


def test_draft_metadata_title():
    out = pdf.render_document(sample_invoice_view(draft=True))
    assert PdfReader(io.BytesIO(out)).metadata.title == "Facture (brouillon)"


def test_render_html_escapes_context():
    html = pdf.render_html(
        "statement.html",
        st=__import__("output.samples", fromlist=["x"]).sample_statement_view(),
        seller=dataclasses.replace(sample_invoice_view().seller, name="<b>Evil</b>"),
        logo=None,
        meta_title="t",
        footer_ref="r",
        insurance=None,
        draft=False,
    )
    assert "&lt;b&gt;Evil&lt;/b&gt;" in html


def test_css_is_parsed_once_and_fonts_shared():
    renderer = pdf.get_renderer()
    css, fonts = renderer.css, renderer.font_config
    pdf.render_document(sample_invoice_view())
    assert renderer.css is css and renderer.font_config is fonts
    assert Path(pdf.CSS_PATH).is_file()
