"""`make bench`: build the benchmark data, measure, write bench/results.json.

One flat JSON object (metric name -> number, plus "dataset", a sentence describing the
data). What is measured, in this order:

1. PDF (bench/pdf_bench.py): the app's renderer, bare WeasyPrint and headless Chromium on
   the same one-page invoice, 20 warm renders each, medians and ratios.
1b. E-invoices (bench/einvoice_bench.py): what issuing with Factur-X adds to an issue
   (pdf_facturx_extra_ms: PDF/A-3b instead of a plain PDF, the CII XML and its XSD check,
   the attachment), medians of 20, and one full check with the official schematrons
   (einvoice_check_ms, warm; einvoice_check_cold_ms in a fresh process).
2. Pages through Flask's test client, logged in by a real login POST (CSRF on): the
   lightest authenticated page (floor), the overdue invoice list (50 rows), the dashboard,
   an invoice with 30 events, a client with 200 documents; the median of >= 100 requests
   after a warm-up, and the SQL statements each page runs (a `before_cursor_execute`
   listener; transaction control, BEGIN, not counted). Also the stored-PDF download and
   the compressed weight of the dashboard's first load (HTML + CSS + JS, gzip -6).
3. One-tap reminders (POST /reminders/documents/<id>/send, quick=1, a fresh token each
   time) on overdue invoices, to a local aiosmtpd server running in its own process.
4. The reminder plan run (`domain.autopilot.run` as `flask --app app reminders run
   --company 1` does) with 10 000 invoices due for a step, then an immediate rerun.
5. Formatting (output/formatting.py): microseconds per value of each formatter over 2000 values,
   next to Babel's own format_currency (the suite checks why they are cheap, never how fast).
6. Load: gunicorn started as `make serve` does (gunicorn.conf.py, `app:create_app()`) on the
   bench database, wrk with 20 connections for 30 s over the invoice list and invoice pages
   with a logged-in session cookie; the peak RSS (VmHWM) of each worker, sampled all along.
7. Bank statements: a 10,000-line statement (La Banque Postale CSV, bench/bank_bench.py's mix
   of credits with invoice numbers, RF references, payer names, splits, partial payments and
   40 % debits) built from the first company's open invoices, imported as the "Banque" page
   does (domain.banking.imports: parse, store each operation once, match every waiting
   credit, one transaction), then the same file again (adds nothing); the bank page (50
   credits to reconcile with their proposals) against the floor; then "Confirmer les N
   rapprochements exacts" (run last: it records payments, which would change the plan).
8. The job site (bench/jobsite.py, also runnable alone): the dashboard and an invoice page in
   Chromium throttled to 400 kbit/s and 400 ms, empty cache and warm, the first load's bytes as
   served, and a kept PDF opened offline (demo data and its own server, not the bench database).

Usage: .venv/bin/python bench/run.py [--scale 0.1] [--reuse] [--skip pdf,einvoice,load,...]
                                     [--only bank]
  --scale  shrink the data for a quick try (results then say so in "dataset")
  --reuse  keep bench/data/pristine.sqlite3 between runs when nothing it depends on changed
  --only   run only these phases (pdf,pages,one_tap,plan,load,bank,jobsite), e.g. `--only bank`
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

SECRET_KEY = "bench-secret-key-not-for-production"  # = dataset.SECRET_KEY (the sealed link tokens)
PAGE_SAMPLES = 120
PAGE_BUDGET_S = 20.0  # a page slower than ~170 ms gets fewer samples (counted in *_samples)
LOAD_SECONDS = 30
LOAD_CONNECTIONS = 20
WARMUP_LOAD_SECONDS = 5
ONE_TAP_RUNS = 20
PHASES = ("pdf", "pages", "one_tap", "plan", "load", "bank", "jobsite")

BENCH_DAILY_QUOTA = 1_000_000


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 2)


# --- the data ------------------------------------------------------------------------------------


def _dataset_key(scale: float, today) -> str:
    """What the pristine file depends on: the generator, the migrations, the date, the scale."""
    h = hashlib.sha256()
    for path in [BENCH / "dataset.py", *sorted((ROOT / "migrations" / "versions").glob("*.py"))]:
        h.update(path.read_bytes())
    h.update(f"{scale}:{today}".encode())
    return h.hexdigest()[:16]


def prepare_data(scale: float, reuse: bool) -> tuple[Path, dict, float]:
    import dataset

    from domain.core.clock import today_in

    today = today_in("Europe/Paris")
    target = DATA / "bench.sqlite3"
    pristine = DATA / "pristine.sqlite3"
    key = _dataset_key(scale, today)
    key_file = DATA / "pristine.key"
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    if reuse and pristine.exists() and key_file.exists() and key_file.read_text() == key:
        log("reusing bench/data/pristine.sqlite3 (same generator, migrations, date and scale)")
        shutil.copyfile(pristine, target)
        meta = json.loads((DATA / "meta.json").read_text())
    else:
        log(f"building the dataset (scale {scale}) for today = {today}")
        meta = dataset.build(target, today=today, scale=scale, log=log)
        if reuse:
            shutil.copyfile(target, pristine)
            key_file.write_text(key)
    return target, meta, time.perf_counter() - started


def dataset_sentence(meta: dict) -> str:
    a = meta["companies"][0]["counts"]
    st = a["invoice_statuses"]
    scale = "" if meta["scale"] == 1 else f", scale {meta['scale']}"
    return (
        f"SQLite, 2 companies of the same size, seed {meta['seed']}, today {meta['today']}{scale}; "
        f"each: {a['clients']} clients, {a['invoices']} invoices ({st.get('paid', 0)} paid, "
        f"{st.get('overdue', 0)} overdue (10 %), {st.get('open', 0)} open not yet due, {st.get('plan_due', 0)} due "
        f"for the J-3 plan step today, {st.get('draft', 0)} drafts, {st.get('cancelled', 0)} cancelled by as many "
        f"credit notes; kinds {a['invoices_by_kind']}), {a['quotes']} quotes, {a['payments']} payments "
        f"({a['payments_cancelled']} cancelled), {a['events']} events, {a['sends']} reminder sends, "
        f"{a['client_links']} client links, {a['document_lines']} lines; a client with 200 documents, an invoice "
        f"with 30 events; frozen PDFs for the {a['stored_pdfs']} invoices the bench sends or downloads"
    )


# --- SMTP sink in its own process ----------------------------------------------------------------


def _smtp_sink(port: int, counter, ready) -> None:
    """aiosmtpd Controller counting the messages it accepts (its own process: no GIL sharing)."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 Message accepted for delivery"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    signal.sigwait({signal.SIGTERM})
    controller.stop()


