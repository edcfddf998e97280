"""PDF rendering of quotes, invoices, credit notes, statements and formal notices.

The renderer knows nothing about the database: it takes the frozen views of
``output.views`` and lays them out with Jinja templates (``templates/pdf/``) and
WeasyPrint.

What is done once per process (lazily, on the first render):
- the Jinja environment (autoescape on, templates compiled once, no reload checks);
- ``static/pdf/document.css`` parsed into one ``weasyprint.CSS`` object, passed with
  ``stylesheets=`` (CSS inside a Jinja-escaped ``<style>`` gets mangled);
- one ``FontConfiguration`` shared by every render (Pango font lookups stay warm).

Security: documents contain text typed by users (labels, notes, names). Jinja escapes
it, so it can never become markup, and every resource WeasyPrint asks for goes through
``StaticOnlyURLFetcher``, which serves files under ``static/`` and ``data:`` URLs and
refuses everything else (other files, http(s), cloud metadata addresses, redirects).
``<link rel=attachment>`` / ``<a rel=attachment>`` embedding is dropped before the
PDF is written.

Bounds: a document may have at most ``MAX_LINES`` lines, ``MAX_HTML_CHARS`` of HTML
and ``MAX_PAGES`` pages, and must be rendered within ``TIME_BUDGET_S`` seconds. The
page and time limits are checked between pages while WeasyPrint works (see
``_LayoutGuard``), which works in gunicorn's gthread workers where signal-based
timeouts cannot, so a runaway document is stopped early instead of holding a worker.

Concurrency: renders are serialized per renderer by a lock, because Pango/fontconfig
objects shared between renders are not documented as thread-safe; the layout is
CPU-bound Python, so the GIL serializes the threads of a worker anyway. The cyclic
garbage collector is paused during a render (``_gc_paused``).

Failures raise ``PdfRenderError`` with a French message that can be shown to the user.
"""

from __future__ import annotations

import atexit
import base64
import gc
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import jinja2

from output import formatting
from output.epc_qr import epc_payload, epc_qr_png_data_uri
from output.views import OPERATION_CATEGORY_LABELS, DocumentView, LetterView, StatementView

LOGGER = logging.getLogger(__name__)

ROOT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT_DIR / "templates" / "pdf"
STATIC_DIR = ROOT_DIR / "static"
CSS_PATH = STATIC_DIR / "pdf" / "document.css"

# Measured here: 990 rows -> 46 pages in ~5 s with ~210 MB peak RSS; a one-page
# invoice takes ~0.1 s. Real quotes stay far below (a few dozen lines).
MAX_LINES = 1000
MAX_PAGES = 60
TIME_BUDGET_S = 20.0  # well below gunicorn.conf.py's 60 s worker timeout
MAX_HTML_CHARS = 4_000_000
MAX_DATA_URL_BYTES = 2_000_000  # a logo; the QR code PNG is ~1 kB

# write_pdf options callers may pass; "attachments" is deliberately not one of them.
ALLOWED_PDF_OPTIONS = frozenset(
    {"pdf_variant", "pdf_version", "pdf_identifier", "pdf_tags", "uncompressed_pdf"}
)

_LOGO_RE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.IGNORECASE)


class PdfRenderError(Exception):
    """The PDF could not be produced; the message is French and can be shown as is."""


class URLRefused(ValueError):
    """The URL fetcher refused a resource (raised inside WeasyPrint, logged there)."""


# --------------------------------------------------------------------------- fetcher


def _weasyprint():
    # Importing WeasyPrint costs about half a second (Pango, fontTools): only the
    # processes that render pay it, on their first render.
    import weasyprint

    return weasyprint


def _data_url(url: str) -> tuple[bytes, str]:
    """(body, MIME type) of a ``data:`` URL, bounded in size."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise URLRefused("URL data: mal formée")
    if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
        raise URLRefused("URL data: trop volumineuse")
    params = header.split(";")
    mime_type = params[0].strip().lower() or "text/plain"
    if params[-1].strip().lower() == "base64":
        try:
            return base64.b64decode(unquote(payload), validate=False), mime_type
        except ValueError as exc:
            raise URLRefused("URL data: base64 invalide") from exc
    return unquote_to_bytes(payload), mime_type


def _static_file(url: str, static_dir: Path) -> Path:
    """The file under ``static_dir`` a ``file:`` URL names, or URLRefused."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise URLRefused(f"URL refusée : {url[:100]}")
    # realpath resolves "..", and symlinks, so a link pointing out of static/
    # is judged by its target.
    path = Path(os.path.realpath(unquote(parts.path)))
    if path != static_dir and static_dir not in path.parents:
        raise URLRefused(f"Fichier hors de static/ refusé : {url[:100]}")
    if not path.is_file():
        raise URLRefused(f"Fichier introuvable : {url[:100]}")
    return path


