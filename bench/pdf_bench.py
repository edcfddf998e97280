"""Benchmark the PDF renderer against bare WeasyPrint and headless Chromium.

Prints JSON with the median of 20 warm renders of the sample one-page, 8-line
invoice:
- pdf_invoice_render_ms: ``output.pdf.render_document(view)`` (templating included);
- pdf_bare_weasyprint_ms: the same HTML through plain
  ``weasyprint.HTML(string=html).write_pdf(stylesheets=[css_file])``, the way the
  WeasyPrint tutorial does it (CSS parsed and fonts configured on every call);
- pdf_bare_weasyprint_preparsed_ms: the same, with the CSS parsed once and one
  FontConfiguration (what the renderer does), to show the renderer's own overhead;
- pdf_chromium_ms: the same HTML and CSS printed by headless Chromium via Playwright.

Usage: .venv/bin/python bench/pdf_bench.py [--runs 20] [--no-chromium]
(`make bench` runs the same measure() as part of bench/run.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from output import pdf  # noqa: E402
from output.samples import sample_invoice_view  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _median_ms(func, runs: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def _chromium_ms(html: str, css: str, runs: int) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    # Chromium gets the CSS inline, as a browser-based renderer would.
    page_html = html.replace("</head>", f"<style>{css}</style></head>", 1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()

            def render():
                page.set_content(page_html)
                page.pdf(format="A4", print_background=True, prefer_css_page_size=True)

            return _median_ms(render, runs)
        finally:
            browser.close()


def measure(runs: int = 20, *, chromium: bool = True) -> dict:
    """The figures above for the sample invoice, `runs` warm renders each."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    view = sample_invoice_view()
    renderer = pdf.get_renderer()
    html = renderer.document_html(view)
    css_path = str(pdf.CSS_PATH)
    assert len(renderer.render_document(view)) > 1000

    results = {
        "pdf_invoice_render_ms": _median_ms(lambda: pdf.render_document(view), runs),
        "pdf_bare_weasyprint_ms": _median_ms(
            lambda: weasyprint.HTML(string=html).write_pdf(stylesheets=[css_path]), runs
        ),
    }
    font_config = FontConfiguration()
    css = weasyprint.CSS(filename=css_path, font_config=font_config)
    results["pdf_bare_weasyprint_preparsed_ms"] = _median_ms(
        lambda: weasyprint.HTML(string=html).write_pdf(stylesheets=[css], font_config=font_config),
        runs,
    )
    if chromium:
        results["pdf_chromium_ms"] = _chromium_ms(html, Path(css_path).read_text(), runs)
    results["pdf_pages"] = len(weasyprint.HTML(string=html).render(stylesheets=[css]).pages)
    results["pdf_runs"] = runs
    results["pdf_ratio_render_vs_bare"] = round(
        results["pdf_invoice_render_ms"] / results["pdf_bare_weasyprint_ms"], 2
    )
    if results.get("pdf_chromium_ms"):
        results["pdf_ratio_render_vs_chromium"] = round(
            results["pdf_invoice_render_ms"] / results["pdf_chromium_ms"], 2
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-chromium", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(args.runs, chromium=not args.no_chromium), indent=2))


if __name__ == "__main__":
    main()
