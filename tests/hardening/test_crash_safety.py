"""Crash safety: the server process is killed (SIGKILL) in the middle of an issue or a send,
then started again on the same database.

The middle is made deterministic: for an issue, the server process hangs right after the
number was taken, inside the issue's transaction (tests/support/crash_server.py wraps
domain.numbering.next_number in that process only); for a send, the SMTP server stalls
once it has the message, after the claim was committed and before any answer.

After restart: no number used twice and no gap (the interrupted issue left a draft, and
retrying the very same form issues it with the number that was given back); the interrupted
send is recorded once, reported as uncertain, and neither the same form sent again nor the
daily automatic run sends it a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from domain.billing.models import Document, NumberSequence, StoredFile
from domain.collections import sending
from domain.collections.models import Send
from domain.core.models import Company, Event
from domain.core.orm import utcnow
from extensions import db
from tests.support.config import ON_POSTGRES, TEST_PASSWORD
from tests.support.smtp import SmtpServer, SmtpSink, free_port
from tests.support.world import TODAY

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """`python -m tests.support.crash_server` on a free port."""

    def __init__(self, config: dict, pause_in_issue: Path | None = None):
        self.port = free_port()
        job = {"config": config, "port": self.port, "pause_in_issue": str(pause_in_issue) if pause_in_issue else None}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.crash_server", json.dumps(job)], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"})
        line = self.proc.stdout.readline()
        if line.strip() != "SERVING":
            self.proc.kill()
            raise AssertionError(line + self.proc.communicate()[1][-3000:])

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the process itself, open transactions cut."""
        self.proc.kill()
        self.proc.communicate(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.communicate(timeout=10)


class Browser:
    """A cookie-keeping HTTP client that never follows redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urlencode(data) if data is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if cookie.startswith("encaisse_session="):
                    self.cookie = cookie.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def login(self) -> Browser:
        status, _ = self.request("POST", "/login", {"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
        assert status == 303
        return self


def in_background(call) -> threading.Thread:
    """Run a request the server will never answer (it gets killed); its error is expected."""
    def run():
        with contextlib.suppress(OSError, http.client.HTTPException):
            call()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def plain(config: dict) -> dict:
    return {k: v for k, v in config.items() if isinstance(v, (str, int, bool, type(None)))}


def integrity_ok(app) -> None:
    if not ON_POSTGRES:
        con = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()


def write_lock_is_free(app, document_id: int) -> bool:
    """Whether another connection can write at once, without waiting for anyone: on SQLite it
    takes the database's write lock (BEGIN IMMEDIATE, no busy timeout); on PostgreSQL it locks
    the document's row (FOR UPDATE NOWAIT)."""
    if ON_POSTGRES:
        with app.app_context():
            try:
                row = select(Document.id).where(Document.id == document_id)
                db.session.execute(row.with_for_update(nowait=True))
                return True
            except OperationalError:  # psycopg's LockNotAvailable
                return False
            finally:
                db.session.rollback()
    con = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, timeout=0, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        con.close()


def invoice_numbers() -> list[int]:
    numbers = db.session.scalars(select(Document.number).where(Document.number.like(f"F-{TODAY.year}-%")))
    return sorted(int(n.rsplit("-", 1)[1]) for n in numbers)


# --- killed while issuing ------------------------------------------------------------------


def test_killed_in_the_middle_of_an_issue(app, app_config, world, tmp_path):
    with app.app_context():
        before = invoice_numbers()
        last_value = db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.series == "F"))
    marker = tmp_path / "number-taken"
    server = Server(plain(app_config), pause_in_issue=marker)
    try:
        browser = Browser(server.port).login()
        in_background(lambda: browser.request("POST", f"/invoices/{world.draft_invoice_id}/issue",
                                              {"token": "issue-form-1"}))
        wait_for(marker.exists)
        taken = marker.read_text()
        assert taken == f"F-{TODAY.year}-{last_value + 1:04d}"
    finally:
        server.kill()

    integrity_ok(app)
    with app.app_context():
        doc = db.session.get(Document, world.draft_invoice_id)
        assert doc.number is None and doc.issued_at is None and doc.issue_date is None  # still a draft
        assert db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.series == "F")) == last_value
        assert db.session.scalar(select(func.count(Event.id)).where(Event.document_id == doc.id,
                                                                    Event.kind == "issued")) == 0
        assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.document_id == doc.id)) == 0
        assert invoice_numbers() == before

    server = Server(plain(app_config))
    try:
        browser = Browser(server.port).login()
        # The browser sends the very same form again: it issues (the form token was given back too)…
        status, _ = browser.request("POST", f"/invoices/{world.draft_invoice_id}/issue", {"token": "issue-form-1"})
        assert status == 303
        with app.app_context():
            assert db.session.get(Document, world.draft_invoice_id).number == taken  # …with the number given back
            client_id = db.session.get(Document, world.draft_invoice_id).client_id
        # and the series goes on.
        status, _ = browser.request("POST", "/invoices/new", {
            "token": "new-after-crash", "client_id": str(client_id), "vat_regime": "normal", "row": "k1",
            "line-k1-label": "Dépannage", "line-k1-quantity": "1", "line-k1-unit_price": "80",
            "line-k1-vat_rate": "2000"})
        assert status == 303
        with app.app_context():
            new_id = db.session.scalar(select(func.max(Document.id)))
        assert browser.request("POST", f"/invoices/{new_id}/issue", {"token": "issue-form-2"})[0] == 303
    finally:
        server.stop()
    with app.app_context():
        numbers = invoice_numbers()
        assert numbers == list(range(1, len(before) + 3))  # consecutive, each once


