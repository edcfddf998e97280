"""Threads released together on one database, like gunicorn workers."""

from __future__ import annotations

import threading

import database
from extensions import db


def run_concurrently(app, ids, work):
    """Run work(id) for each id in its own thread, app context, session and connection, all
    released by one barrier; each call commits. Returns (results, errors)."""
    barrier = threading.Barrier(len(ids))
    errors, results = [], []

    def worker(doc_id):
        try:
            with app.app_context(), database.write_intent():
                barrier.wait(timeout=30)
                results.append(work(doc_id))
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors
