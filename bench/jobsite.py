"""The job site on one bar of signal: the dashboard and an invoice page in Chromium throttled to
400 kbit/s and 400 ms round trip (CDP Network.emulateNetworkConditions), and a PDF kept on the
tablet opened offline. Part of `make bench` (bench/run.py, phase "jobsite"), runnable alone:

    .venv/bin/python bench/jobsite.py                 # merges its figures into bench/results.json
    .venv/bin/python bench/jobsite.py --root ../main  # the same measures on another checkout

The data is the demo company (`flask --app app init`) in a scratch SQLite file, served by
Werkzeug's threaded server in this process (the network, not the server, is what is measured
here). Chromium is Debian's, through Playwright. Median of 5 of each:

- usable: the navigation's DOMContentLoaded end (Navigation Timing), once the HTML is parsed,
  the stylesheet applied and htmx and app.js run (deferred scripts wait for both), so the
  first tap works; `load` is reported too;
- empty cache: a new browser context each time (no HTTP cache);
- warm: the same context again, after the first visit (the HTTP cache in place). Service workers
  are blocked in these contexts: CDP throttles the page's requests, not the worker's, and a
  worker fetching the page over an unthrottled network would flatter the figure (on a real
  tablet the worker's requests cross the same bad network);
- first load: the bytes of the dashboard's page and every file it loads until `load`, as served
  by the app (Resource Timing encodedBodySize: compressed when the app compresses), and
  uncompressed; offline.js (the worker's registration, ~1.7 kB) is fetched after `load` on
  purpose and is not in it;
- offline PDF: the invoice's frozen PDF fetched from the page with the network cut (Playwright
  offline), served by the service worker's copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THROTTLE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 // 8, "uploadThroughput": 400_000 // 8}
SAMPLES = 5
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
DEMO = ("artisan@demo.encaisse.fr", "demo-encaisse-2026")

_TIMING_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const entries = [nav, ...performance.getEntriesByType('resource')];
    return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
            encoded: entries.reduce((s, e) => s + (e.encodedBodySize || 0), 0),
            decoded: entries.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
            files: entries.map(e => `${e.name.replace(location.origin, '')} ${e.encodedBodySize}/${e.decodedBodySize} `
                               + `${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`)};
}"""

_FETCH_PDF_JS = """async (url) => {
    const start = performance.now();
    const response = await fetch(url);
    const size = (await response.arrayBuffer()).byteLength;
    return {ms: performance.now() - start, status: response.status, size};
}"""


def log(message: str) -> None:
    print(f"[jobsite {time.strftime('%H:%M:%S')}] {message}", flush=True)


def serve(root: Path, workdir: Path):
    """Build the demo database with the checkout's own migrations and serve it (base URL, ids)."""
    sys.path.insert(0, str(root))
    from werkzeug.serving import make_server

    from app import create_app

    db_file = workdir / "jobsite.sqlite3"
    config = {"SECRET_KEY": "bench-jobsite-not-for-production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
              "DATABASE_URL": None, "MAIL_SUPPRESS_SEND": True, "INSTANCE_FOR_TESTS": str(workdir),
              "PORTAL_MAX_ATTEMPTS_PER_IP": 10_000}
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from sqlalchemy import text

        from extensions import db

        invoice_id = db.session.execute(text(
            "SELECT id FROM documents WHERE kind IN ('invoice', 'deposit', 'final') AND issued_at IS NOT NULL "
            "AND net_cents - paid_cents - credited_cents > 0 AND due_date < date('now') ORDER BY due_date LIMIT 1"
        )).scalar_one()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, base, invoice_id


