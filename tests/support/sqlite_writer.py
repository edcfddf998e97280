"""One writer process for tests/hardening/test_sqlite_two_processes.py.

    python -m tests.support.sqlite_writer '<json job>'

The job names the database and the writes. The process says READY once its app is built
and logged in, and starts when it reads GO on stdin. Writes: ["pay", invoice_id] records
1 € through the real route (login, form, commit), and ["issue", draft_id] issues a draft
through the domain exactly as the route does (write intent, one transaction, commit)
without rendering its PDF. Prints one JSON line: what was done, and every error, in
particular any "database is locked".

Overlap is made certain, not left to the scheduler (on a busy machine one process could
otherwise finish before the other starts): each writer publishes how many issues it has
attempted in a file of its own (job["progress_dir"]/<name>), and meets the other writer
twice, between transactions, never holding a lock while it waits:
- after its first issue, it waits until the other has issued once;
- before its last issue, it waits until the other has issued all but its last one.
So each writer takes one of the two first numbers of the run and one of the two last.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

MEETING_TIMEOUT_S = 120  # a safety net: a writer that died must not hang the other forever


class Progress:
    """This writer's count of issues, published for the other writer, and the other's."""

    def __init__(self, folder: Path, me: str, other: str):
        self.mine, self.theirs = folder / me, folder / other
        self.issues = 0

    def issued_one(self) -> None:
        """Count one more issue attempted (done or failed) and publish it atomically."""
        self.issues += 1
        draft = self.mine.with_suffix(".tmp")
        draft.write_text(str(self.issues))
        os.replace(draft, self.mine)

    def wait_for_other(self, at_least: int) -> None:
        """Return once the other writer has attempted `at_least` issues."""
        deadline = time.monotonic() + MEETING_TIMEOUT_S
        while self._other_count() < at_least:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the other writer never reached {at_least} issues")
            time.sleep(0.002)

    def _other_count(self) -> int:
        try:
            return int(self.theirs.read_text() or 0)
        except FileNotFoundError:
            return 0


def main(job: dict) -> dict:
    from app import create_app
    from database import write_intent
    from domain.billing import documents as docs
    from domain.billing.models import Document
    from domain.core.clock import today_in
    from extensions import db

    app = create_app(job["config"])
    browser = app.test_client()
    r = browser.post("/login", data={"email": "artisan@test.example.fr", "password": job["password"]})
    assert r.status_code == 303, r.status_code
    today = today_in("Europe/Paris")
    progress = Progress(Path(job["progress_dir"]), job["name"], job["other"])
    my_issues = sum(op == "issue" for op, _ in job["ops"])
    done = {"pay": 0, "issue": 0}
    numbers, errors = [], []
    print("READY", flush=True)
    assert sys.stdin.readline().strip() == "GO"
    for n, (op, object_id) in enumerate(job["ops"]):
        if op == "issue" and progress.issues == my_issues - 1:
            progress.wait_for_other(job["other_issues"] - 1)
        try:
            if op == "pay":
                r = browser.post(f"/invoices/{object_id}/payments",
                                 data={"token": f"{job['name']}-{n}", "amount": "1,00", "paid_on": today.isoformat(),
                                       "method": "virement", "reference": f"{job['name']} {n}"})
                if r.status_code != 303:
                    raise RuntimeError(f"payment answered {r.status_code}: {r.get_data(as_text=True)[:300]}")
            else:
                with app.app_context(), write_intent():
                    doc = docs.issue(db.session.get(Document, object_id), None, today=today)
                    numbers.append(doc.number)
                    db.session.commit()
            done[op] += 1
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on any
            errors.append(f"{op} {object_id}: {type(exc).__name__}: {exc}")
        if op == "issue":
            progress.issued_one()
            if progress.issues == 1:
                progress.wait_for_other(1)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {"done": done, "numbers": numbers, "errors": errors}


if __name__ == "__main__":
    from tests.support import clock

    clock.start()  # the run's clock, from the environment
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
