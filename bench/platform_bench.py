"""Benchmark the approved-platform connection: transmissions per second through the local
platform with two workers, and what the e-invoicing subscriber adds to recording a payment.

- platform_transmissions_per_s: N issued B2B Factur-X invoices (frozen at issue), transmitted by
  two workers (`commands.einvoicing.run_workers`, threads sharing the rows through the claims)
  to `platform_local` on loopback, which validates every request against the AFNOR definitions;
  wall clock from the first claim to the last commit (the platform checks each invoice later,
  at its integration step, so this is Encaisse's side plus the HTTP round trips);
- payment_record_ms / payment_record_with_212_ms: median time of `record_payment` + commit on a
  B2B services invoice, without then with the subscriber that queues the 212 report (one more
  SELECT and one INSERT in the same transaction); payment_212_extra_ms is the difference.

Usage: .venv/bin/python bench/platform_bench.py [--invoices 40] [--payments 60]
(`make bench` runs the same measure() as part of bench/run.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(invoices: int = 40, payments_count: int = 60) -> dict:
    from sqlalchemy import select

    from app import create_app
    from commands.einvoicing import run_workers
    from domain.billing import documents as docs
    from domain.billing import payments, printing
    from domain.billing.documents import DraftInput, LineInput
    from domain.billing.models import Kind, PaymentMethod
    from domain.billing.payments import PaymentInput
    from domain.core import events
    from domain.core.models import Client, Company, User
    from domain.einvoicing import connection
    from domain.einvoicing.models import Transmission
    from extensions import db
    from platform_local import create_platform_app, serve_in_thread

    tmp = Path(tempfile.mkdtemp(prefix="encaisse-pa-bench-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3",
                      "DATABASE_URL": None, "INSTANCE_FOR_TESTS": str(tmp)})
    base_url, stop = serve_in_thread(create_platform_app({"status_interval": None}))
    today = date.today()
    try:
        with app.app_context():
            db.create_all()
            company = Company(name="Plomberie Bench", legal_form="EI", siret="73282932000074",
                              rcs_rm="RM 69 732 829 320", vat_number="FR44732829320", address_line1="1 rue du Test",
                              postal_code="69003", city="Lyon", email="b@bench.example.fr",
                              iban="FR7630006000011234567890189", bic="AGRIFRPP")
            db.session.add(company)
            db.session.flush()
            user = User(company=company, email="bench@example.fr", name="Bench", password_hash="x")
            client = Client(company_id=company.id, kind="professionnel", name="Acheteur Approuve SAS",
                            siren="200000008", address_line1="1 rue", postal_code="44000", city="Nantes",
                            search_key="acheteur")
            db.session.add_all([user, client])
            db.session.flush()
            connection.configure_platform(company, user, connection.PlatformInput(
                flow_base_url=f"{base_url}/flow-service", directory_base_url=f"{base_url}/directory-service",
                token_url=f"{base_url}/oauth/token", client_id="encaisse-demo",
                client_secret="demo-secret-a-changer"), secret_key="bench")
            lines = [LineInput(label="Main d'oeuvre", quantity_milli=2000, unit_price_cents=5200, vat_rate_bp=2000)]
            for _ in range(invoices):
                doc = docs.create_draft(company, user, Kind.INVOICE, DraftInput(client_id=client.id, lines=lines),
                                        today=today)
                docs.issue(doc, user, today=today, after_number=printing.freeze_pdf)
            db.session.commit()
        started = time.perf_counter()
        report = run_workers(app, 2)
        elapsed = time.perf_counter() - started
        sent = report.outcomes.get("einvoice_transmissions:sent", 0)

        with app.app_context():
            company = db.session.scalar(select(Company))
            user = db.session.scalar(select(User))
            client = db.session.scalar(select(Client))
            big = [LineInput(label="Chantier", quantity_milli=1000, unit_price_cents=10_000_000, vat_rate_bp=2000)]
            doc = docs.create_draft(company, user, Kind.INVOICE, DraftInput(client_id=client.id, lines=big),
                                    today=today)
            docs.issue(doc, user, today=today, after_number=printing.freeze_pdf)
            db.session.commit()
            assert db.session.scalar(select(Transmission.id).where(Transmission.document_id == doc.id))
            handlers = dict(events._handlers)

            def timed(with_212: bool) -> float:
                events._handlers.clear()
                events._handlers.update(handlers if with_212 else {})
                begin = time.perf_counter()
                payments.record_payment(doc, user, PaymentInput(100, today, PaymentMethod.TRANSFER), today=today)
                db.session.commit()
                return (time.perf_counter() - begin) * 1000

            plain, with_212 = [], []
            for _ in range(payments_count):  # alternate, so both see the same machine load
                plain.append(timed(False))
                with_212.append(timed(True))
            events._handlers.clear()
            events._handlers.update(handlers)
    finally:
        stop()
    return {
        "platform_transmissions": sent,
        "platform_transmit_s": round(elapsed, 2),
        "platform_transmissions_per_s": round(sent / elapsed, 1) if elapsed else None,
        "payment_record_ms": round(statistics.median(plain), 2),
        "payment_record_with_212_ms": round(statistics.median(with_212), 2),
        "payment_212_extra_ms": round(statistics.median(with_212) - statistics.median(plain), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=40)
    parser.add_argument("--payments", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(measure(args.invoices, args.payments), indent=2))