def _make_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        """Serve files under ``static_dir`` and ``data:`` URLs; refuse anything else.

        Refusals raise ``URLRefused``; WeasyPrint logs them and renders without the
        resource. No network handler is ever reached: ``fetch`` never calls the
        parent's opener.
        """

        def __init__(self, static_dir: Path = STATIC_DIR):
            super().__init__(
                timeout=1,
                allowed_protocols=("file", "data"),
                allow_redirects=False,
                fail_on_errors=False,
            )
            self.static_dir = Path(os.path.realpath(static_dir))

        def fetch(self, url, headers=None):
            """Return the resource for ``url`` or raise ``URLRefused``."""
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                body, mime_type = _data_url(url)
                return URLFetcherResponse(url, body, {"Content-Type": mime_type})
            if scheme == "file":
                path = _static_file(url, self.static_dir)
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {})
            raise URLRefused(f"URL refusée : {url[:100]}")

    return StaticOnlyURLFetcher


_FETCHER_CLASS = None


def fetcher_class():
    """The ``StaticOnlyURLFetcher`` class (built on first use, after importing WeasyPrint)."""
    global _FETCHER_CLASS
    if _FETCHER_CLASS is None:
        _FETCHER_CLASS = _make_fetcher_class()
    return _FETCHER_CLASS


# --------------------------------------------------------------------- layout guard


class _RenderAborted(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _LayoutGuard(logging.Filter):
    """Stop a layout that runs over its page or time budget.

    WeasyPrint announces each page it lays out on its ``weasyprint.progress`` logger
    ("Step 5 - Creating layout - Page %d"). A logger filter runs synchronously in the
    rendering thread and an exception it raises propagates out of the layout, so it
    is a cheap, thread-safe checkpoint between pages without signals or subprocesses.
    """

    def __init__(self):
        super().__init__()
        self.local = threading.local()

    def filter(self, record):
        limits = getattr(self.local, "limits", None)
        if limits is not None and isinstance(record.msg, str):
            if record.msg.startswith("Step 5") and record.args and record.args[0] > limits[0]:
                raise _RenderAborted("pages")
            if time.monotonic() > limits[1]:
                raise _RenderAborted("time")
        return False  # never print progress messages


_GUARD = _LayoutGuard()


def _install_guard():
    progress = logging.getLogger("weasyprint.progress")
    if _GUARD not in progress.filters:
        progress.addFilter(_GUARD)
    if progress.level == logging.NOTSET or progress.level > logging.INFO:
        progress.setLevel(logging.INFO)


# ------------------------------------------------------------------------ renderer


@dataclass(frozen=True, slots=True)
class _Columns:
    """Which optional columns the lines table shows."""

    discount: bool
    vat: bool

    @property
    def count(self) -> int:
        return 5 + self.discount + self.vat


class PdfRenderer:
    """Jinja environment, parsed CSS, fonts and fetcher shared by every render."""

    def __init__(
        self,
        templates_dir: Path = TEMPLATES_DIR,
        css_path: Path = CSS_PATH,
        static_dir: Path = STATIC_DIR,
        url_fetcher=None,
        max_pages: int = MAX_PAGES,
        time_budget_s: float = TIME_BUDGET_S,
    ):
        weasyprint = _weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        _install_guard()
        self.static_dir = Path(static_dir)
        self.base_url = self.static_dir.resolve().as_uri() + "/"
        self.max_pages = max_pages
        self.time_budget_s = time_budget_s
        self.url_fetcher = url_fetcher or fetcher_class()(self.static_dir)
        self.font_config = FontConfiguration()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            autoescape=True,
            auto_reload=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(formatting.JINJA_FILTERS)
        self.css = weasyprint.CSS(
            filename=str(css_path),
            font_config=self.font_config,
            url_fetcher=self.url_fetcher,
        )
        self._html_class = weasyprint.HTML
        self._lock = threading.Lock()

    # -- HTML -------------------------------------------------------------------

    def render_html(self, template: str, **ctx) -> str:
        """Render a template of ``templates/pdf/`` to an HTML string."""
        try:
            return self.env.get_template(template).render(**ctx)
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            # A view the template cannot print (missing field, float amount...).
            LOGGER.exception("PDF template %s failed", template)
            raise PdfRenderError(
                "Le document n'a pas pu être préparé pour l'impression (données invalides)."
            ) from exc

    def document_html(self, view: DocumentView) -> str:
        """HTML of a quote, invoice or credit note."""
        if len(view.lines) > MAX_LINES:
            raise PdfRenderError(
                f"Le document compte {len(view.lines)} lignes : "
                f"la limite est de {MAX_LINES} lignes par document."
            )
        columns = _Columns(
            discount=any(line.discount_bp for line in view.lines if line.kind == "item"),
            vat=bool(view.vat_rows),
        )
        return self.render_html(
            "document.html",
            doc=view,
            seller=view.seller,
            columns=columns,
            logo=_safe_logo(view.seller.logo_data_uri),
            qr=_document_qr(view),
            totals=_totals_rows(view),
            meta_title=view.display_title,
            footer_ref=view.number or "BROUILLON",
            insurance=view.insurance,
            draft=view.is_draft,
            # Invoices and credit notes state the category of the operation (décret 2022-1299).
            category=None if view.kind == "quote" else OPERATION_CATEGORY_LABELS[view.operation_category],
        )

    def statement_html(self, view: StatementView) -> str:
        """HTML of a client statement."""
        if len(view.rows) + len(view.payments) > MAX_LINES:
            raise PdfRenderError("Le relevé de compte compte trop de lignes.")
        return self._secondary_html("statement.html", "st", view,
                                    f"Relevé au {formatting.format_date(view.statement_date)}")

    def letter_html(self, view: LetterView) -> str:
        """HTML of a formal notice letter."""
        if len(view.invoices) > MAX_LINES:
            raise PdfRenderError("La lettre compte trop de factures.")
        return self._secondary_html("letter.html", "letter", view,
                                    f"Lettre du {formatting.format_date(view.letter_date)}")

    def _secondary_html(self, template: str, name: str, view: StatementView | LetterView, footer_ref: str) -> str:
        # Statements and letters: the seller's header, no insurance block, never a draft.
        return self.render_html(template, **{name: view}, seller=view.seller,
                                logo=_safe_logo(view.seller.logo_data_uri), meta_title=view.display_title,
                                footer_ref=footer_ref, insurance=None, draft=False)

    # -- PDF --------------------------------------------------------------------

    def render_pdf_from_html(self, html: str, **pdf_options) -> bytes:
        """Lay out ``html`` with the shared CSS and return the PDF bytes."""
        unknown = set(pdf_options) - ALLOWED_PDF_OPTIONS
        if unknown:
            # In particular "attachments": nothing gets embedded in our PDFs.
            raise TypeError(f"unsupported PDF options: {sorted(unknown)}")
        if len(html) > MAX_HTML_CHARS:
            raise PdfRenderError("Le document est trop volumineux pour être mis en page.")
        with self._lock, _gc_paused():
            _install_guard()  # again: a logging config loaded since may have reset it
            _GUARD.local.limits = (self.max_pages, time.monotonic() + self.time_budget_s)
            try:
                document = self._html_class(
                    string=html, base_url=self.base_url, url_fetcher=self.url_fetcher
                ).render(font_config=self.font_config, stylesheets=[self.css])
                if len(document.pages) > self.max_pages:  # in case the guard was muted
                    raise _RenderAborted("pages")
                _drop_attachments(document)
                return document.write_pdf(**pdf_options)
            except _RenderAborted as exc:
                raise _aborted_error(exc.reason, self) from None
            except Exception as exc:
                LOGGER.exception("PDF rendering failed")
                raise PdfRenderError("Le PDF n'a pas pu être généré (erreur interne).") from exc
            finally:
                _GUARD.local.limits = None

    def render_document(self, view: DocumentView, **pdf_options) -> bytes:
        """PDF of a quote, invoice (plain, deposit, final) or credit note."""
        return self.render_pdf_from_html(self.document_html(view), **pdf_options)

    def render_statement(self, view: StatementView, **pdf_options) -> bytes:
        """PDF of a client statement (relevé de compte)."""
        return self.render_pdf_from_html(self.statement_html(view), **pdf_options)

    def render_letter(self, view: LetterView, **pdf_options) -> bytes:
        """PDF of a formal notice (mise en demeure)."""
        return self.render_pdf_from_html(self.letter_html(view), **pdf_options)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while WeasyPrint builds its box tree.

    A render allocates ~10^5 objects, which triggers dozens of collections, some of
    them full ones that walk every object of the (large) web process: pausing them
    saves ~10 % of the render time. The render's own cycles are reclaimed by the
    first collection after it; renders are bounded (pages, time), and so is the
    garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _aborted_error(reason: str, renderer: PdfRenderer) -> PdfRenderError:
    if reason == "pages":
        return PdfRenderError(
            f"Le document dépasse {renderer.max_pages} pages : "
            "découpez-le en plusieurs documents."
        )
    return PdfRenderError(
        f"La mise en page a dépassé {renderer.time_budget_s:g} secondes et a été interrompue."
    )


def _drop_attachments(document) -> None:
    # <link rel=attachment href=...> lands in metadata.attachments and
    # <a rel=attachment href=...> in the pages' links; both are fetched only when the
    # PDF is written, so clearing them here means they are never fetched at all.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]


@dataclass(frozen=True, slots=True)
class _TotalRow:
    label: str
    amount_cents: int
    style: str = ""  # "", "strong" or "grand" (the amount the reader must act on)
    note: str = ""


def _totals_rows(view: DocumentView) -> list[_TotalRow]:
    """Rows of the totals table, ending with the amount that matters to the reader."""
    fmt_pct, fmt_money = formatting.format_percent_bp, formatting.format_money
    rows = [_TotalRow("Total HT", view.total_ht_cents)]
    rows += [
        _TotalRow(f"TVA {fmt_pct(r.rate_bp)}", r.vat_cents, note=f"sur {fmt_money(r.base_cents)}")
        for r in view.vat_rows
    ]
    if view.kind in ("quote", "credit_note"):
        label = "Total de l'avoir" if view.kind == "credit_note" else "Total"
        if view.vat_rows:
            label += " TTC"
        rows.append(_TotalRow(label, view.total_ttc_cents, "grand"))
        return rows
    if view.vat_rows:
        rows.append(_TotalRow("Total TTC", view.total_ttc_cents, "strong"))
    if view.deductions:
        deducted = sum(d.ttc_cents for d in view.deductions)
        rows.append(_TotalRow("Acomptes déduits", -deducted))
        net = view.net_to_pay_cents
        if net is None:
            net = view.total_ttc_cents - deducted
    else:
        net = view.net_to_pay_cents if view.net_to_pay_cents is not None else view.total_ttc_cents
    if view.paid_cents:
        rows.append(_TotalRow("Net à payer", net, "strong"))
        rows.append(_TotalRow("Déjà réglé", -view.paid_cents))
        rows.append(_TotalRow("Reste à payer", view.amount_to_pay_cents, "grand"))
    else:
        rows.append(_TotalRow("Net à payer", net, "grand"))
    return rows


def _safe_logo(uri: str | None) -> str | None:
    # Only inline images: a logo never makes WeasyPrint read a file or the network.
    if uri and _LOGO_RE.match(uri) and len(uri) <= MAX_DATA_URL_BYTES * 4 // 3:
        return uri
    if uri:
        LOGGER.warning("Logo ignoré : seules les images data: sont acceptées")
    return None


def _document_qr(view: DocumentView) -> str | None:
    """SVG data URI of the EPC payment QR code, or None when it must not be shown."""
    if not view.epc_qr or view.kind in ("quote", "credit_note") or not view.iban:
        return None
    if view.is_draft or not view.number:
        return None  # a draft is not payable: the transfer would carry no reference
    amount = view.amount_to_pay_cents
    if amount <= 0:
        return None
    # The RF reference goes in the structured field, the number beside it for the payer to see.
    reference = view.payment_reference or view.number or ""
    try:
        payload = epc_payload(view.payee_name or view.seller.name, view.iban, view.bic, amount, reference,
                              note=f"{view.title} {view.number}")
    except ValueError as exc:
        raise PdfRenderError(f"QR code de paiement impossible : {exc}") from exc
    return epc_qr_png_data_uri(payload)


# ----------------------------------------------------------------- module-level API

_RENDERER: PdfRenderer | None = None
_RENDERER_LOCK = threading.Lock()


@atexit.register
def _release_renderer() -> None:
    """Free Pango/fontconfig objects while the process is still whole.

    Left to interpreter shutdown, cffi finalizers may call g_object_unref after GLib's
    type system is half torn down: seen here as a segfault at exit (after all tests had
    passed) when psycopg's bundled libraries were also loaded. Collecting them in an atexit
    hook, before finalization starts, avoids it.
    """
    global _RENDERER
    _RENDERER = None
    gc.collect()


def get_renderer() -> PdfRenderer:
    """The process-wide renderer, built on first use."""
    global _RENDERER
    if _RENDERER is None:
        with _RENDERER_LOCK:
            if _RENDERER is None:
                _RENDERER = PdfRenderer()
    return _RENDERER


def render_document(view: DocumentView, **pdf_options) -> bytes:
    """PDF bytes of a quote, invoice or credit note (``pdf_variant="pdf/a-3b"`` for Factur-X)."""
    return get_renderer().render_document(view, **pdf_options)


def render_statement(view: StatementView, **pdf_options) -> bytes:
    """PDF bytes of a client statement."""
    return get_renderer().render_statement(view, **pdf_options)


def render_letter(view: LetterView, **pdf_options) -> bytes:
    """PDF bytes of a formal notice letter."""
    return get_renderer().render_letter(view, **pdf_options)


def render_html(template: str, **ctx) -> str:
    """HTML of a ``templates/pdf/`` template (benchmarks, debugging)."""
    return get_renderer().render_html(template, **ctx)


def render_pdf_from_html(html: str, **pdf_options) -> bytes:
    """PDF bytes of an HTML string laid out with the shared CSS, fonts and fetcher."""
    return get_renderer().render_pdf_from_html(html, **pdf_options)