# --- killed while sending ------------------------------------------------------------------


# The app's SMTP timeout while the server stalls: longer than any request of the test (the
# Browser gives up after 60 s), so the send is still waiting for its answer whenever the test
# looks; only the test ends the stall (sink.release).
STALL_OUTLASTS_S = 600


class StallingSink(SmtpSink):
    """Receives the first message whole, then never answers it (until released)."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self._first = True

    async def handle_DATA(self, server, session, envelope):
        if self._first:
            self._first = False
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Trop tard"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def stalling_smtp():
    server = SmtpServer()
    server.sink = StallingSink()
    server.start()
    yield server
    server.sink.release.set()
    server.stop()


@pytest.fixture
def app_config(app_config, request):
    if "stalling_smtp" not in request.fixturenames:
        return app_config
    smtp = request.getfixturevalue("stalling_smtp")
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Encaisse <factures@encaisse.test>", "MAIL_TIMEOUT": STALL_OUTLASTS_S}


SEND_FORM = {"token": "send-form-1", "template_key": "invoice_send", "recipients": "helene@example.fr",
             "subject": "Votre facture", "body": "Bonjour,\n\nVoici votre facture."}


def test_killed_in_the_middle_of_a_send(app, app_config, world, stalling_smtp):
    sink = stalling_smtp.sink
    send_url = f"/reminders/documents/{world.invoice_id}/send"
    server = Server(plain(app_config))
    try:
        browser = Browser(server.port).login()
        in_background(lambda: browser.request("POST", send_url, SEND_FORM))
        assert sink.stalled.wait(30), "the send never reached the SMTP server"
        # While the SMTP server takes its time, the rest of the app keeps writing: no
        # transaction (on SQLite: no write lock) stays open around the SMTP conversation.
        assert write_lock_is_free(app, world.invoice_id)
        other = Browser(server.port).login()
        status, text = other.request("POST", f"/invoices/{world.invoice_id}/payments", {
            "token": "pay-during-send", "amount": "5,00", "paid_on": TODAY.isoformat(), "method": "virement"})
        assert status == 303, text[:500]
        # …recorded while the send still waited for the SMTP server's answer, not after it.
        with app.app_context():
            assert db.session.scalar(select(Send.status).where(Send.document_id == world.invoice_id)) == "sending"
    finally:
        server.kill()
        sink.release.set()

    integrity_ok(app)
    with app.app_context():
        (send,) = db.session.scalars(select(Send).where(Send.document_id == world.invoice_id)).all()
        assert (send.status, send.idempotency_key, send.sent_at) == ("sending", "send-form-1", None)
        doc = db.session.get(Document, world.invoice_id)
        assert doc.sent_at is None
        assert db.session.scalar(select(func.count(Event.id)).where(Event.document_id == doc.id,
                                                                    Event.kind == "email_sent")) == 0
        send_id, company_id = send.id, world.company_id

    server = Server(plain(app_config))
    try:
        browser = Browser(server.port).login()
        assert "Envois interrompus" not in browser.request("GET", "/reminders/")[1]  # may still be under way
        with app.app_context():  # ten minutes later: the send can no longer be under way
            interrupted = db.session.get(Send, send_id)
            interrupted.created_at -= sending.STALE_AFTER + timedelta(minutes=1)
            db.session.commit()
            assert [s.id for s in sending.stale_sends(company_id)] == [send_id]
        page = browser.request("GET", "/reminders/")[1]
        assert "Envois interrompus" in page and f"/invoices/{world.invoice_id}" in page

        # The browser sends the same form again: recognised, not sent a second time.
        status, text = browser.request("POST", send_url, SEND_FORM)
        assert status == 303 and sink.messages == []
    finally:
        server.stop()

    # The daily run, with automatic sending of new invoices on: it leaves the uncertain send
    # to the artisan instead of sending the invoice again.
    with app.app_context():
        company = db.session.get(Company, company_id)
        company.auto_send_invoices, company.auto_send_hour, company.reminders_enabled = True, 0, False
        invoice = db.session.get(Document, world.invoice_id)
        invoice.issued_at -= timedelta(days=7)  # its automatic send is due, whatever today's weekday
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "run"])
    assert result.exit_code == 0, result.output
    assert "facture envoyée" not in result.output and "à vérifier" in result.output
    assert sink.messages == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Send.id)).where(Send.document_id == world.invoice_id)) == 1


def test_an_interrupted_quote_send_links_to_the_quote(app, client, world):
    """The "Envois interrompus" list takes the artisan to the document (a quote's page for a quote)."""
    with app.app_context():
        stale = Send(company_id=world.company_id, document_id=world.open_quote_id, purpose="document",
                     template_key="quote_send", recipients=["helene@example.fr"], subject="Devis", body="Bonjour",
                     status="sending", attempts=1, idempotency_key="quote-crash",
                     created_at=utcnow() - sending.STALE_AFTER - timedelta(minutes=1))
        db.session.add(stale)
        db.session.commit()
    client.post("/login", data={"email": "artisan@test.example.fr", "password": TEST_PASSWORD})
    page = client.get("/reminders/").text
    section = page[page.index('id="uncertain-sends"'):]
    assert f'href="/quotes/{world.open_quote_id}"' in section[:section.index("</section>")]
    assert client.get(f"/quotes/{world.open_quote_id}").status_code == 200
