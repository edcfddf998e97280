"""One writer process for tests/hardening/test_sqlite_two_processes.py.

    python -m tests.support.sqlite_writer '<json job>'

The job names the database and the writes; the process says READY once its app is built
and logged in, and starts when it reads GO on stdin (so two processes start together). Writes: ["pay", invoice_id] records 1 € through the real route (login, form, commit), and
["issue", draft_id] issues a draft through the domain exactly as the route does (write
intent, one transaction, commit) without rendering its PDF. Prints one JSON line: what was
done, and every error, in particular any "database is locked".
"""

from __future__ import annotations

import json
import sys
import time


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
    done = {"pay": 0, "issue": 0}
    numbers, errors = [], []
    print("READY", flush=True)
    assert sys.stdin.readline().strip() == "GO"
    started = time.monotonic()
    for n, (op, object_id) in enumerate(job["ops"]):
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
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {"done": done, "numbers": numbers, "errors": errors, "seconds": time.monotonic() - started}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
