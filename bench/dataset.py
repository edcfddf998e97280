"""The benchmark's data: two companies of the same size in a fresh SQLite file.

Each company has, by default, 10 000 clients, 100 000 invoices (standalone, deposit and
final invoices, credit notes), 200 000 payments and 300 000 events, plus the quotes its
deposit and final invoices come from, reminder sends, client links, tasks and frozen
PDFs. Everything is deterministic (fixed seed) and relative to `today`, the company's
calendar date when the bench runs, because the app computes statuses from the clock.

What the data looks like (per company):
- invoices issued over the last 13 months, due dates spread over the past year and the
  next weeks; statuses: drafts, to send, sent, partly paid, paid (on time or late,
  1 to 6 payments each), cancelled by a credit note, and exactly 10 % overdue (some
  partly paid), each at the reminder level and plan step its lateness implies (R1 after
  J+7, R2 after J+15, R3 or a formal notice to confirm after J+30);
- `paid_cents` is the sum of the invoice's non-cancelled payments; about 1 % of the
  payments are cancelled;
- exactly `plan_due` invoices (10 000) are due for a plan step today: the J-3 pre-due
  reminder of invoices due in 1 to 3 days; every other open invoice has already had its
  latest step, so an immediate rerun of the plan has nothing left to send;
- one client with 200 documents, one overdue invoice with 30 events, 30 clients with one
  freshly overdue invoice each (R0) for the one-tap reminders;
- frozen PDFs (`stored_files`) for the invoices the bench sends or downloads (the plan's
  10 000, the one-tap ones, the 30-event one): the same real 21 kB one-page PDF bytes
  under each document's file name. The other issued invoices behave like imported data
  (the app freezes their PDF on first use), which keeps the file at ~1 GB instead of ~4;
- the events budget (300 000) holds every "issued" event, every reminder sent, the
  30-event invoice's history and the most recent payments; older payments have no event
  (as if imported).

Rows are written with SQLAlchemy Core executemany in large batches into a schema built
by the app's own Alembic migrations (what `flask --app app init --no-demo` runs). Ids of
the two companies are interleaved in time order, as they would be in a shared database.

Usage: .venv/bin/python bench/dataset.py [--scale 0.1] [--out bench/data/bench.sqlite3]
"""

from __future__ import annotations

import argparse
import base64
import bisect
import gc
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20261123
DATASET_VERSION = 1
PASSWORD = "bench-encaisse-2026"
# The app's SECRET_KEY during the bench (bench/run.py uses this one): client-link tokens are
# stored sealed with it (domain/portal/links.py), as the app stores them.
SECRET_KEY = "bench-secret-key-not-for-production"
PUBLIC_BASE_URL = "https://factures.bench.test"
UTC = UTC

# Default reminder plan (domain.reminders.DEFAULT_STEPS): J-3 pre-due, J+7, J+15, J+30.
STEP_OFFSETS = (-3, 7, 15, 30)
STEP_TEMPLATES = ("pre_due", "soft", "firm", "formal_notice")


@dataclass(frozen=True)
class Sizes:
    clients: int = 10_000
    invoices: int = 100_000
    payments: int = 200_000
    events: int = 300_000
    plan_due: int = 10_000
    hero_documents: int = 200
    hero_events: int = 30
    one_tap: int = 30
    history_days: int = 395  # paid and cancelled invoices are issued over this many days

    def scaled(self, factor: float) -> Sizes:
        if factor == 1:
            return self
        s = lambda n: max(1, int(round(n * factor)))  # noqa: E731
        return Sizes(clients=max(100, s(self.clients)), invoices=max(1000, s(self.invoices)),
                     payments=max(2000, s(self.payments)), events=max(3000, s(self.events)),
                     plan_due=max(50, s(self.plan_due)), hero_documents=self.hero_documents,
                     hero_events=self.hero_events, one_tap=self.one_tap)


# --- realistic French words -------------------------------------------------------------------

FIRST = ("Hélène", "Marc", "Sophie", "Karim", "Jeanne", "Lucas", "Chantal", "Nadia", "Paul", "Thomas", "Élodie",
         "Camille", "Julien", "Manon", "Nicolas", "Léa", "Antoine", "Inès", "Hugo", "Chloé", "Mathieu", "Sarah",
         "Pierre", "Émilie", "Louis", "Anaïs", "Olivier", "Claire", "Yacine", "Margaux", "François", "Zoé")
