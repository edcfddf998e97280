"""PDF rendering: what tests/unit/test_pdf_engine.py does not already prove.

- A real HTTP server that redirects (to file:///etc/passwd, to the cloud metadata address)
  is never contacted at all, whatever the way the URL reaches WeasyPrint (img, CSS,
  @import, inline SVG, protocol-relative); https://169.254.169.254 neither.
- Encoded path traversal and oversized data: URLs are refused.
- The worst document a user can save (the most lines, the longest texts) is refused at
  the page bound, within the time budget and a bounded memory, measured in a fresh process;
  the page answers 422 with a French message, not a 500.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from domain.billing.documents import MAX_LINES, LineInput
from domain.core.models import Client, Company
from extensions import db
from output import pdf
from tests.support.builders import make_quote

ROOT = Path(__file__).resolve().parents[2]


class _Trap(BaseHTTPRequestHandler):
    """Answers every request with a redirect to somewhere secret, and remembers it was asked."""

    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", "file:///etc/passwd" if "file" in self.path
                         else "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    _Trap.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def connections(monkeypatch):
    """Every outgoing connection attempted from this process (the renderer must make none)."""
    attempts = []
    real_connect = socket.socket.connect

    def connect(self, address):
        attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


class _Recording:
    def __init__(self):
        base = pdf.fetcher_class()

        class Fetcher(base):
            requested: list[str] = []

            def fetch(self, url, headers=None):
                self.requested.append(url)
                return super().fetch(url, headers)

        self.fetcher = Fetcher()
        self.renderer = pdf.PdfRenderer(url_fetcher=self.fetcher)


@pytest.fixture(scope="module")
def recording():
    return _Recording()


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_redirecting_servers_are_never_contacted(recording, trap, connections):
    recording.fetcher.requested.clear()
    html = f"""<!DOCTYPE html><html><head>
    <link rel="stylesheet" href="http://{trap}/file.css">
    <link rel="stylesheet" href="//{trap}/relative.css">
    <style>@import url("https://{trap}/import.css"); p {{ background: url(http://{trap}/bg.png) }}</style>
    </head><body>
    <p>Facture</p>
    <img src="http://{trap}/file.png"><img src="https://{trap}/meta.png">
    <img src="https://169.254.169.254/latest/meta-data/">
    <img src="http://[::ffff:a9fe:a9fe]/latest/meta-data/">
    <object data="http://{trap}/object.svg"></object><embed src="http://{trap}/embed.svg">
    <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
      <image href="http://{trap}/svg.png" width="10" height="10"/>
      <image xlink:href="file:///etc/passwd" width="10" height="10"/>
    </svg>
    </body></html>"""
    out = recording.renderer.render_pdf_from_html(html)
    assert "Facture" in _text(out)
    assert "root:x:0:0" not in _text(out)
    assert _Trap.hits == []  # not even the first request, so no redirect could be followed
    assert connections == []
    asked = " ".join(recording.fetcher.requested)
    for what in ("file.css", "relative.css", "bg.png", "file.png", "meta.png", "169.254.169.254", "svg.png"):
        assert what in asked, what  # WeasyPrint did ask, and the fetcher refused


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254.nip.io/latest/",
    "http://0xa9fea9fe/latest/",
    f"file://{pdf.STATIC_DIR}/%2e%2e/output/pdf.py",
    f"file://{pdf.STATIC_DIR}/pdf/%2E%2E/%2E%2E/cli.py",
    f"file://{pdf.STATIC_DIR}/..%2f..%2fcli.py",
    f"file://localhost{pdf.STATIC_DIR}/../cli.py",
    "FILE:///etc/passwd",
    " file:///etc/passwd",
    "jar:file:///etc/passwd!/",
    "data:image/png;base64," + "A" * (pdf.MAX_DATA_URL_BYTES * 4 // 3 + 8),
])
def test_fetcher_refuses_more_disguises(url, connections):
    with pytest.raises(pdf.URLRefused):
        pdf.fetcher_class()().fetch(url)
    assert connections == []


# --- the worst document a user can save ----------------------------------------------------

WORST_LINE = LineInput(label="L" * 300, description=("mot " * 250).strip(), quantity_milli=1000,
                       unit="u", unit_price_cents=100, vat_rate_bp=2000)

_MEASURE = textwrap.dedent("""
    import json, logging, re, sys
    sys.path.insert(0, {root!r})

    def peak_mb():
        # VmHWM: this process's own peak (ru_maxrss would include the forked pytest parent's).
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024

    from app import create_app
    app = create_app({config!r})
    browser = app.test_client()
    assert browser.post("/login", data={{"email": "artisan@test.example.fr",
                                          "password": "motdepasse-de-test"}}).status_code == 303
    # Every page WeasyPrint lays out, seen ahead of the renderer's own guard (which stops the
    # messages from going further).
    pages = []

    class PagesLaidOut(logging.Filter):
        def filter(self, record):
            if isinstance(record.msg, str) and record.msg.startswith("Step 5 - Creating layout - Page"):
                pages.append(record.args[0])
            return True

    logging.getLogger("weasyprint.progress").filters.insert(0, PagesLaidOut())
    before_mb = peak_mb()
    r = browser.get("/quotes/{quote_id}/pdf")
    print(json.dumps({{"status": r.status_code, "pages_laid_out": max(pages, default=0),
                       "text": r.get_data(as_text=True), "peak_mb": peak_mb(), "before_mb": before_mb}}))
""")



def test_the_biggest_draft_is_refused_within_time_and_memory(app, world, app_config):
    """MAX_LINES lines of the longest label and description the editor accepts: the layout
    stops at the page bound, before the time budget, with a bounded memory, and says why."""
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        quote = make_quote(company, db.session.get(Client, world.client_id), company.users[0],
                           lines=[WORST_LINE] * MAX_LINES)
        db.session.commit()
        quote_id = quote.id
    config = {k: v for k, v in app_config.items() if isinstance(v, (str, int, bool, type(None)))}
    script = _MEASURE.format(root=str(ROOT), config=config, quote_id=quote_id)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"}, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 422, result["text"][:500]
    assert f"dépasse {pdf.MAX_PAGES} pages" in result["text"]
    # What keeps it within the time budget: the layout stopped at the first page over the
    # bound instead of laying out the whole document.
    assert result["pages_laid_out"] == pdf.MAX_PAGES + 1
    # Measured here: ~150 MB before the render (app and WeasyPrint loaded), ~190 MB at the end.
    assert result["peak_mb"] - result["before_mb"] < 300, {k: v for k, v in result.items() if k != "text"}
    assert result["peak_mb"] < 600
