"""Two OS processes, 200 writes each, one database file: no "database is locked", no lost
write, invoice numbers still consecutive.

Like two gunicorn workers (or the web app and the daily cron run) on one SQLite file:
each process builds its own app and engine (WAL, busy_timeout, BEGIN IMMEDIATE for writes)
and interleaves payments on one shared invoice (through the real route) with issues of
its own drafts, both starting at the same instant. On PostgreSQL the same two processes run
against the test database (row locks instead of the file lock).

That they write at the same time is a precondition made certain, not luck: the writers meet
after their first issue and before their last one (tests/support/sqlite_writer.py), so they
overlap from each one's first number to each one's last, however busy the machine is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from domain.billing.documents import LineInput
from domain.billing.models import Document, Payment
from domain.core.models import Client, Company
from extensions import db
from tests.support.builders import issued, make_invoice
from tests.support.config import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WRITES = 200  # per process: half payments, half issues


def test_two_processes_writing_at_once(app, app_config, world, tmp_path):
    with app.app_context():
        company = db.session.get(Company, world.company_id)
        user, client = company.users[0], db.session.get(Client, world.client_id)
        shared = issued(make_invoice(company, client, user, lines=[LineInput(
            label="Gros chantier", quantity_milli=1000, unit_price_cents=1_000_000, vat_rate_bp=2000)]), user)
        drafts = [make_invoice(company, client, user).id for _ in range(WRITES)]
        db.session.commit()
        shared_id, issued_before = shared.id, len(_invoice_numbers())
    config = {k: v for k, v in app_config.items() if isinstance(v, (str, int, bool, type(None)))}
    progress_dir = tmp_path / "progress"
    progress_dir.mkdir()
    jobs = []
    for (name, other), mine in ((("A", "B"), drafts[0::2]), (("B", "A"), drafts[1::2])):
        ops = []
        for draft in mine:  # pay, issue, pay, issue…: both kinds of write contend all along
            ops += [["pay", shared_id], ["issue", draft]]
        jobs.append({"name": name, "other": other, "other_issues": WRITES // 2, "progress_dir": str(progress_dir),
                     "config": config, "password": TEST_PASSWORD, "ops": ops})
    procs = [subprocess.Popen([sys.executable, "-m", "tests.support.sqlite_writer", json.dumps(job)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
             for job in jobs]
    for proc in procs:  # both built their app and logged in…
        line = proc.stdout.readline()
        assert line.strip() == "READY", line + proc.stderr.read()[-3000:]
    for proc in procs:  # …then go together
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))

    for report in reports:
        assert report["errors"] == [], report["errors"][:5]
        assert report["done"] == {"pay": WRITES // 2, "issue": WRITES // 2}
    assert all("database is locked" not in e for r in reports for e in r["errors"])

    with app.app_context():
        # No lost write: every payment is there and the invoice's running sum agrees.
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.document_id == shared_id)) == WRITES
        shared = db.session.get(Document, shared_id)
        assert shared.paid_cents == 100 * WRITES == db.session.scalar(
            select(func.sum(Payment.amount_cents)).where(Payment.document_id == shared_id))
        # Every draft issued once, numbers consecutive from where the series was: no gap, no twin.
        numbers = _invoice_numbers()
        assert len(numbers) == issued_before + WRITES
        values = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
        assert values == list(range(1, len(numbers) + 1))
        assert sorted(reports[0]["numbers"] + reports[1]["numbers"]) == sorted(
            n for n in numbers if db.session.scalar(select(Document.id).where(Document.number == n)) in drafts)
        # Both really ran at the same time: their numbers interleave, each writer holding one
        # of the run's two first numbers and one of its two last (where the writers met).
        first = {int(n.rsplit("-", 1)[1]) for n in reports[0]["numbers"]}
        assert min(first) < max(values) - WRITES // 2 and max(first) > issued_before + WRITES // 2
        for report in reports:
            mine = {int(n.rsplit("-", 1)[1]) for n in report["numbers"]}
            assert min(mine) <= issued_before + 2 and max(mine) >= issued_before + WRITES - 1, sorted(mine)


def _invoice_numbers() -> list[str]:
    return list(db.session.scalars(select(Document.number).where(Document.number.like("F-%"))))