LAST = ("Dupont", "Lefèvre", "Benali", "Martin", "Moreau", "Garnier", "Roux", "Girard", "Bernard", "Fabre",
        "Durand", "Petit", "Robert", "Richard", "Dubois", "Laurent", "Simon", "Michel", "Leroy", "Morel",
        "Fournier", "Girod", "Bonnet", "Mercier", "Blanc", "Guérin", "Muller", "Henry", "Rousseau", "Nicolas",
        "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "N'Diaye")
BUSINESS = ("SCI {n}", "Boulangerie {n} SARL", "Garage {n} SAS", "Hôtel {n}", "Cabinet {n}", "Régie {n}",
            "Restaurant {n}", "Syndic {n} Copro", "Pharmacie {n}", "Bâtir {n} SAS", "Menuiserie {n} EURL")
STREETS = ("rue des Lilas", "impasse du Moulin", "avenue Jean Jaurès", "place de l'Église", "cours Gambetta",
           "chemin des Vignes", "quai Perrache", "rue Mercière", "boulevard des Belges", "rue Garibaldi",
           "route de Vienne", "rue Victor Hugo", "allée des Tilleuls", "rue de la République")
CITIES = (("69003", "Lyon"), ("69100", "Villeurbanne"), ("69007", "Lyon"), ("69340", "Francheville"),
          ("69570", "Dardilly"), ("69002", "Lyon"), ("69006", "Lyon"), ("69008", "Lyon"), ("69500", "Bron"),
          ("69200", "Vénissieux"), ("69130", "Écully"), ("69300", "Caluire-et-Cuire"))
JOBS = (("Remplacement chauffe-eau 200 L", "u", 89000, 130000), ("Recherche de fuite", "forfait", 12000, 25000),
        ("Main d'oeuvre", "h", 4500, 6500), ("Pose WC suspendu", "u", 45000, 90000),
        ("Débouchage canalisation", "forfait", 9000, 18000), ("Mitigeur thermostatique", "u", 12000, 26000),
        ("Tableau électrique", "u", 60000, 120000), ("Prises 16 A", "u", 2500, 5000),
        ("Déplacement", "forfait", 3500, 6000), ("Radiateur acier 1000 W", "u", 18000, 42000),
        ("Colonne de douche", "u", 22000, 48000), ("Fournitures diverses", "forfait", 1500, 9000),
        ("Diagnostic installation", "forfait", 9000, 15000), ("Ballon thermodynamique", "u", 180000, 290000))
METHODS = (("virement", 55), ("cheque", 25), ("carte", 10), ("especes", 5), ("prelevement", 5))
SUBJECTS = ("", "", "Rénovation salle de bain", "Dépannage", "Mise aux normes", "Remplacement chaudière",
            "Entretien annuel", "Cuisine")


def fold(text: str) -> str:
    from domain.core.text import fold as app_fold

    return app_fold(text)


def luhn_siren(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(8)]
    total = 0
    for i, d in enumerate(digits):  # positions 1..8 from the left; double every second
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 1 else d
    check = (10 - total % 10) % 10
    return "".join(map(str, digits)) + str(check)


def at_local(day: date, rng: random.Random, start_h: int = 8, end_h: int = 16) -> datetime:
    """An instant during the working day (08:00-16:00 UTC is the same calendar day in Paris)."""
    return datetime(day.year, day.month, day.day, start_h, tzinfo=UTC) + timedelta(
        seconds=int(rng.random() * (end_h - start_h) * 3600))


def half_up_vat(base: int, rate_bp: int) -> int:
    return (base * rate_bp + 5000) // 10000


# --- one company -------------------------------------------------------------------------------


@dataclass
class CompanyData:
    index: int
    company: dict
    user: dict
    plan: dict
    clients: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    docs: list = field(default_factory=list)  # quotes and invoices
    lines: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    events: list = field(default_factory=list)
    sends: list = field(default_factory=list)
    links: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    stored: list = field(default_factory=list)  # docs that get a frozen PDF
    tracking: list = field(default_factory=list)
    hero_client: dict | None = None
    hero_invoice: dict | None = None
    one_tap: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


class CompanyGenerator:
    def __init__(self, index: int, sizes: Sizes, today: date, password_hash: str):
        self.rng = random.Random(SEED * 10 + index)
        self.sizes = sizes
        self.today = today
        name, trade, city = (("Plomberie Bench", "Plomberie Chauffage du Rhône", ("69003", "Lyon")) if index == 0
                             else ("Électricité Bench", "Élec Services Villeurbanne", ("69100", "Villeurbanne")))
        company = dict(
            name=name, trade_name=trade, legal_form="SARL", share_capital_cents=800_000, siret="73282932000074",
            rcs_rm="RCS Lyon 732 829 320", vat_regime="normal", vat_number="FR44732829320", vat_on_debits=False,
            address_line1=f"{5 + index} rue de la Part-Dieu", address_line2="", postal_code=city[0], city=city[1],
            country="France", email=f"contact@bench{index + 1}.example.fr", phone="04 78 00 00 00",
            iban="FR7630006000011234567890189", bic="AGRIFRPP", logo=None, logo_mime="", payment_terms_days=30,
            late_penalty_rate_bp=None, early_payment_discount="", quote_validity_days=30,
            insurer_name="Mutuelle des Artisans du Bâtiment", insurer_address="10 rue de l'Assurance, 75008 Paris",
            insurance_policy="DEC-2026-004512", insurance_coverage_area="France métropolitaine",
            timezone="Europe/Paris", auto_send_invoices=False, auto_send_hour=9, copy_company_on_sends=False,
            reminders_enabled=True, formal_notice_deadline_days=8, open_tracking_enabled=True,
            created_at=min(datetime(today.year - 2, 1, 5, 9, tzinfo=UTC),
                           datetime(today.year, 1, 5, 9, tzinfo=UTC) - timedelta(days=sizes.history_days)),
            email_verified_at=datetime(today.year - 2, 1, 5, 9, tzinfo=UTC),  # confirmed: it sends to clients
        )
        user = dict(email=f"artisan{index + 1}@bench.encaisse.test", name=f"Artisan {index + 1}",
                    password_hash=password_hash, role="owner", is_active_user=True, session_version=1,
                    created_at=company["created_at"], last_login_at=None)
        plan = dict(name="Plan standard", is_default=True, confirm_formal_notice=True,
                    steps=[{"offset_days": o, "template": t}
                           for o, t in zip(STEP_OFFSETS, STEP_TEMPLATES, strict=True)])
        self.data = CompanyData(index, company, user, plan)
        self.seller = self._seller(company)

    # -- helpers
    @staticmethod
    def _seller(c: dict) -> dict:
        lines = [c["address_line1"], f"{c['postal_code']} {c['city']}"]
        return {
            "name": c["name"], "trade_name": c["trade_name"], "legal_form": c["legal_form"],
            "share_capital_cents": c["share_capital_cents"], "siret": c["siret"], "siren": c["siret"][:9],
            "rcs_rm": c["rcs_rm"], "vat_number": c["vat_number"], "vat_on_debits": False, "address_lines": lines,
            "email": c["email"], "phone": c["phone"], "iban": c["iban"], "bic": c["bic"],
            "insurer_name": c["insurer_name"], "insurer_address": c["insurer_address"],
            "insurance_policy": c["insurance_policy"], "insurance_coverage_area": c["insurance_coverage_area"],
            "late_penalty_rate_bp": None, "early_payment_discount": "",
        }

    def _event(self, doc: dict | None, kind: str, at: datetime, *, priority: int, actor: bool = True,
               actor_label: str = "", amount: int | None = None, client: dict | None = None, **data) -> None:
        self.data.events.append({
            "_doc": doc, "_client": client if client is not None else (doc["_client"] if doc else None),
            "kind": kind, "at": at, "_actor": actor, "actor_label": actor_label, "amount_cents": amount,
            "data": data, "_priority": priority,
        })

    # -- clients
    def clients(self) -> None:
        rng, d = self.rng, self.data
        for i in range(self.sizes.clients):
            business = rng.random() < 0.3
            last = rng.choice(LAST)
            if business:
                name = rng.choice(BUSINESS).format(n=last if rng.random() < 0.7 else rng.choice(FIRST) + " " + last)
                siren = luhn_siren(rng)
                vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
            else:
                name = f"{rng.choice(FIRST)} {last}"
                siren, vat = "", ""
            postal, city = rng.choice(CITIES)
            special = i <= self.sizes.one_tap  # the hero client and the one-tap clients have an e-mail
            has_email = special or rng.random() < 0.92
            slug = fold(name).replace(" ", ".").replace("'", "")
            created = datetime.combine(self.today - timedelta(days=rng.randrange(400, 900)),
                                       datetime.min.time(), UTC) + timedelta(hours=9)
            client = dict(
                kind="professionnel" if business else "particulier", name=name, siren=siren, vat_number=vat,
                address_line1=f"{rng.randrange(1, 150)} {rng.choice(STREETS)}", address_line2="",
                postal_code=postal, city=city, country="France", site_address_line1="", site_postal_code="",
                site_city="", payment_terms_days=45 if business and rng.random() < 0.3 else None, notes="",
                reminder_plan_id=None, reminders_disabled=False, archived_at=None, created_at=created,
                _email=f"{slug}{i}@example.fr" if has_email else "",
            )
            contacts = [dict(name=name if not business else f"{rng.choice(FIRST)} {last}", email=client["_email"],
                             phone=f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                                   f"{rng.randrange(10, 99)}" if rng.random() < 0.8 else "",
                             role="gérant" if business else "", is_primary=True, _client=client)]
            if rng.random() < 0.15:
                contacts.append(dict(name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", email="", role="comptabilité",
                                     phone="04 72 00 11 22", is_primary=False, _client=client))
            parts = [name, city, siren] + [f"{c['name']} {c['email']} {c['phone']}" for c in contacts]
            client["search_key"] = fold(" ".join(p for p in parts if p))
            client["_buyer"] = {
                "name": name, "kind": client["kind"], "is_business": business, "siren": siren, "vat_number": vat,
                "address_lines": [client["address_line1"], f"{postal} {city}"], "site_address_lines": [],
            }
            d.clients.append(client)
            d.contacts.extend(contacts)
        d.hero_client = d.clients[0]

    # -- lines and totals
    def _lines(self, business: bool) -> tuple[list[dict], list[list[int]], bool]:
        rng = self.rng
        reduced = not business and rng.random() < 0.6
        out = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            label, unit, lo, hi = rng.choice(JOBS)
            qty = (rng.choice((1000, 1000, 1000, 2000, 3000)) if unit != "h"
                   else rng.choice((1000, 1500, 2000, 3500, 8000)))
            price = rng.randrange(lo, hi) // 100 * 100
            rate = 1000 if reduced and label != "Diagnostic installation" else 2000
            out.append(dict(kind="item", label=label, description="", quantity_milli=qty, unit=unit,
                            unit_price_cents=price, discount_bp=0, vat_rate_bp=rate,
                            total_ht_cents=(qty * price + 500) // 1000))
        per_rate: dict[int, int] = {}
        for line in out:
            per_rate[line["vat_rate_bp"]] = per_rate.get(line["vat_rate_bp"], 0) + line["total_ht_cents"]
        breakdown = [[rate, base, half_up_vat(base, rate)] for rate, base in sorted(per_rate.items())]
        return out, breakdown, reduced and any(line["vat_rate_bp"] == 1000 for line in out)

    def _doc(self, kind: str, client: dict, *, created: datetime, lines=None, breakdown=None, reduced=False,
             **fields) -> dict:
        if lines is None:
            lines, breakdown, reduced = self._lines(client["_buyer"]["is_business"])
        ht = sum(r[1] for r in breakdown)
        vat = sum(r[2] for r in breakdown)
        doc = dict(
            kind=kind, version=1, number=None, payment_reference=None, issued_at=None, _issued_by=False,
            issue_date=None, due_date=None,
            service_date=None, validity_date=None, payment_terms_days=None, requested_due_date=None, sent_at=None,
            accepted_at=None, refused_at=None, refusal_reason="", invoiced_at=None, _quote=None, _credited=None,
            deposit_percent_bp=None, vat_regime="normal", reduced_rate_attestation=reduced,
            subject=self.rng.choice(SUBJECTS), site_name="", site_address="", notes="", vat_breakdown=breakdown,
            breakdown_from_lines=True, total_ht_cents=ht, total_vat_cents=vat, total_ttc_cents=ht + vat,
            net_cents=ht + vat, deductions=[], paid_cents=0, credited_cents=0, paid_in_full_at=None,
            reminder_level=0, last_reminder_at=None, reminder_step_reached=-1, reminders_disabled=False,
            reminders_paused_until=None, formal_notice_at=None, snapshot={}, created_at=created, updated_at=created,
            _client=client, _lines=lines, _status="",
        )
        doc.update(fields)
        self.data.docs.append(doc)
        return doc

    def _issue(self, doc: dict, day: date, terms: int | None = None) -> None:
        rng = self.rng
        doc["issue_date"] = day
        doc["issued_at"] = at_local(day, rng)
        doc["_issued_by"] = True
        doc["created_at"] = min(doc["created_at"], doc["issued_at"] - timedelta(hours=2))
        doc["updated_at"] = doc["issued_at"]
        doc["snapshot"] = {"seller": self.seller, "buyer": doc["_client"]["_buyer"]}
        if doc["kind"] != "quote" and doc["kind"] != "credit_note":
            doc["due_date"] = day + timedelta(days=terms if terms is not None else 30)
        self._event(doc, "issued", doc["issued_at"], priority=1,
                    amount=doc["net_cents"] if doc["kind"] != "quote" else doc["total_ttc_cents"])

    def _terms(self, client: dict) -> int:
        if client["payment_terms_days"] is not None:
            return client["payment_terms_days"]
        return self.rng.choice((30, 30, 30, 30, 15, 0, 45)) if client["_buyer"]["is_business"] else \
            self.rng.choice((30, 30, 15, 0))

    def _pay(self, doc: dict, amount: int, day: date, *, cancelled: bool = False) -> dict:
        rng = self.rng
        method = rng.choices([m for m, _ in METHODS], [w for _, w in METHODS])[0]
        recorded = at_local(day, rng)
        payment = dict(
            _doc=doc, _client=doc["_client"], amount_cents=amount, paid_on=day, method=method,
            reference=(f"VIR {rng.randrange(10**6, 10**7)}" if method == "virement" else
                       f"CHQ {rng.randrange(10**6, 10**7)}" if method == "cheque" else ""),
            recorded_at=recorded, cancelled_at=None, cancel_reason="", _cancelled_by=False,
        )
        if cancelled:
            payment["cancelled_at"] = recorded + timedelta(days=rng.randrange(1, 5))
            payment["cancel_reason"] = "Chèque rejeté"
            payment["_cancelled_by"] = True
        self.data.payments.append(payment)
        return payment

    def _split(self, total: int, parts: int) -> list[int]:
        if parts <= 1 or total < parts * 100:
            return [total]
        cuts = sorted(self.rng.sample(range(1, total // 100), parts - 1))
        amounts = [(b - a) * 100 for a, b in zip([0, *cuts], [*cuts, total // 100], strict=True)]
        amounts[-1] += total - sum(amounts)
        return amounts

    def _reminded(self, doc: dict, last_day: date) -> None:
        """Set the plan position and reminder level the invoice reached by `last_day` (lateness)."""
        due = doc["due_date"]
        reached = -1
        for i, offset in enumerate(STEP_OFFSETS):
            if due + timedelta(days=offset) <= last_day:
                reached = i
        doc["reminder_step_reached"] = reached
        if not doc["_client"]["_email"]:
            return  # the plan created call tasks instead of e-mails
        level = 0
        for i in range(1, reached + 1):
            template = STEP_TEMPLATES[i]
            if template == "formal_notice":
                if self.rng.random() < 0.5:
                    self.data.tasks.append(dict(_doc=doc, _client=doc["_client"], due_on=due + timedelta(days=30),
                                                note="Confirmer la mise en demeure de la facture {number} "
                                                     "(plan de relance)", kind="confirm_formal_notice",
                                                created_at=at_local(due + timedelta(days=30), self.rng),
                                                _done=doc["_status"] == "paid"))
                    continue
                doc["formal_notice_at"] = at_local(due + timedelta(days=30), self.rng)
            level = i
            sent = at_local(due + timedelta(days=STEP_OFFSETS[i]), self.rng, 7, 8)
            doc["last_reminder_at"] = sent
            send = dict(_doc=doc, purpose="reminder", channel="email", template_key=template, level=i, plan_step=i,
                        previous_step=i - 1, idempotency_key=None, recipients=[doc["_client"]["_email"]], cc=[],
                        subject="Relance : facture {number}", body="Bonjour,\n\nSauf erreur de notre part…",
                        attachments=["Facture.pdf"], status="sent", error="", attempts=1, automatic=True,
                        created_at=sent, sent_at=sent, _created_by=False,
                        tracking_token=base64.urlsafe_b64encode(self.rng.randbytes(18)).decode())
            self.data.sends.append(send)
            self._event(doc, "reminder_sent", sent, priority=1, actor=False, actor_label="relances automatiques",
                        amount=None, template=template, level=i, automatic=True, channel="email", result="envoyé")
        doc["reminder_level"] = level

    # -- documents
    def documents(self) -> None:
        rng, d, sz = self.rng, self.data, self.sizes
        n = sz.invoices
        n_overdue = round(n * 0.10)
        n_draft = round(n * 0.015)
        n_credit = round(n * 0.01)
        n_open = round(n * 0.06)
        n_paid = n - n_overdue - sz.plan_due - n_draft - 2 * n_credit - n_open
        statuses = (["overdue"] * n_overdue + ["plan_due"] * sz.plan_due + ["draft"] * n_draft
                    + ["cancelled"] * n_credit + ["open"] * n_open + ["paid"] * n_paid)
        rng.shuffle(statuses)
        # Clients: a few big accounts, many occasional ones (log-normal weights); the hero client
        # gets exactly hero_documents documents (quotes of its invoices included).
        others = list(range(1, len(d.clients)))
        cum, total = [], 0.0
        for _ in others:
            total += rng.lognormvariate(0, 1.0)
            cum.append(total)
        self._pick = lambda: d.clients[1 + bisect.bisect(cum, rng.random() * total)]
        hero_slots = set(rng.sample(range(len(statuses)), sz.hero_documents // 2))
        one_tap_needed = sz.one_tap
        hero_needed = True
        self._deferred_credit = []
        for slot, st in enumerate(statuses):
            client = d.hero_client if slot in hero_slots else self._pick()
            if st == "overdue" and one_tap_needed:
                client = d.clients[sz.one_tap - one_tap_needed + 1]  # clients 1..one_tap, one each
                one_tap_needed -= 1
                doc = self._overdue(client, days_late=rng.randrange(1, 7), partial=False, one_tap=True)
                d.one_tap.append(doc)
                continue
            if st == "overdue" and hero_needed:
                hero_needed = False
                d.hero_invoice = self._overdue(d.hero_client, days_late=20, partial=False, hero=True)
                continue
            getattr(self, f"_{st}")(client)
        # The hero client's documents: top up to exactly hero_documents with quotes.
        count = sum(1 for doc in d.docs if doc["_client"] is d.hero_client)
        for _ in range(sz.hero_documents - count):
            self._extra_quote(d.hero_client)
        assert sum(1 for doc in d.docs if doc["_client"] is d.hero_client) == sz.hero_documents
        # Other quotes (pending, refused, expired, drafts): 3 % of the invoice count.
        for _ in range(round(n * 0.03)):
            self._extra_quote(self._pick())

    def _kind_with_quote(self, client: dict, issue_day: date, plain: bool) -> tuple[str, dict]:
        """Standalone invoice (88 %), or a deposit / final invoice on an accepted quote."""
        r = self.rng.random()
        if r >= 0.12 or plain:
            return "invoice", {}
        lines, breakdown, reduced = self._lines(client["_buyer"]["is_business"])
        qday = issue_day - timedelta(days=self.rng.randrange(10, 60))
        quote = self._doc("quote", client, created=at_local(qday, self.rng) - timedelta(days=1), lines=lines,
                          breakdown=breakdown, reduced=reduced)
        self._issue(quote, qday)
        quote["validity_date"] = qday + timedelta(days=30)
        quote["accepted_at"] = at_local(qday + timedelta(days=self.rng.randrange(1, 9)), self.rng)
        quote["_status"] = "accepted"
        if r < 0.06:
            share = [[rate, base * 3000 // 10000, half_up_vat(base * 3000 // 10000, rate)]
                     for rate, base, _ in breakdown]
            dep_lines = [dict(kind="item", label="Acompte de 30 % sur le devis {quote_number}"
                                                  + (f" – TVA {rate / 100:g} %" if len(share) > 1 else ""),
                              description="", quantity_milli=1000, unit="forfait", unit_price_cents=base,
                              discount_bp=0, vat_rate_bp=rate, total_ht_cents=base) for rate, base, _ in share]
            return "deposit", dict(_quote=quote, lines=dep_lines, breakdown=share, reduced=reduced,
                                   deposit_percent_bp=3000, breakdown_from_lines=False)
        return "final", dict(_quote=quote, lines=[dict(x) for x in lines], breakdown=breakdown, reduced=reduced)

    def _new_invoice(self, client: dict, issue_day: date, terms: int, plain: bool = False) -> dict:
        kind, extra = self._kind_with_quote(client, issue_day, plain)
        doc = self._doc(kind, client, created=at_local(issue_day, self.rng) - timedelta(days=1), **extra)
        self._issue(doc, issue_day, terms)
        if kind == "final":
            doc["_quote"]["invoiced_at"] = doc["issued_at"]
            doc["_quote"]["_status"] = "invoiced"
        if self.rng.random() < 0.92:
            doc["sent_at"] = doc["issued_at"] + timedelta(minutes=self.rng.randrange(1, 600))
        return doc

    def _paid(self, client: dict) -> None:
        rng, today = self.rng, self.today
        terms = self._terms(client)
        issue_day = today - timedelta(days=rng.randrange(1, self.sizes.history_days))
        doc = self._new_invoice(client, issue_day, terms)
        doc["_status"] = "paid"
        due = doc["due_date"]
        if rng.random() < 0.62:
            last = issue_day + timedelta(days=rng.randrange(0, max(1, terms + 1)))
        else:
            last = due + timedelta(days=int(rng.expovariate(1 / 14)) + 1)
        last = min(last, today)
        doc["_last_pay"] = last
        self._reminded(doc, last)
        doc["paid_cents"] = doc["net_cents"]
        self._paid_docs.append(doc)

    def _overdue(self, client: dict, *, days_late: int | None = None, partial: bool | None = None,
                 one_tap: bool = False, hero: bool = False) -> dict:
        rng, today = self.rng, self.today
        if days_late is None:
            r = rng.random()
            days_late = (rng.randrange(1, 31) if r < 0.4 else rng.randrange(31, 61) if r < 0.65 else
                         rng.randrange(61, 91) if r < 0.8 else rng.randrange(91, 366))
        terms = self._terms(client)
        due = today - timedelta(days=days_late)
        doc = self._new_invoice(client, due - timedelta(days=terms), terms, plain=one_tap or hero)
        doc["due_date"] = due
        doc["sent_at"] = doc["sent_at"] or doc["issued_at"] + timedelta(hours=1)
        doc["_status"] = "overdue"
        if one_tap:
            doc["reminder_step_reached"] = 0  # R0: only the pre-due step went
            self.data.stored.append(doc)
            return doc
        if partial is None:
            partial = rng.random() < 0.3
        if partial:
            paid_total = doc["net_cents"] * rng.randrange(20, 70) // 100
            days = sorted(rng.sample(range(0, max(2, (today - doc["issue_date"]).days)), min(2, rng.randrange(1, 3))))
            for amount, offset in zip(self._split(paid_total, len(days)), days, strict=False):
                self._pay(doc, amount, min(doc["issue_date"] + timedelta(days=offset), today - timedelta(days=1)))
            doc["paid_cents"] = paid_total
        self._reminded(doc, today - timedelta(days=1) if hero else today)
        if hero:
            self.data.stored.append(doc)
        return doc

    def _plan_due(self, client: dict) -> None:
        rng, today = self.rng, self.today
        terms = max(15, self._terms(client))
        due = today + timedelta(days=rng.randrange(1, 4))
        doc = self._new_invoice(client, due - timedelta(days=terms), terms)
        doc["due_date"] = due
        doc["_status"] = "plan_due"
        if rng.random() < 0.05:
            amount = doc["net_cents"] * 30 // 100
            self._pay(doc, amount, today - timedelta(days=rng.randrange(1, 10)))
            doc["paid_cents"] = amount
        self.data.stored.append(doc)

    def _open(self, client: dict) -> None:
        rng, today = self.rng, self.today
        terms = max(15, self._terms(client))
        due = today if rng.random() < 0.1 else today + timedelta(days=rng.randrange(4, terms + 1))
        doc = self._new_invoice(client, due - timedelta(days=terms), terms)
        doc["due_date"] = due
        doc["_status"] = "open"
        if due <= today + timedelta(days=3):
            doc["reminder_step_reached"] = 0  # the pre-due reminder went already
        if rng.random() < 0.2:
            amount = doc["net_cents"] * rng.randrange(20, 60) // 100
            self._pay(doc, amount, max(doc["issue_date"], today - timedelta(days=rng.randrange(0, 10))))
            doc["paid_cents"] = amount

    def _draft(self, client: dict) -> None:
        created = at_local(self.today - timedelta(days=self.rng.randrange(0, 30)), self.rng)
        doc = self._doc("invoice", client, created=created)
        doc["_status"] = "draft"
        self._event(doc, "created", created, priority=1, amount=doc["total_ttc_cents"])

    def _cancelled(self, client: dict) -> None:
        rng, today = self.rng, self.today
        issue_day = today - timedelta(days=rng.randrange(5, self.sizes.history_days))
        doc = self._new_invoice(client, issue_day, self._terms(client))
        doc["_status"] = "cancelled"
        note = self._doc("credit_note", client, created=doc["issued_at"] + timedelta(days=1),
                         lines=[dict(x) for x in doc["_lines"]], breakdown=doc["vat_breakdown"],
                         reduced=doc["reduced_rate_attestation"], _credited=doc,
                         notes="Annulation : erreur de facturation")
        self._issue(note, min(today, issue_day + timedelta(days=rng.randrange(1, 5))))
        note["_status"] = "issued"
        doc["credited_cents"] = doc["net_cents"]
        doc["paid_in_full_at"] = note["issued_at"]
        doc["reminder_step_reached"] = 3  # nothing left to remind

    def _extra_quote(self, client: dict) -> None:
        rng, today = self.rng, self.today
        r = rng.random()
        qday = today - timedelta(days=rng.randrange(0, 120))
        quote = self._doc("quote", client, created=at_local(qday, rng) - timedelta(days=1))
        if r < 0.1:
            quote["_status"] = "draft"
            self._event(quote, "created", quote["created_at"], priority=3, amount=quote["total_ttc_cents"])
            return
        self._issue(quote, qday)
        quote["validity_date"] = qday + timedelta(days=30)
        if r < 0.25:
            quote["refused_at"] = at_local(qday + timedelta(days=rng.randrange(1, 20)), rng)
            quote["refusal_reason"] = "Trop cher"
            quote["_status"] = "refused"
        elif r < 0.45 and qday <= today:
            quote["accepted_at"] = at_local(min(today, qday + timedelta(days=rng.randrange(1, 9))), rng)
            quote["_status"] = "accepted"
        else:
            quote["_status"] = "pending" if quote["validity_date"] >= today else "expired"

    # -- payments: exactly `payments` rows, about 1 % cancelled
    def payments(self) -> None:
        rng, d = self.rng, self.data
        partial_count = len(d.payments)
        cancelled = round(self.sizes.payments * 0.01)
        hero_payments = 3
        budget = self.sizes.payments - partial_count - cancelled - hero_payments
        paid = self._paid_docs
        if budget < len(paid):
            raise SystemExit(f"payments budget {budget} below paid invoices {len(paid)}")
        counts = [1] * len(paid)
        extra = budget - len(paid)
        while extra > 0:
            i = rng.randrange(len(paid))
            if counts[i] < 6 and paid[i]["net_cents"] >= 100 * (counts[i] + 1):
                counts[i] += 1
                extra -= 1
        for doc, k in zip(paid, counts, strict=True):
            last = doc["_last_pay"]
            span = max(1, (last - doc["issue_date"]).days)
            days = sorted(rng.randrange(0, span) for _ in range(k - 1)) + [span]
            amounts = self._split(doc["net_cents"], k)
            if len(amounts) != k:
                raise SystemExit("amount too small to split")
            for amount, offset in zip(amounts, days, strict=False):
                p = self._pay(doc, amount, min(doc["issue_date"] + timedelta(days=offset), last))
            doc["paid_in_full_at"] = p["recorded_at"]
        for _ in range(cancelled):
            doc = paid[rng.randrange(len(paid))]
            self._pay(doc, max(100, doc["net_cents"] // 2), doc["_last_pay"], cancelled=True)
        # The hero invoice: two payments, the second one cancelled, and a third one.
        hero = d.hero_invoice
        base = hero["issue_date"]
        first = self._pay(hero, hero["net_cents"] * 20 // 100, base + timedelta(days=5))
        bounced = self._pay(hero, hero["net_cents"] * 30 // 100, base + timedelta(days=12), cancelled=True)
        third = self._pay(hero, hero["net_cents"] * 10 // 100, base + timedelta(days=25))
        hero["paid_cents"] = first["amount_cents"] + third["amount_cents"]
        self._hero_payments = (first, bounced, third)
        assert len(d.payments) == self.sizes.payments, (len(d.payments), self.sizes.payments)
        for p in d.payments:
            if p["cancelled_at"] is None:
                self._event(p["_doc"], "payment_recorded", p["recorded_at"], priority=2, amount=p["amount_cents"],
                            _payment=p, method=p["method"], reference=p["reference"])
            else:
                self._event(p["_doc"], "payment_cancelled", p["cancelled_at"], priority=1, amount=p["amount_cents"],
                            _payment=p, reason=p["cancel_reason"])
        for doc in d.docs:
            if doc["sent_at"] is not None and doc["kind"] != "credit_note":
                self._event(doc, "email_sent", doc["sent_at"], priority=4,
                            amount=doc["net_cents"] if doc["kind"] != "quote" else doc["total_ttc_cents"],
                            channel="email", result="envoyé", automatic=False)

    def hero_history(self) -> None:
        """The 30-event invoice: a realistic life, from creation to a promise to pay."""
        hero = self.data.hero_invoice
        mine = [e for e in self.data.events if e["_doc"] is hero]
        base = hero["issued_at"]
        script = [("created", -2), ("edited", -1), ("link_created", 0.1), ("viewed", 1), ("email_opened", 1.2),
                  ("viewed", 3), ("email_opened", 7), ("task_created", 9), ("shared", 10), ("email_opened", 28),
                  ("viewed", 29), ("task_done", 31), ("email_opened", 35), ("client_promised", 36),
                  ("reminders_paused", 36.1), ("reminders_resumed", 44), ("viewed", 45), ("email_opened", 46),
                  ("viewed", 47), ("email_opened", 48), ("viewed", 49), ("email_opened", 49.5), ("viewed", 49.7)]
        for kind, days in script:
            if len(mine) >= self.sizes.hero_events:
                break
            event = dict(_doc=hero, _client=hero["_client"], kind=kind, at=base + timedelta(days=days),
                         _actor=kind in ("created", "edited", "task_created", "task_done", "shared"),
                         actor_label="client" if kind in ("viewed", "client_promised") else "",
                         amount_cents=None, data={"channel": "whatsapp"} if kind == "shared" else {},
                         _priority=0)
            self.data.events.append(event)
            mine.append(event)
        for e in mine:
            e["_priority"] = 0
        assert len(mine) == self.sizes.hero_events, len(mine)
        self.data.tracking.append(dict(_doc=hero, opens=8, first_opened_at=base + timedelta(days=1.2),
                                       last_opened_at=base + timedelta(days=49.5), views=7,
                                       first_viewed_at=base + timedelta(days=1),
                                       last_viewed_at=base + timedelta(days=49.7)))

    def trim_events(self) -> None:
        """Keep exactly `events` rows: by priority, then newest first."""
        events = self.data.events
        events.sort(key=lambda e: (e["_priority"], -e["at"].timestamp()))
        if len(events) < self.sizes.events:
            raise SystemExit(f"only {len(events)} events generated, {self.sizes.events} wanted")
        kept = events[: self.sizes.events]
        self.data.counts["events_by_kind"] = {}
        for e in kept:
            self.data.counts["events_by_kind"][e["kind"]] = self.data.counts["events_by_kind"].get(e["kind"], 0) + 1
        self.data.events = kept

    def links(self) -> None:
        """A live client link for every document e-mailed (created with the first e-mail)."""
        rng = self.rng
        for doc in self.data.docs:
            if doc["sent_at"] is None or doc["kind"] == "credit_note":
                continue
            token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
            self.data.links.append(dict(_doc=doc, token=token, token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                                        created_at=doc["sent_at"], expires_at=doc["sent_at"] + timedelta(days=365),
                                        revoked_at=None))

    def build(self) -> CompanyData:
        self._paid_docs: list[dict] = []
        self.clients()
        self.documents()
        self.payments()
        self.hero_history()
        self.trim_events()
        self.links()
        d = self.data
        invoices = [doc for doc in d.docs if doc["kind"] != "quote"]
        d.counts.update({
            "clients": len(d.clients), "contacts": len(d.contacts), "invoices": len(invoices),
            "quotes": len(d.docs) - len(invoices), "document_lines": sum(len(doc["_lines"]) for doc in d.docs),
            "payments": len(d.payments), "payments_cancelled": sum(1 for p in d.payments if p["cancelled_at"]),
            "events": len(d.events), "sends": len(d.sends), "client_links": len(d.links), "tasks": len(d.tasks),
            "stored_pdfs": len(d.stored),
            "invoice_statuses": {}, "invoices_by_kind": {},
        })
        for doc in invoices:
            st = doc["_status"]
            d.counts["invoice_statuses"][st] = d.counts["invoice_statuses"].get(st, 0) + 1
            d.counts["invoices_by_kind"][doc["kind"]] = d.counts["invoices_by_kind"].get(doc["kind"], 0) + 1
        return d


# --- writing -----------------------------------------------------------------------------------


def _migrate(path: Path) -> None:
    """The app's Alembic migrations, as `flask --app app init --no-demo` applies them."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db

    url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "SECRET_KEY": "bench-migrate"})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


def _assign_ids(rows: list[dict], key) -> None:
    rows.sort(key=key)
    for i, row in enumerate(rows, 1):
        row["id"] = i


def _sample_pdf() -> bytes:
    from output import pdf
    from output.samples import sample_invoice_view

    return pdf.render_document(sample_invoice_view())


def _file_prefix(kind: str) -> str:
    return {"deposit": "Facture-acompte", "final": "Facture", "invoice": "Facture", "credit_note": "Avoir"}[kind]


def _utc_text(value: datetime) -> str:
    """UTCDateTime on SQLite: naive UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _json_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)  # str: serialized already


def _converter(column_type):
    """What SQLAlchemy's SQLite bind processors would store for this column type."""
    from sqlalchemy import JSON, Boolean, Date

    from domain.core.orm import UTCDateTime

    if isinstance(column_type, UTCDateTime):
        return _utc_text
    if isinstance(column_type, Date):
        return date.isoformat
    if isinstance(column_type, JSON):
        return _json_text
    if isinstance(column_type, Boolean):
        return int
    return None


def write(path: Path, companies: list[CompanyData], *, log=print) -> None:
    from sqlalchemy import create_engine, event, insert

    from domain.billing.models import Document, DocumentLine, NumberSequence, Payment, StoredFile
    from domain.billing.payment_reference import rf_for_invoice
    from domain.collections.models import ReminderPlan, Send, Task
    from domain.core.models import Client, Company, Contact, Event, User
    from domain.portal.models import DocumentLink, DocumentTracking

    # Global ids, the two companies interleaved in time order (as in a shared database).
    for i, c in enumerate(companies, 1):
        c.company["id"] = i
        c.user["id"] = i
        c.plan["id"] = i
    order = lambda created: lambda r: (r[created], r["_ci"])  # noqa: E731
    for c in companies:
        for lst in (c.clients, c.contacts, c.docs, c.payments, c.events, c.sends, c.links, c.tasks):
            for row in lst:
                row["_ci"] = c.index
    all_clients = [r for c in companies for r in c.clients]
    _assign_ids(all_clients, order("created_at"))
    all_contacts = [r for c in companies for r in c.contacts]
    for r in all_contacts:
        r["_sort"] = (r["_client"]["id"], not r["is_primary"])
    _assign_ids(all_contacts, lambda r: r["_sort"])
    all_docs = [r for c in companies for r in c.docs]
    _assign_ids(all_docs, order("created_at"))

    # Numbers: one continuous series per company, kind and year, in issue order.
    for c in companies:
        counters: dict[tuple[str, int], int] = {}
        for doc in sorted((d for d in c.docs if d["issued_at"] is not None), key=lambda d: (d["issued_at"], d["id"])):
            series = {"quote": "D", "credit_note": "A"}.get(doc["kind"], "F")
            key = (series, doc["issue_date"].year)
            counters[key] = counters.get(key, 0) + 1
            doc["number"] = f"{series}-{key[1]}-{counters[key]:04d}"
            if series == "F":  # invoices carry the RF reference frozen at issue (domain.billing.payment_reference)
                doc["payment_reference"] = rf_for_invoice(doc["number"])
        c.counts["_sequences"] = counters

    company_of = {c.index: c for c in companies}
    uid = lambda row: company_of[row["_ci"]].user["id"]  # noqa: E731
    cid = lambda row: company_of[row["_ci"]].company["id"]  # noqa: E731

    pdf_bytes = _sample_pdf()
    pdf_sha = hashlib.sha256(pdf_bytes).hexdigest()

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-400000")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    def put(conn, model, rows, columns, make=None):
        """executemany in batches of 20 000 rows; values converted as the models' column types
        would (UTC timestamps, ISO dates, JSON, booleans), SQL from the model's table."""
        started = time.perf_counter()
        table = model.__table__
        sql, convs = None, None
        batch, total, in_db = [], 0, 0.0
        for row in rows:
            values = [row[c] for c in columns]
            extra = make(row) if make else {}
            values.extend(extra.values())
            if sql is None:  # the columns: those listed, then those `make` fills
                names = [*columns, *extra]
                convs = [_converter(table.c[name].type) for name in names]
                sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            batch.append(tuple(v if conv is None or v is None else conv(v)
                               for v, conv in zip(values, convs, strict=True)))
            if len(batch) >= 20_000:
                t = time.perf_counter()
                conn.exec_driver_sql(sql, batch)
                in_db += time.perf_counter() - t
                total += len(batch)
                batch = []
        if batch:
            t = time.perf_counter()
            conn.exec_driver_sql(sql, batch)
            in_db += time.perf_counter() - t
            total += len(batch)
        log(f"  {table.name:<18} {total:>8} rows  {time.perf_counter() - started:5.1f} s (SQLite {in_db:.1f} s)")

    company_cols = [k for k in companies[0].company if not k.startswith("_")]
    client_cols = [k for k in companies[0].clients[0] if not k.startswith("_") and k != "id"] + ["id"]
    doc_cols = [k for k in companies[0].docs[0] if not k.startswith("_")]
    with engine.begin() as conn:
        # Secondary indexes are dropped during the load and rebuilt after it from the exact SQL
        # the migrations created (a sorted build is several times faster than row-by-row).
        indexes = [sql for (sql,) in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
        for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                                            ).all():
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        put(conn, Company, [c.company for c in companies], company_cols)
        put(conn, User, [c.user for c in companies], [k for k in companies[0].user], lambda r: {
            "company_id": r["id"]})
        put(conn, ReminderPlan, [c.plan for c in companies], [k for k in companies[0].plan], lambda r: {
            "company_id": r["id"]})
        put(conn, Client, sorted(all_clients, key=lambda r: r["id"]), client_cols, lambda r: {"company_id": cid(r)})
        put(conn, Contact, all_contacts, ["id", "name", "email", "phone", "role", "is_primary"], lambda r: {
            "company_id": cid(r), "client_id": r["_client"]["id"]})
        snapshots: dict[int, str] = {}  # one serialized snapshot per client (the same parties)

        def snapshot(r):
            if not r["snapshot"]:
                return "{}"
            key = id(r["_client"])
            if key not in snapshots:
                snapshots[key] = json.dumps(r["snapshot"])
            return snapshots[key]

        doc_cols.remove("snapshot")
        put(conn, Document, all_docs, doc_cols, lambda r: {
            "snapshot": snapshot(r),
            "company_id": cid(r), "client_id": r["_client"]["id"],
            "quote_id": r["_quote"]["id"] if r["_quote"] else None,
            "credited_id": r["_credited"]["id"] if r["_credited"] else None,
            "issued_by_id": uid(r) if r["_issued_by"] else None, "created_by_id": uid(r),
            "reminder_plan_id": None})

        def lines():
            for doc in all_docs:
                quote_number = doc["_quote"]["number"] if doc["_quote"] else ""
                for pos, line in enumerate(doc["_lines"]):
                    yield dict(line, document_id=doc["id"], position=pos,
                               label=line["label"].replace("{quote_number}", quote_number or ""))

        put(conn, DocumentLine, lines(), ["document_id", "position", "kind", "label", "description", "quantity_milli",
                                          "unit", "unit_price_cents", "discount_bp", "vat_rate_bp", "total_ht_cents"])
        all_payments = [r for c in companies for r in c.payments]
        _assign_ids(all_payments, order("recorded_at"))
        put(conn, Payment, all_payments, ["id", "amount_cents", "paid_on", "method", "reference", "recorded_at",
                                          "cancelled_at", "cancel_reason"], lambda r: {
            "company_id": cid(r), "document_id": r["_doc"]["id"], "client_id": r["_client"]["id"],
            "recorded_by_id": uid(r), "cancelled_by_id": uid(r) if r["_cancelled_by"] else None})
        all_sends = [r for c in companies for r in c.sends]
        _assign_ids(all_sends, order("created_at"))

        def send_values(r):
            number = r["_doc"]["number"]
            return {"company_id": cid(r), "document_id": r["_doc"]["id"], "created_by_id": None,
                    "subject": r["subject"].replace("{number}", number),
                    "attachments": [f"Facture-{number}.pdf"]}

        put(conn, Send, all_sends, ["id", "purpose", "channel", "template_key", "level", "plan_step", "previous_step",
                                    "idempotency_key", "recipients", "cc", "body", "status", "error", "attempts",
                                    "automatic", "created_at", "sent_at", "tracking_token"], send_values)
        all_events = [r for c in companies for r in c.events]
        _assign_ids(all_events, order("at"))

        def event_values(r):
            data = dict(r["data"])
            payment = data.pop("_payment", None)
            if payment is not None:
                data["payment_id"] = payment["id"]
            if r["kind"] == "issued" and r["_doc"] is not None:
                data["number"] = r["_doc"]["number"]
            return {"company_id": cid(r), "document_id": r["_doc"]["id"] if r["_doc"] else None,
                    "client_id": r["_client"]["id"] if r["_client"] else None,
                    "actor_id": uid(r) if r["_actor"] else None, "data": data}

        put(conn, Event, all_events, ["id", "kind", "at", "actor_label", "amount_cents"], event_values)
        all_links = [r for c in companies for r in c.links]
        _assign_ids(all_links, order("created_at"))
        from domain.portal.links import seal

        put(conn, DocumentLink, all_links, ["id", "token_sha256", "created_at", "expires_at", "revoked_at"],
            lambda r: {"company_id": cid(r), "document_id": r["_doc"]["id"], "created_by_id": None,
                       "revoked_by_id": None, "token_sealed": seal(r["token"], SECRET_KEY.encode())})
        all_tasks = [r for c in companies for r in c.tasks]
        _assign_ids(all_tasks, order("created_at"))
        put(conn, Task, all_tasks, ["id", "due_on", "kind", "created_at"], lambda r: {
            "company_id": cid(r), "client_id": r["_client"]["id"], "document_id": r["_doc"]["id"],
            "note": r["note"].replace("{number}", r["_doc"]["number"]), "created_by_id": None,
            "done_at": r["created_at"] + timedelta(days=2) if r["_done"] else None,
            "done_by_id": uid(r) if r["_done"] else None})
        put(conn, DocumentTracking, [t | {"_ci": c.index} for c in companies for t in c.tracking],
            ["opens", "first_opened_at", "last_opened_at", "views", "first_viewed_at", "last_viewed_at"],
            lambda r: {"document_id": r["_doc"]["id"], "company_id": cid(r)})
        stored = [(c, doc) for c in companies for doc in c.stored]
        put(conn, StoredFile, [dict(_ci=c.index, _doc=doc) for c, doc in stored], [], lambda r: {
            "company_id": cid(r), "document_id": r["_doc"]["id"], "purpose": "document_pdf",
            "filename": f"{_file_prefix(r['_doc']['kind'])}-{r['_doc']['number']}.pdf",
            "mimetype": "application/pdf", "sha256": pdf_sha, "size": len(pdf_bytes), "data": pdf_bytes,
            "created_at": r["_doc"]["issued_at"]})
        sequences = [dict(company_id=c.company["id"], series=s, year=y, last_value=v)
                     for c in companies for (s, y), v in c.counts.pop("_sequences").items()]
        conn.execute(insert(NumberSequence.__table__), sequences)
        t = time.perf_counter()
        for sql in indexes:
            conn.exec_driver_sql(sql)
        log(f"  {len(indexes)} indexes rebuilt in {time.perf_counter() - t:.1f} s")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    log(f"  checkpoint {time.perf_counter() - started:.1f} s")


def build(path: Path, *, today: date, scale: float = 1.0, log=print) -> dict:
    """Create the database file; returns the ids and figures the bench needs (also in meta.json)."""
    started = time.perf_counter()
    gc.disable()  # millions of small dicts: the cyclic collector would rescan them again and again
    try:
        return _build(path, today=today, scale=scale, log=log, started=started)
    finally:
        gc.enable()


def _build(path: Path, *, today: date, scale: float, log, started: float,
           sizes: Sizes | None = None, companies_count: int = 2) -> dict:
    from domain.core import accounts

    sizes = sizes or Sizes().scaled(scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    _migrate(path)
    log(f"  schema migrated ({time.perf_counter() - started:.1f} s)")
    password_hash = accounts.hash_password(PASSWORD)
    companies = []
    for index in range(companies_count):
        t = time.perf_counter()
        companies.append(CompanyGenerator(index, sizes, today, password_hash).build())
        log(f"  company {index + 1} generated in memory ({time.perf_counter() - t:.1f} s)")
    write(path, companies, log=log)
    a = companies[0]
    rng = random.Random(SEED)
    issued = [d["id"] for d in a.docs if d["kind"] != "quote" and d["issued_at"] is not None]
    overdue_ids = [d["id"] for d in a.docs if d["_status"] == "overdue"]
    meta = {
        "version": DATASET_VERSION, "seed": SEED, "today": today.isoformat(), "scale": scale,
        "sizes": sizes.__dict__,
        "companies": [{"id": c.company["id"], "name": c.company["name"], "email": c.user["email"],
                       "counts": c.counts} for c in companies],
        "password": PASSWORD,
        "hero_client_id": a.hero_client["id"],
        "hero_invoice_id": a.hero_invoice["id"],
        "one_tap_invoice_ids": [d["id"] for d in a.one_tap],
        "load_invoice_ids": rng.sample(issued, 300) + rng.sample(overdue_ids, 100),
        "other_company_invoice_id": (next(d["id"] for d in companies[1].docs if d["kind"] == "invoice")
                                     if len(companies) > 1 else None),
        "build_s": round(time.perf_counter() - started, 1),
        "file_mb": round(sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())
                         / 1e6),
    }
    (path.with_suffix(".meta.json") if companies_count == 1 else path.parent / "meta.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False))
    return meta


# A typical artisan of the hosted service: 2,000 invoices over three years, 300 clients, a
# handful of reminders due today (the template the PostgreSQL bench clones 2,000 times).
TYPICAL = Sizes(clients=300, invoices=2000, payments=3600, events=5000, plan_due=5, hero_documents=40,
                hero_events=10, one_tap=3, history_days=3 * 365)


def build_typical(path: Path, *, today: date, log=print) -> dict:
    """One typical company alone in a SQLite file (meta beside it, `<name>.meta.json`)."""
    started = time.perf_counter()
    gc.disable()
    try:
        return _build(path, today=today, scale=1.0, log=log, started=started, sizes=TYPICAL, companies_count=1)
    finally:
        gc.enable()


def main() -> None:
    from domain.core.clock import today_in

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "data" / "bench.sqlite3"))
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the data for a quick try (e.g. 0.05)")
    args = parser.parse_args()
    meta = build(Path(args.out), today=today_in("Europe/Paris"), scale=args.scale)
    print(json.dumps({k: v for k, v in meta.items() if k != "load_invoice_ids"}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