class SmtpSink:
    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.counter = ctx.Value("i", 0)
        ready = ctx.Event()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # inherited: sigwait in the child
        try:
            self.process = ctx.Process(target=_smtp_sink, args=(self.port, self.counter, ready), daemon=True)
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        if not ready.wait(30):
            raise RuntimeError("SMTP sink did not start")

    @property
    def count(self) -> int:
        return self.counter.value

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- the app in this process ---------------------------------------------------------------------


def bench_config(db_path: Path | str, smtp_port: int) -> dict:
    url = db_path if isinstance(db_path, str) else f"sqlite:///{db_path}"
    return {
        "SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "Encaisse <factures@bench.test>",
        "PUBLIC_BASE_URL": "https://factures.bench.test",
        # The bench company sends 10,000 reminders in one day: far above a real artisan's quota.
        "MAIL_DAILY_QUOTA": BENCH_DAILY_QUOTA,
    }


class QueryCounter:
    """SQL statements sent to the database (BEGIN not counted: transaction control)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        self.active = False
        self.statements: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn, cursor, statement, parameters, context, executemany):
            if self.active and statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE"):
                self.count += 1
                self.statements.append(statement)

    @contextmanager
    def measure(self):
        self.count, self.statements, self.active = 0, [], True
        try:
            yield self
        finally:
            self.active = False


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def login_test_client(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")
    return client


def time_page(client, url: str, *, samples: int = PAGE_SAMPLES, warmup: int = 10, headers=None,
              floor_url: str | None = None, before=None) -> dict:
    """Median time of `url`; with `floor_url`, each request is paired with one of the floor page,
    so that the ratio page/floor compares requests made under the same load of the machine."""
    for _ in range(warmup):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
    times, floor_times = [], []
    started = time.perf_counter()
    while len(times) < samples and (time.perf_counter() - started < PAGE_BUDGET_S or len(times) < 5):
        if floor_url:
            t = time.perf_counter()
            client.get(floor_url)
            floor_times.append((time.perf_counter() - t) * 1000)
        if before is not None:
            before()
        t = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    out = {"ms": median(times), "samples": len(times), "bytes": len(response.data)}
    if floor_times:
        out["vs_floor"] = round(statistics.median(times) / statistics.median(floor_times), 2)
    return out


def measure_floor(client, results: dict) -> str:
    """The floor: the lightest of a few simple authenticated pages (its URL; its time in results)."""
    floor_candidates = ["/clients/new", "/catalog/", "/settings/", "/reminders/settings"]
    floor = {}
    for url in floor_candidates:
        try:
            floor[url] = time_page(client, url, samples=30, warmup=5)["ms"]
        except (RuntimeError, AssertionError) as exc:
            log(f"  floor candidate {url} skipped ({exc})")
    floor_url = min(floor, key=floor.get)
    measured = time_page(client, floor_url)
    results["page_floor_ms"] = measured["ms"]
    results["page_floor_samples"] = measured["samples"]
    results["page_floor_url"] = floor_url  # removed from the flat results at the end (not a number)
    log(f"  floor {floor_url}: {measured['ms']} ms (candidates {floor})")
    return floor_url


def measure_pages(app, meta: dict, results: dict) -> object:
    from extensions import db

    company = meta["companies"][0]
    client = login_test_client(app, company["email"], meta["password"])
    with app.app_context():
        counter = QueryCounter(db.engine)

    hero_invoice = meta["hero_invoice_id"]
    pages = {
        "invoice_list": "/invoices/?overdue=1&per_page=50",
        "dashboard": "/",
        "invoice_detail": f"/invoices/{hero_invoice}",
        "client": f"/clients/{meta['hero_client_id']}",
        "client_documents": f"/invoices/clients/{meta['hero_client_id']}",
        # The list the navigation opens: its count and totals come from the figures cache.
        "invoice_list_all": "/invoices/",
        "quote_list_all": "/quotes/",
    }
    # The first view after a change of the company's data (or the first of the day): the
    # figures cache is emptied before each request, so every aggregate is computed.
    uncached = {"dashboard_uncached": "/", "invoice_list_all_uncached": "/invoices/"}
    floor_url = measure_floor(client, results)
    from domain.core import dataversion

    for name, url in {**pages, **uncached}.items():
        headers = {"HX-Request": "true"} if name == "client_documents" else None
        empty = dataversion.figures.clear if name in uncached else None
        measured = time_page(client, url, headers=headers, floor_url=floor_url, before=empty,
                             samples=PAGE_SAMPLES if name not in uncached else 40)
        if empty:
            empty()
        with counter.measure():
            client.get(url, headers=headers)
        results[f"page_{name}_ms"] = measured["ms"]
        results[f"page_{name}_vs_floor"] = measured["vs_floor"]  # floor requests interleaved: same load
        results[f"page_{name}_samples"] = measured["samples"]
        results[f"queries_{name}"] = counter.count
        log(f"  {name} {url}: {measured['ms']} ms ({measured['vs_floor']} x floor), {counter.count} SQL, "
            f"{measured['bytes']} bytes, {measured['samples']} samples")
        if os.environ.get("BENCH_SHOW_SQL"):
            for statement in counter.statements:
                print("     ", " ".join(statement.split())[:200])

    # Tenancy: another company's invoice is a 404, and costs no more than a page of ours.
    other = client.get(f"/invoices/{meta['other_company_invoice_id']}")
    assert other.status_code == 404, other.status_code

    # Stored (frozen) PDF download.
    url = f"/invoices/{hero_invoice}/pdf?download=1"
    measured = time_page(client, url, samples=100)
    results["pdf_stored_download_ms"] = measured["ms"]
    log(f"  stored PDF download: {measured['ms']} ms ({measured['bytes']} bytes)")

    # First load of the dashboard: HTML + CSS + JS, gzip level 6 (what a reverse proxy sends).
    html = client.get("/").data
    total = len(gzip.compress(html, 6))
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(rb'<script src="([^"]+)"', html)
    for href in assets:
        body = client.get(href.decode()).data
        total += len(gzip.compress(body, 6))
    results["first_load_kb_gz"] = round(total / 1000, 1)
    log(f"  first load: {results['first_load_kb_gz']} kB gzip ({len(assets)} assets)")
    return client


def measure_one_tap(app, client, meta: dict, sink: SmtpSink, results: dict) -> None:
    token = csrf_from(client.get("/clients/new").get_data(as_text=True))
    ids = meta["one_tap_invoice_ids"]
    warmup = 3
    if len(ids) < warmup + ONE_TAP_RUNS:
        raise RuntimeError("not enough one-tap invoices in the data")
    before = sink.count
    times = []
    for i, invoice_id in enumerate(ids[: warmup + ONE_TAP_RUNS]):
        data = {"quick": "1", "token": secrets.token_urlsafe(16), "csrf_token": token}
        t = time.perf_counter()
        response = client.post(f"/reminders/documents/{invoice_id}/send", data=data,
                               headers={"HX-Request": "true", "X-CSRFToken": token})
        elapsed = (time.perf_counter() - t) * 1000
        text = response.get_data(as_text=True)
        if response.status_code != 200 or "E-mail envoyé" not in text:
            raise RuntimeError(f"one-tap reminder on {invoice_id} failed: {response.status_code}")
        if i >= warmup:
            times.append(elapsed)
    arrived = sink.count - before
    if arrived != warmup + ONE_TAP_RUNS:
        raise RuntimeError(f"{arrived} e-mails arrived, {warmup + ONE_TAP_RUNS} sent")
    results["reminder_one_tap_ms"] = median(times)
    # What dominates it: the statement PDF rendered for each soft/firm reminder (what remains
    # due); the client page's full statement of account (12 months of payments) beside it.
    from datetime import date

    from domain.billing.models import Document
    from domain.collections import letters
    from domain.core.models import Client
    from extensions import db

    with app.app_context():
        today = date.fromisoformat(meta["today"])
        clients = [db.session.get(Document, i).client for i in ids[:10]]
        for key, balance_only in (("pdf_reminder_statement_render_ms", True), ("pdf_statement_render_ms", False)):
            statement = []
            for client_row in clients[:2] + clients:
                t = time.perf_counter()
                letters.statement_pdf(db.session.get(Client, client_row.id), today=today,
                                             balance_only=balance_only)
                statement.append((time.perf_counter() - t) * 1000)
            results[key] = median(statement[2:])
        db.session.remove()
    log(f"  one-tap reminder: {results['reminder_one_tap_ms']} ms median of {len(times)} "
        f"(min {min(times):.1f}, max {max(times):.1f}); {arrived} e-mails arrived; the statement PDF it "
        f"attaches alone: {results['pdf_reminder_statement_render_ms']} ms (full statement of account: "
        f"{results['pdf_statement_render_ms']} ms)")


BANK_LINES = 10_000


def bank_statement(app, company_id: int, lines: int = BANK_LINES) -> tuple[bytes, int]:
    """A La Banque Postale CSV of `lines` operations for the company's account, drawn from its open
    invoices as bench/bank_bench.py draws them (fixed seed); (bytes, open invoices)."""
    import random

    import bank_bench

    from domain.banking import reconciliation
    from domain.core.models import Company
    from extensions import db

    with app.app_context():
        items = reconciliation.open_items(company_id)
        iban = db.session.get(Company, company_id).iban
        db.session.remove()
    rows = bank_bench.make_lines(random.Random(20260301), items, lines)
    # The file names the company's account (its national number, inside the IBAN): it is checked.
    data = bank_bench.as_csv(rows).replace(b"0123456X020", iban[14:25].encode())
    return data, len(items)


def measure_bank(app, meta: dict, results: dict, client=None) -> None:
    """`bank_import_10k_s` (the whole import, in one transaction) and `page_bank_ms` (see the docstring)."""
    from datetime import date

    from sqlalchemy import func, select

    import database
    from domain.banking import imports, matching, reconciliation
    from domain.banking.models import BankLine
    from domain.banking.statements import parse_statement
    from domain.core.models import Company, User
    from extensions import db

    company_id = meta["companies"][0]["id"]
    today = date.fromisoformat(meta["today"])
    data, open_count = bank_statement(app, company_id)
    # The parts alone (pure functions): reading the file, matching its credits.
    t, cpu = time.perf_counter(), time.process_time()
    statement = parse_statement(data, "releve.csv")
    results["bank_parse_10k_s"] = round(time.perf_counter() - t, 2)
    results["bank_parse_10k_cpu_s"] = round(time.process_time() - cpu, 2)
    with app.app_context():
        items = reconciliation.open_items(company_id)
        db.session.remove()
    t, cpu = time.perf_counter(), time.process_time()
    matching.match_lines(statement.lines, items)
    results["bank_match_10k_s"] = round(time.perf_counter() - t, 2)
    results["bank_match_10k_cpu_s"] = round(time.process_time() - cpu, 2)

    def run_import():
        with app.app_context(), database.write_intent():
            company = db.session.get(Company, company_id)
            user = db.session.scalars(select(User).where(User.company_id == company_id)).first()
            wall, cpu = time.perf_counter(), time.process_time()
            result = imports.import_statement(company, user, data, "releve.csv")
            db.session.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            outcome = (result.statement.new_count, result.waiting, result.exact)
            db.session.remove()
            return wall, cpu, outcome

    wall, cpu, (new, waiting, exact) = run_import()
    results["bank_import_10k_s"] = round(wall, 2)
    # This process's CPU time: what other work on the shared machine cannot inflate.
    results["bank_import_10k_cpu_s"] = round(cpu, 2)
    results["bank_import_open_invoices"] = open_count
    results["bank_import_new_lines"] = new
    results["bank_import_credits_waiting"] = waiting
    results["bank_import_exact_proposals"] = exact
    log(f"  import of {BANK_LINES} lines against {open_count} open invoices: {wall:.2f} s ({cpu:.2f} s CPU); "
        f"parse {results['bank_parse_10k_s']} s ({results['bank_parse_10k_cpu_s']} CPU), match "
        f"{results['bank_match_10k_s']} s ({results['bank_match_10k_cpu_s']} CPU) alone; {new} new lines, "
        f"{waiting} credits to reconcile, {exact} of them with an exact reference")
    wall, cpu, (new, _waiting, _exact) = run_import()
    results["bank_reimport_10k_s"] = round(wall, 2)
    results["bank_reimport_new_lines"] = new  # 0: never twice
    log(f"  the same file again: {wall:.2f} s ({cpu:.2f} s CPU), {new} new lines")
    with app.app_context():
        assert db.session.scalar(select(func.count(BankLine.id)).where(BankLine.company_id == company_id)) == BANK_LINES
        db.session.remove()

    client = client or login_test_client(app, meta["companies"][0]["email"], meta["password"])
    floor_url = results.get("page_floor_url") or measure_floor(client, results)
    with app.app_context():
        counter = QueryCounter(db.engine)
    measured = time_page(client, "/bank/", floor_url=floor_url)
    with counter.measure():
        client.get("/bank/")
    results["page_bank_ms"] = measured["ms"]
    results["page_bank_vs_floor"] = measured["vs_floor"]
    results["page_bank_samples"] = measured["samples"]
    results["queries_bank"] = counter.count
    log(f"  bank page /bank/: {measured['ms']} ms ({measured['vs_floor']} x floor), {counter.count} SQL, "
        f"{measured['bytes']} bytes, {measured['samples']} samples")
    # Not a target: "Confirmer les N rapprochements exacts" on that statement, each payment recorded
    # through payments.record_payment as a typed one (an artisan's month holds a few dozen).
    with app.app_context(), database.write_intent():
        user = db.session.scalars(select(User).where(User.company_id == company_id)).first()
        t, cpu = time.perf_counter(), time.process_time()
        done, left = reconciliation.confirm_exact(company_id, user, today=today)
        db.session.commit()
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
        db.session.remove()
    results["bank_confirm_exact_s"] = round(elapsed, 2)
    results["bank_confirm_exact_cpu_s"] = round(cpu, 2)
    results["bank_confirm_exact_lines"] = done
    results["bank_confirm_exact_ms_per_line"] = round(elapsed * 1000 / max(done, 1), 1)
    log(f"  confirm all exact: {done} lines in {elapsed:.2f} s ({cpu:.2f} s CPU, "
        f"{results['bank_confirm_exact_ms_per_line']} ms each), "
        f"{left} left waiting")


def measure_plan(app, meta: dict, sink: SmtpSink, results: dict) -> None:
    """As `flask --app app reminders run --today <today> --company 1` does (commands/reminders.py)."""
    from datetime import date

    import database
    from domain.collections import autopilot, letters
    from extensions import db
    from web.http import mailer
    from web.urls import client_link, tracking_pixel_html

    today = date.fromisoformat(meta["today"])
    company_id = meta["companies"][0]["id"]

    def attachments(doc, key):
        return letters.attachments_for(doc, key, today=today)

    def run():
        with app.app_context(), database.write_intent():
            try:
                return autopilot.run(deliver=mailer().deliver, attachments_for=attachments, link_for=client_link,
                                     today=today,
                                     company_ids=[company_id], html_extra_for=tracking_pixel_html)
            finally:
                db.session.remove()

    before = sink.count
    t = time.perf_counter()
    report = run()
    elapsed = time.perf_counter() - t
    arrived = sink.count - before
    results["reminders_plan_10k_s"] = round(elapsed, 2)
    results["reminders_plan_sent"] = report.count("sent")
    results["reminders_plan_no_email_tasks"] = report.count("no_email")
    results["reminders_plan_failed"] = report.count("failed")
    log(f"  plan run: {elapsed:.1f} s, {report.count('sent')} sent, {report.count('no_email')} tasks (no e-mail), "
        f"{report.count('failed')} failed, {arrived} e-mails arrived")
    t = time.perf_counter()
    again = run()
    results["reminders_plan_rerun_s"] = round(time.perf_counter() - t, 2)
    results["reminders_plan_rerun_sent"] = again.count("sent")
    log(f"  immediate rerun: {results['reminders_plan_rerun_s']} s, {again.count('sent')} sent")
    measure_plan_sharded(app, meta, sink, results)


def measure_plan_sharded(app, meta: dict, sink: SmtpSink, results: dict, shards: int = 2) -> None:
    """The same day's run for the second company (same data, its own 10,000 due invoices), as
    `shards` cron processes `flask --app app reminders run --shard K/N` started together."""
    elapsed, sent = run_plan_processes(app.config["SQLALCHEMY_DATABASE_URI"], meta["today"], sink, shards,
                                       company_id=meta["companies"][1]["id"])
    results[f"reminders_plan_10k_{shards}shards_s"] = round(elapsed, 2)
    results[f"reminders_plan_{shards}shards_sent"] = sent


def run_plan_processes(db_url: str, today: str, sink: SmtpSink, shards: int, *,
                       company_id: int | None = None) -> tuple[float, int]:
    """`shards` processes `flask --app app reminders run --today T [--company C] --shard K/N`
    started together; (wall seconds, reminders sent)."""
    env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY=SECRET_KEY, MAIL_SERVER="127.0.0.1",
               MAIL_PORT=str(sink.port), MAIL_DEFAULT_SENDER="Encaisse <factures@bench.test>",
               ENCAISSE_PUBLIC_BASE_URL="https://factures.bench.test", ENCAISSE_MAIL_DAILY_QUOTA=str(BENCH_DAILY_QUOTA))
    flask = str(Path(sys.executable).with_name("flask"))
    scope = ["--company", str(company_id)] if company_id is not None else []
    before = sink.count
    t = time.perf_counter()
    procs = [subprocess.Popen([flask, "--app", "app", "reminders", "run", "--today", today, *scope,
                               "--shard", f"{k}/{shards}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(shards)]
    outs = [p.communicate() for p in procs]
    elapsed = time.perf_counter() - t
    if any(p.returncode for p in procs):
        raise RuntimeError(f"sharded plan run failed: {[err[-2000:] for _, err in outs]}")
    sent = sum(out.count(" · envoyé") for out, _ in outs)
    log(f"  {shards} processes --shard K/{shards} ({'company ' + str(company_id) if company_id else 'all companies'}): "
        f"{elapsed:.1f} s wall, {sent} sent, {sink.count - before} e-mails arrived")
    return elapsed, sent


# --- formatting ----------------------------------------------------------------------------------


def measure_formatting(results: dict) -> None:
    """Microseconds per value of each formatter (best of 5 passes over 2000 values)."""
    import datetime as dt
    import timeit
    from decimal import Decimal

    from babel.numbers import format_currency

    from output import formatting as f

    values = range(2000)
    moment = dt.datetime(2026, 11, 23, 13, 5, tzinfo=dt.UTC)
    formatters = {
        "format_money_us": lambda v: f.format_money(v * 997),
        "format_money_babel_us": lambda v: format_currency(Decimal(v * 997).scaleb(-2), "EUR", locale="fr_FR"),
        "format_quantity_us": f.format_quantity,
        "format_percent_us": f.format_percent_bp,
        "format_date_us": lambda v: f.format_date(moment.date()),
        "format_datetime_us": lambda v: f.format_datetime(moment),
    }
    for key, formatter in formatters.items():
        best = min(timeit.repeat(lambda formatter=formatter: [formatter(v) for v in values], number=1, repeat=5))
        results[key] = round(best / len(values) * 1e6, 2)
    log(f"  formatting (µs per value): { {k: results[k] for k in formatters} }")


# --- load: gunicorn + wrk ------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        log("wrk missing: installing it (scripts/system-deps.sh bench)")
        subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), "bench"], check=True)
        path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed")
    return path


class Gunicorn:
    """gunicorn as `make serve` runs it, on the bench database."""

    def __init__(self, db_url: str, *, workers: int | None = None, threads: int | None = None):
        self.port = free_port()
        # As production requires: links from the public address, requests for the trusted host only.
        env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY=SECRET_KEY, HOST="127.0.0.1",
                   PORT=str(self.port), ENCAISSE_PUBLIC_BASE_URL="https://factures.bench.test",
                   ENCAISSE_TRUSTED_HOSTS='["127.0.0.1"]')
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        if threads:
            env["GUNICORN_THREADS"] = str(threads)
        self.log_path = DATA / "gunicorn.log"
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - gunicorn writes to it until stop()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen([str(gunicorn), "--config", "gunicorn.conf.py", "app:create_app()"],
                                        cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                self.request("GET", "/login")
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited, see {self.log_path}") from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def login(self, email: str, password: str) -> str:
        """A real login POST; returns the session cookie ("name=value")."""
        status, headers, body = self.request("GET", "/login")
        cookie = "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
        token = csrf_from(body.decode())
        form = urlencode({"email": email, "password": password, "csrf_token": token})
        status, headers, _ = self.request("POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        if status != 303:
            raise RuntimeError(f"login through gunicorn failed: HTTP {status}")
        return "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in children]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_wrk(wrk: str, port: int, cookie: str, paths_file: Path, seconds: int, peaks: dict, server: Gunicorn) -> dict:
    env = dict(os.environ, WRK_COOKIE=cookie, WRK_PATHS=str(paths_file))
    command = [wrk, "-t2", f"-c{LOAD_CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(BENCH / "load.lua"),
               f"http://127.0.0.1:{port}"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while process.poll() is None:  # sample every worker's peak (workers are recycled by max_requests)
        for pid in server.worker_pids():
            mb = vm_hwm_mb(pid)
            if mb is not None:
                peaks[pid] = max(peaks.get(pid, 0), mb)
        time.sleep(0.25)
    output = process.stdout.read()
    line = next((text for text in output.splitlines() if text.startswith("{")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{output}")
    return json.loads(line)


def measure_load(db_url: str, meta: dict, results: dict, *, workers=None, threads=None, seconds=LOAD_SECONDS) -> dict:
    wrk = ensure_wrk()
    # The invoice list as page_invoice_list_ms measures it (overdue, 50 rows; pages 1 to 3) and
    # 400 invoice pages (300 of any status, 100 overdue), half and half, interleaved.
    lists = [f"/invoices/?overdue=1&per_page=50&page={page}" for page in (1, 2, 3)]
    cycle = []
    for i, invoice_id in enumerate(meta["load_invoice_ids"]):
        cycle += [lists[i % len(lists)], f"/invoices/{invoice_id}"]
    paths_file = DATA / "load-paths.txt"
    paths_file.write_text("\n".join(cycle) + "\n")
    server = Gunicorn(db_url, workers=workers, threads=threads)
    try:
        email = meta["companies"][0]["email"]
        cookie = server.login(email, meta["password"])
        status, _, _ = server.request("GET", cycle[0], headers={"Cookie": cookie})
        assert status == 200, status
        peaks: dict[int, float] = {}
        run_wrk(wrk, server.port, cookie, paths_file, WARMUP_LOAD_SECONDS, peaks, server)
        out = run_wrk(wrk, server.port, cookie, paths_file, seconds, peaks, server)
        status, _, _ = server.request("GET", cycle[1], headers={"Cookie": cookie})
        assert status == 200, f"session lost during the load: HTTP {status}"
        errors = out["errors_connect"] + out["errors_read"] + out["errors_write"] + out["errors_status"] + \
            out["errors_timeout"]
        workers_seen = len(peaks)
        summary = {
            "load_rps": round(out["rps"], 1), "load_p95_ms": round(out["p95_ms"], 1), "load_errors": errors,
            "load_p50_ms": round(out["p50_ms"], 1), "load_p99_ms": round(out["p99_ms"], 1),
            "load_requests": out["requests"], "load_seconds": round(out["duration_s"], 1),
            "load_connections": LOAD_CONNECTIONS, "peak_rss_mb": round(max(peaks.values()), 1) if peaks else None,
            "load_worker_processes_seen": workers_seen,
        }
        results.update(summary)
        log(f"  load ({workers or 'default'} workers x {threads or 'default'} threads): {summary}")
        return summary
    finally:
        server.stop()


# --- PostgreSQL: the hosted shape ----------------------------------------------------------------

PG_CLONES = 2000
PAGE_KEYS = ("invoice_list", "dashboard", "invoice_detail", "client", "client_documents", "invoice_list_all",
             "quote_list_all", "dashboard_uncached", "invoice_list_all_uncached")


def measure_paired(create_app, smtp_port: int, alone_meta: dict, alone_url: str, hosted_meta: dict, hosted_url: str,
                   samples: int = 60) -> dict:
    """hosted / alone for each page, the two requests made one after the other in each sample
    (same load of the machine for both), the median of the per-sample ratios."""
    from extensions import db

    def pages(meta):
        return {"floor": "/clients/new", "invoice_list": "/invoices/?overdue=1&per_page=50", "dashboard": "/",
                "invoice_detail": f"/invoices/{meta['hero_invoice_id']}",
                "client": f"/clients/{meta['hero_client_id']}", "invoice_list_all": "/invoices/",
                "quote_list_all": "/quotes/"}

    apps = [create_app(bench_config(url, smtp_port)) for url in (alone_url, hosted_url)]
    clients = [login_test_client(app, m["companies"][0]["email"], m["password"])
               for app, m in zip(apps, (alone_meta, hosted_meta), strict=True)]
    urls = [pages(alone_meta), pages(hosted_meta)]
    out = {}
    for key in urls[0]:
        ratios = []
        for i in range(samples + 5):
            times = []
            for client, page in ((clients[0], urls[0][key]), (clients[1], urls[1][key]))[:: 1 if i % 2 else -1]:
                t = time.perf_counter()
                response = client.get(page)
                times.append(time.perf_counter() - t)
                assert response.status_code == 200, (page, response.status_code)
            if i % 2 == 0:
                times.reverse()  # [alone, hosted] whatever the order they ran in
            if i >= 5:
                ratios.append(times[1] / times[0])
        out[key] = round(statistics.median(ratios), 2)
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    log(f"  hosted / alone, interleaved: {out}")
    return out


def measure_pg_pages(create_app, smtp_port: int, urls: dict, typical_meta: dict, hosted_typical: dict,
                     big_meta: dict, results: dict) -> None:
    """Every page of the typical and the big company, alone on its database and on the hosted one."""
    from extensions import db

    for who, meta, alone_url in (("typical", typical_meta, urls["alone_typical"]),
                                 ("big", big_meta, urls["alone_big"])):
        figures = {}
        for where, url, m in (("alone", alone_url, meta),
                              ("hosted", urls["hosted"], hosted_typical if who == "typical" else meta)):
            results[f"machine_load_avg_1m_pages_{who}_{where}"] = round(os.getloadavg()[0], 2)
            log(f"pages: {who} company, {where} (company {m['companies'][0]['id']})")
            app = create_app(bench_config(url, smtp_port))
            figures[where] = {}
            measure_pages(app, m, figures[where])
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            for key, value in figures[where].items():
                if key.startswith(("page_", "queries_")) and isinstance(value, (int, float)):
                    results[f"pg_{who}_{where}_{key}"] = value
        for key in PAGE_KEYS:
            alone, hosted = figures["alone"][f"page_{key}_ms"], figures["hosted"][f"page_{key}_ms"]
            results[f"pg_{who}_hosted_vs_alone_{key}"] = round(hosted / alone, 2)
        results[f"pg_{who}_hosted_vs_alone_floor"] = round(
            figures["hosted"]["page_floor_ms"] / figures["alone"]["page_floor_ms"], 2)


def postgres_main(args, results: dict, started: float) -> None:
    """`bench/run.py --db postgres`: the typical and the big company, each alone on an empty
    database and among 2,000 companies; the load on the shared database; the daily plan of
    every company with several processes."""
    import dataset
    import pg

    from domain.core.clock import today_in

    admin_url = os.environ["DATABASE_URL"]
    clones = args.clones
    skip = set(filter(None, args.skip.split(",")))
    if "load" not in skip:
        ensure_wrk()
    big_path, big_meta, big_build_s = prepare_data(args.scale, args.reuse)
    t = time.perf_counter()
    typical_path = DATA / "typical.sqlite3"
    typical_meta = dataset.build_typical(typical_path, today=today_in("Europe/Paris"), log=lambda *_: None)
    results["dataset_sqlite_build_s"] = round(big_build_s + time.perf_counter() - t, 1)
    log(f"SQLite sources ready ({results['dataset_sqlite_build_s']} s); loading PostgreSQL")
    t = time.perf_counter()
    urls = {name: pg.create_database(admin_url, name, log) for name in ("alone_typical", "alone_big", "hosted")}
    pg.load_alone(urls["alone_typical"], typical_path, typical_meta["companies"][0]["id"], log)
    pg.load_alone(urls["alone_big"], big_path, big_meta["companies"][0]["id"], log)
    results["pg_alone_load_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    mapping = pg.load_hosted(urls["hosted"], big_path, big_meta["companies"][0]["id"], typical_path, clones, log)
    results["pg_hosted_build_s"] = round(time.perf_counter() - t, 1)
    hosted_typical = pg.clone_meta(typical_meta, mapping, clones // 2)
    with pg.psycopg.connect(pg.libpq_url(urls["hosted"])) as conn:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("companies", "clients", "documents", "document_lines", "payments", "events", "sends")}
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        results["pg_hosted_db_mb"] = round(size / 1e6)
    log(f"hosted database built in {results['pg_hosted_build_s']} s: {counts}, {results['pg_hosted_db_mb']} MB")

    sink = SmtpSink()
    try:
        from app import create_app

        if "pages" not in skip:
            measure_pg_pages(create_app, sink.port, urls, typical_meta, hosted_typical, big_meta, results)
        if "paired" not in skip:
            for who, meta, alone_url in (("typical", typical_meta, urls["alone_typical"]),
                                         ("big", big_meta, urls["alone_big"])):
                results[f"machine_load_avg_1m_paired_{who}"] = round(os.getloadavg()[0], 2)
                log(f"pages: {who} company, alone and hosted requests interleaved")
                paired = measure_paired(create_app, sink.port, meta, alone_url,
                                        hosted_typical if who == "typical" else meta, urls["hosted"])
                results.update({f"pg_{who}_paired_hosted_vs_alone_{k}": v for k, v in paired.items()})
        if "load" not in skip:
            results["machine_load_avg_1m_load"] = round(os.getloadavg()[0], 2)
            log(f"load on the hosted database (big company): {LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s")
            summary = measure_load(urls["hosted"], big_meta, {})
            results.update({f"pg_{k}": v for k, v in summary.items()})
        if "plan" not in skip:
            results["machine_load_avg_1m_plan"] = round(os.getloadavg()[0], 2)
            for shards in args.plan_processes:
                log(f"daily plan of all {clones + 1} companies, {shards} processes")
                elapsed, sent = run_plan_processes(urls["hosted"], big_meta["today"], sink, shards)
                results[f"pg_plan_all_{shards}proc_s"] = round(elapsed, 1)
                results[f"pg_plan_all_{shards}proc_sent"] = sent
                results[f"pg_plan_all_{shards}proc_emails_per_s"] = round(sent / elapsed, 1)
                elapsed, again = run_plan_processes(urls["hosted"], big_meta["today"], sink, shards)
                results[f"pg_plan_all_{shards}proc_rerun_s"] = round(elapsed, 1)
                results[f"pg_plan_all_{shards}proc_rerun_sent"] = again
                break  # the first run sends the day's reminders; a second count would find none
    finally:
        sink.stop()
    results["machine_load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    results["bench_total_s"] = round(time.perf_counter() - started, 1)
    a = typical_meta["companies"][0]["counts"]
    results["dataset"] = (
        f"PostgreSQL 15 (throwaway cluster, fsync off), today {big_meta['today']}; hosted: the 100,000-invoice "
        f"company + {clones} clones of a typical company ({a['invoices']} invoices over 3 years, {a['quotes']} quotes, "
        f"{a['clients']} clients, {a['payments']} payments, {a['events']} events, {a['sends']} sends, "
        f"{a['invoice_statuses'].get('overdue', 0)} overdue, {a['invoice_statuses'].get('plan_due', 0)} due for a "
        f"plan step today), rows interleaved in time order: {counts}; alone: each company in its own database")
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {args.out} in {results['bench_total_s']} s")
    print(json.dumps(results, indent=2, ensure_ascii=False))


# --- main ----------------------------------------------------------------------------------------


def run_app_phases(db_path: Path, meta: dict, sink: SmtpSink, skip: set[str], load_matrix: str,
                   results: dict) -> None:
    """The phases that use the app (pages, one tap, load, plan, bank), in that order."""
    from app import create_app

    app = create_app(bench_config(db_path, sink.port))
    client = None
    if "pages" not in skip:
        results["machine_load_avg_1m_pages"] = round(os.getloadavg()[0], 2)
        log("pages through the test client")
        client = measure_pages(app, meta, results)
    if "one_tap" not in skip:
        log("one-tap reminders")
        client = client or login_test_client(app, meta["companies"][0]["email"], meta["password"])
        measure_one_tap(app, client, meta, sink, results)
    for combo in filter(None, load_matrix.split(",")):
        workers, threads = (int(x) for x in combo.split("x"))
        measure_load(f"sqlite:///{db_path}", meta, {}, workers=workers, threads=threads)
    if "load" not in skip:
        results["machine_load_avg_1m_load"] = round(os.getloadavg()[0], 2)
        log(f"load: gunicorn + wrk, {LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s")
        measure_load(f"sqlite:///{db_path}", meta, results)
    if "plan" not in skip:
        results["machine_load_avg_1m_plan"] = round(os.getloadavg()[0], 2)
        log("reminder plan run (10 000 invoices due for a step)")
        measure_plan(app, meta, sink, results)
    if "bank" not in skip:
        # Last: confirming the exact proposals records payments, which would change what the plan sends.
        results["machine_load_avg_1m_bank"] = round(os.getloadavg()[0], 2)
        log(f"bank statement import ({BANK_LINES} lines) and the bank page")
        measure_bank(app, meta, results, client)


def measure_jobsite(results: dict) -> None:
    """Phase 8: the job site on one bar of signal (bench/jobsite.py, its own demo server)."""
    import jobsite

    results["machine_load_avg_1m_jobsite"] = round(os.getloadavg()[0], 2)
    log("job site: Chromium throttled to 400 kbit/s and 400 ms, empty cache and warm, a PDF offline")
    results.update(jobsite.measure(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--skip", default="",
                        help="comma-separated: pdf,einvoice,platform,formatting,pages,one_tap,plan,load,bank,jobsite "
                        "(postgres: pages,paired,load,plan)")
    parser.add_argument("--only", default="", help="comma-separated phases to run alone, e.g. bank or jobsite")
    parser.add_argument("--out", default=str(BENCH / "results.json"))
    parser.add_argument("--load-matrix", default="",
                        help="tuning: WORKERSxTHREADS,... (e.g. 2x1,2x4,4x4): one load each")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default=os.environ.get("BENCH_DB") or "sqlite",
                        help="postgres: the hosted shape in a throwaway cluster (scripts/with-postgres.sh)")
    parser.add_argument("--clones", type=int, default=PG_CLONES, help="postgres: typical companies in the hosted db")
    parser.add_argument("--plan-processes", type=lambda v: [int(x) for x in v.split(",")], default=[2],
                        help="postgres: processes for the daily plan of all companies")
    args = parser.parse_args()
    if args.db == "postgres" and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # Started the way CI starts PostgreSQL; the cluster is removed when the bench ends.
        script = str(ROOT / "scripts" / "with-postgres.sh")
        os.execv(script, [script, sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--db", "postgres"])
    skip = set(filter(None, args.skip.split(",")))
    if args.only:
        skip |= set(PHASES) - set(filter(None, args.only.split(",")))
    started = time.perf_counter()
    # The load average before each phase says how much else ran on the machine (this bench alone
    # counts about 1; more means other work shared the cores and slowed the figures).
    results: dict = {"machine_cpus": os.cpu_count(), "machine_load_avg_1m_start": round(os.getloadavg()[0], 2)}

    DATA.mkdir(parents=True, exist_ok=True)
    if args.db == "postgres":
        if args.out == str(BENCH / "results.json"):
            args.out = str(BENCH / "results-postgres.json")
        postgres_main(args, results, started)
        return
    if "load" not in skip:
        ensure_wrk()  # before spending minutes on the rest
    db_path, meta, build_s = prepare_data(args.scale, args.reuse)
    results["dataset_build_s"] = round(build_s, 1)
    log(f"data ready in {build_s:.1f} s ({db_path})")

    if "pdf" not in skip:
        import pdf_bench

        log("PDF: 20 warm renders each (renderer, bare WeasyPrint, Chromium)")
        chromium = Path("/usr/bin/chromium").exists()
        pdf = pdf_bench.measure(20, chromium=chromium)
        results.update({k: v for k, v in pdf.items() if v is not None})
        log(f"  {pdf}")

    if "formatting" not in skip:
        log("formatting: 2000 values per formatter")
        measure_formatting(results)

    if "einvoice" not in skip:
        import einvoice_bench

        log("e-invoices: Factur-X extra at issue (20 runs), one full schematron check")
        einvoice = einvoice_bench.measure(20)
        results.update(einvoice)
        log(f"  {einvoice}")

    if "platform" not in skip:
        import platform_bench

        log("approved platform: 40 transmissions with two workers, 60 payments with and without the 212 subscriber")
        figures = platform_bench.measure(40, 60)
        results.update(figures)
        log(f"  {figures}")

    sink = SmtpSink()
    try:
        run_app_phases(db_path, meta, sink, skip, args.load_matrix, results)
    finally:
        sink.stop()

    if "jobsite" not in skip:
        measure_jobsite(results)

    results["machine_load_avg_1m_end"] = round(os.getloadavg()[0], 2)  # other processes on the machine
    results["bench_total_s"] = round(time.perf_counter() - started, 1)
    floor_url = results.pop("page_floor_url", None)
    results["dataset"] = dataset_sentence(meta) + (f"; floor page {floor_url}" if floor_url else "")
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {args.out} in {results['bench_total_s']} s")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