def login(context, base: str) -> None:
    """Log the context in through the login form (unthrottled: the API request context)."""
    page = context.request.get(f"{base}/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"email": DEMO[0], "password": DEMO[1]}
    if token:
        data["csrf_token"] = token.group(1)
    response = context.request.post(f"{base}/login", form=data, max_redirects=0)
    assert response.status == 303, response.status


def throttled_page(context):
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    return page, cdp


def visit(page, url: str) -> dict:
    page.goto(url, wait_until="load")
    return page.evaluate(_TIMING_JS)


def wait_for_copies(page, seconds: float = 120) -> bool:
    """True once the service worker made its copies (False on a checkout without one)."""
    if not page.evaluate("() => 'serviceWorker' in navigator && !!document.body.getAttribute('data-offline-sync')"):
        return False
    try:
        page.wait_for_function("() => Number(document.documentElement.getAttribute('data-offline-kept')) > 0",
                               timeout=seconds * 1000)
        return True
    except Exception:  # noqa: BLE001 - a checkout without offline copies: nothing to wait for
        return False


def measure(root: Path) -> dict:
    """Every figure of this phase, as a flat dict (metric -> number)."""
    from playwright.sync_api import sync_playwright

    results: dict = {"jobsite_machine_load_avg_1m": round(os.getloadavg()[0], 2)}  # other work on the machine
    with tempfile.TemporaryDirectory(prefix="jobsite-") as tmp:
        server, base, invoice_id = serve(root, Path(tmp))
        urls = {"dashboard": f"{base}/", "invoice": f"{base}/invoices/{invoice_id}"}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                options = {"viewport": {"width": 1024, "height": 768}, "locale": "fr-FR", "timezone_id": "Europe/Paris"}
                # The demo issues its invoices without rendering them: the first download freezes
                # the PDF, as it would have been frozen at issue.
                context = browser.new_context(**options)
                login(context, base)
                assert context.request.get(f"{base}/invoices/{invoice_id}/pdf").ok
                context.close()
                for name, url in urls.items():
                    cold, cold_load, warm, warm_load = [], [], [], []
                    for i in range(SAMPLES):
                        context = browser.new_context(**options, service_workers="block")
                        login(context, base)
                        page, _ = throttled_page(context)
                        first = visit(page, url)
                        cold.append(first["dcl"])
                        cold_load.append(first["load"])
                        if name == "dashboard" and i == 0:
                            results["jobsite_first_load_kb"] = round(first["encoded"] / 1000, 1)
                            results["jobsite_first_load_kb_uncompressed"] = round(first["decoded"] / 1000, 1)
                            results["jobsite_first_load_files"] = len(first["files"])
                            log(f"first load: {first['files']}")
                        if i == 0:
                            for _ in range(SAMPLES):
                                again = visit(page, url)
                                warm.append(again["dcl"])
                                warm_load.append(again["load"])
                        context.close()
                    results[f"jobsite_{name}_usable_cold_ms"] = round(statistics.median(cold))
                    results[f"jobsite_{name}_load_cold_ms"] = round(statistics.median(cold_load))
                    results[f"jobsite_{name}_usable_warm_ms"] = round(statistics.median(warm))
                    results[f"jobsite_{name}_load_warm_ms"] = round(statistics.median(warm_load))
                    log(f"{name}: usable {results[f'jobsite_{name}_usable_cold_ms']} ms empty cache "
                        f"({sorted(round(x) for x in cold)}), {results[f'jobsite_{name}_usable_warm_ms']} ms warm "
                        f"({sorted(round(x) for x in warm)})")

                # A PDF kept on the tablet, opened with the network cut.
                context = browser.new_context(**options)
                login(context, base)
                page = context.new_page()
                visit(page, urls["invoice"])
                if wait_for_copies(page):
                    context.set_offline(True)
                    pdf_url = f"/invoices/{invoice_id}/pdf"
                    runs = [page.evaluate(_FETCH_PDF_JS, pdf_url) for _ in range(SAMPLES)]
                    assert all(r["status"] == 200 and r["size"] > 1000 for r in runs), runs
                    results["jobsite_pdf_offline_ms"] = round(statistics.median(r["ms"] for r in runs), 1)
                    page_runs = []
                    for _ in range(SAMPLES):
                        started = time.perf_counter()
                        page.goto(urls["invoice"], wait_until="domcontentloaded")
                        page_runs.append((time.perf_counter() - started) * 1000)
                    assert page.locator("#copy-banner").is_visible()
                    results["jobsite_invoice_offline_ms"] = round(statistics.median(page_runs))
                    log(f"offline: PDF {results['jobsite_pdf_offline_ms']} ms ({runs[0]['size']} bytes), "
                        f"invoice page copy {results['jobsite_invoice_offline_ms']} ms")
                else:
                    log("offline: no service worker copies on this checkout")
                context.close()
                browser.close()
        finally:
            server.shutdown()
    results["jobsite_throttle"] = "400 kbit/s down and up, 400 ms latency (CDP), Chromium, median of 5"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(HERE.parent), help="the checkout to measure (default: this one)")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="merged into this JSON file")
    args = parser.parse_args()
    results = measure(Path(args.root).resolve())
    out = Path(args.out)
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged.update(results)
    out.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    log(f"merged into {out}")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
