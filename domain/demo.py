"""Demo data: a plumbing company with clients, a catalogue, quotes and invoices in every
status and payments, so a new user sees a living app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from domain.billing import catalog, payments, printing
from domain.billing import documents as docs
from domain.billing.documents import DraftInput, LineInput
from domain.billing.models import Document, Kind, Payment, PaymentMethod, VatRegime
from domain.billing.payments import PaymentInput
from domain.collections import reminders, sending
from domain.collections.models import Send
from domain.core import clients as client_rules
from domain.core import clock
from domain.core.accounts import hash_password
from domain.core.models import KIND_BUSINESS, KIND_INDIVIDUAL, Client, Company, Event, User
from domain.core.orm import utcnow
from extensions import db

DEMO_EMAIL = "artisan@demo.encaisse.fr"
DEMO_PASSWORD = "demo-encaisse-2026"

# SIRET/SIREN below pass the Luhn check but are made up for the demo.
DEMO_CLIENTS = [
    (KIND_INDIVIDUAL, "Hélène Dupont", "", "12 rue des Lilas", "69003", "Lyon",
     ("Hélène Dupont", "helene.dupont@example.fr", "06 12 34 56 78")),
    (KIND_INDIVIDUAL, "Marc Lefèvre", "", "4 impasse du Moulin", "69100", "Villeurbanne",
     ("Marc Lefèvre", "marc.lefevre@example.fr", "06 23 45 67 89")),
    (KIND_INDIVIDUAL, "Sophie et Karim Benali", "", "27 avenue Jean Jaurès", "69007", "Lyon",
     ("Sophie Benali", "sophie.benali@example.fr", "07 11 22 33 44")),
    (KIND_INDIVIDUAL, "Jeanne Martin", "", "3 place de l'Église", "69340", "Francheville",
     ("Jeanne Martin", "", "04 78 12 34 56")),
    (KIND_INDIVIDUAL, "Lucas Moreau", "", "85 cours Gambetta", "69003", "Lyon",
     ("Lucas Moreau", "lucas.moreau@example.fr", "")),
    (KIND_INDIVIDUAL, "Chantal Garnier", "", "9 chemin des Vignes", "69570", "Dardilly",
     ("Chantal Garnier", "chantal.garnier@example.fr", "06 98 76 54 32")),
    (KIND_BUSINESS, "SCI Les Terrasses", "736834730", "18 quai Perrache", "69002", "Lyon",
     ("Nadia Roux, gérante", "gestion@sci-terrasses.example.fr", "04 72 00 11 22")),
    (KIND_BUSINESS, "Boulangerie Au Bon Pain SARL", "552100554", "2 rue Mercière", "69002", "Lyon",
     ("Paul Girard", "contact@aubonpain.example.fr", "04 78 42 42 42")),
    (KIND_BUSINESS, "Régie Immobilière Bellecour", "443061841", "40 place Bellecour", "69002", "Lyon",
     ("Service travaux", "travaux@regie-bellecour.example.fr", "04 72 56 56 56")),
    (KIND_BUSINESS, "Bâtir Ensemble SAS", "517320487", "150 route de Vienne", "69008", "Lyon",
     ("Thomas Bernard", "t.bernard@batir-ensemble.example.fr", "06 55 44 33 22")),
    (KIND_BUSINESS, "Hôtel du Parc", "401233168", "1 boulevard des Belges", "69006", "Lyon",
     ("Accueil", "direction@hotelduparc.example.fr", "04 78 24 24 24")),
    (KIND_BUSINESS, "Syndic Rhône Copro", "564961563", "77 rue Garibaldi", "69006", "Lyon",
     ("Élodie Fabre", "e.fabre@rhonecopro.example.fr", "04 72 83 83 83")),
]


def load_demo() -> Company | None:
    """Create "Plomberie Démo" with its artisan login and a dozen clients; None if it exists."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is not None:
        return None
    company = Company(
        name="Plomberie Démo", legal_form="EI", siret="73282932000074", rcs_rm="RM 69 732 829 320",
        vat_number="FR44732829320", address_line1="5 rue de la Part-Dieu", postal_code="69003", city="Lyon",
        email="contact@plomberie-demo.example.fr", phone="04 78 00 00 00",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", payment_terms_days=30,
        insurer_name="Mutuelle des Artisans du Bâtiment", insurer_address="10 rue de l'Assurance, 75008 Paris",
        insurance_policy="DEC-2026-004512", insurance_coverage_area="France métropolitaine",
        # A confirmed company, so the demo sends (to the MAIL_SERVER of the machine it runs on).
        email_verified_at=utcnow(),
    )
    db.session.add(company)
    db.session.add(User(company=company, email=DEMO_EMAIL, name="Jean Plombier",
                        password_hash=hash_password(DEMO_PASSWORD), role="owner", email_verified_at=utcnow()))
    db.session.flush()
    for kind, name, siren, street, postal_code, city, (cname, cemail, cphone) in DEMO_CLIENTS:
        client_rules.create_client(
            company, kind=kind, name=name, siren=siren,
            vat_number=f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}" if siren else "",
            address_line1=street, postal_code=postal_code, city=city,
            payment_terms_days=None, contact={"name": cname, "email": cemail, "phone": cphone},
        )
    user = db.session.scalars(select(User).where(User.email == DEMO_EMAIL)).one()
    load_demo_documents(company, user, today=clock.today_in(company.timezone or "Europe/Paris"))
    return company


# --- documents: every status, so each list filter shows something ----------------------

# (label, unit, unit price HT in cents, VAT rate in bp, kind)
DEMO_CATALOG = [
    ("Main d'oeuvre plombier", "h", 5500, 1000, "prestation"),
    ("Déplacement", "forfait", 3500, 2000, "prestation"),
    ("Recherche de fuite", "forfait", 12000, 2000, "prestation"),
    ("Débouchage canalisation", "forfait", 9500, 2000, "prestation"),
    ("Chauffe-eau électrique 200 L", "u", 65000, 1000, "fourniture"),
    ("Mitigeur thermostatique douche", "u", 8900, 1000, "fourniture"),
    ("WC suspendu avec bâti-support", "u", 42000, 1000, "fourniture"),
    ("Tube multicouche Ø16", "ml", 450, 1000, "fourniture"),
    ("Receveur de douche extra-plat", "u", 31000, 1000, "fourniture"),
]


def _line(label, qty_milli, unit, price_cents, rate_bp=1000):
    return LineInput(label=label, quantity_milli=qty_milli, unit=unit, unit_price_cents=price_cents,
                     vat_rate_bp=rate_bp)


BATHROOM = [
    LineInput(label="Dépose", kind="section"),
    _line("Dépose baignoire et évacuation des gravats", 1000, "forfait", 38000),
    LineInput(label="Pose", kind="section"),
    _line("Receveur de douche extra-plat", 1000, "u", 31000),
    _line("Mitigeur thermostatique douche", 1000, "u", 8900),
    _line("WC suspendu avec bâti-support", 1000, "u", 42000),
    _line("Main d'oeuvre plombier", 16000, "h", 5500),
    _line("Déplacement", 1000, "forfait", 3500, 2000),
]
WATER_HEATER = [
    _line("Chauffe-eau électrique 200 L", 1000, "u", 65000),
    _line("Groupe de sécurité et raccordements", 1000, "forfait", 9000),
    _line("Main d'oeuvre plombier", 4500, "h", 5500),
    _line("Évacuation de l'ancien appareil", 1000, "forfait", 4000, 2000),
]
COLUMN = [
    _line("Remplacement colonne d'eau froide (5 niveaux)", 1000, "forfait", 480000, 2000),
    _line("Tube multicouche Ø16", 60000, "ml", 450, 2000),
    _line("Main d'oeuvre plombier", 32000, "h", 5500, 2000),
]
CALL_OUT = [_line("Déplacement", 1000, "forfait", 3500, 2000),
            _line("Débouchage canalisation", 1000, "forfait", 9500, 2000)]
LEAK = [_line("Déplacement", 1000, "forfait", 3500, 2000), _line("Recherche de fuite", 1000, "forfait", 12000, 2000),
        _line("Main d'oeuvre plombier", 1500, "h", 5500, 2000)]
TAP = [_line("Mitigeur thermostatique douche", 1000, "u", 8900), _line("Main d'oeuvre plombier", 1000, "h", 5500)]


@dataclass
class _Step:
    day: date
    seq: int
    run: tuple[Callable[[date, datetime], object], int]  # (what to do on that day, local hour)


def _instant(day: date, hour: int, tz: str) -> datetime:
    """9 h (or `hour`) that day in the company's time zone, as an aware UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=clock.zone(tz)).astimezone(UTC)


def _issue(doc: Document, user: User, day: date, when: datetime) -> None:
    # Invoices and credit notes are frozen as they are in use: a Factur-X (PDF/A-3 and its
    # XML) stored with the number. Quotes are rendered on first download.
    docs.issue(doc, user, today=day, now=when, after_number=None if doc.kind == Kind.QUOTE else printing.freeze_pdf)


def load_demo_documents(company: Company, user: User, *, today: date) -> None:
    """Quotes in every status, deposits, finals, partial and full payments, overdue invoices,
    credit notes and a cancelled payment, dated in the past and issued in date order
    (numbers stay chronological in each series)."""
    clients = {c.name: c for c in db.session.scalars(select(Client).where(Client.company_id == company.id))}
    for label, unit, price, rate, kind in DEMO_CATALOG:
        catalog.create_item(company, catalog.ItemInput(label=label, unit=unit, unit_price_cents=price,
                                                       vat_rate_bp=rate, kind=kind))
    story = _Story(company, user, clients, today=today, started=datetime.now(UTC) - timedelta(seconds=5))
    _quotes_and_their_invoices(story)
    _standalone_invoices(story)
    _collections(story)
    story.play()


class _Story:
    """The demo company's past as dated steps, played in date order once all are written.

    Each builder below returns what to do on the step's day, `run(day, when)`; `at` schedules it.
    Documents and payments are kept by a short key so that later steps can refer to them."""

    def __init__(self, company: Company, user: User, clients: dict[str, Client], *, today: date,
                 started: datetime) -> None:
        self.company = company
        self.user = user
        self.clients = clients
        self.today = today
        self.started = started  # events written after this instant are the demo's own
        self.tz = company.timezone
        self.docs: dict[str, Document] = {}
        self.payments: dict[str, Payment] = {}
        self.steps: list[_Step] = []
        self.plan_index = {step["template"]: i for i, step in enumerate(reminders.DEFAULT_STEPS)}

    def at(self, days_ago: int, run, hour: int = 9) -> None:
        """Do `run` that many days before today, at that local hour."""
        self.steps.append(_Step(self.today - timedelta(days=days_ago), len(self.steps), (run, hour)))

    def play(self) -> None:
        """Run every step in date order (same day: by hour, then in the order written)."""
        for step in sorted(self.steps, key=lambda s: (s.day, s.run[1], s.seq)):
            run, hour = step.run
            run(step.day, _instant(step.day, hour, self.tz))
        db.session.flush()

    def _backdate(self, doc: Document, when: datetime) -> None:
        """create_draft / create_deposit stamp "now": move those events back to the story's day."""
        doc.created_at = when
        db.session.flush()
        db.session.execute(update(Event).where(Event.document_id.in_([doc.id, doc.quote_id or -1,
                                                                       doc.credited_id or -1]),
                                               Event.at >= self.started).values(at=when)
                           .execution_options(synchronize_session=False))

    # --- documents ---

    def quote(self, key, client, lines, *, regime=VatRegime.NORMAL, subject="", site="", validity_days=30):
        def run(day, when):
            doc = docs.create_draft(self.company, self.user, Kind.QUOTE, DraftInput(
                client_id=self.clients[client].id, lines=lines, subject=subject, site_name=site, vat_regime=regime,
                validity_date=day + timedelta(days=validity_days)), today=day)
            self._backdate(doc, when)
            self.docs[key] = doc
        return run

    def invoice(self, key, client, lines, *, subject="", terms=None):
        def run(day, when):
            doc = docs.create_draft(self.company, self.user, Kind.INVOICE, DraftInput(
                client_id=self.clients[client].id, lines=lines, subject=subject, service_date=day,
                payment_terms_days=terms), today=day)
            self._backdate(doc, when)
            self.docs[key] = doc
        return run

    def issue(self, key):
        return lambda day, when: _issue(self.docs[key], self.user, day, when)

    def sent(self, key):
        return lambda day, when: docs.mark_sent(self.docs[key], self.user, now=when, channel="e-mail")

    def accept(self, key):
        return lambda day, when: docs.accept_quote(self.docs[key], self.user, now=when)

    def refuse(self, key, reason):
        return lambda day, when: docs.refuse_quote(self.docs[key], self.user, reason=reason, now=when)

    def deposit(self, key, quote_key, **how):
        def run(day, when):
            doc = docs.create_deposit(self.docs[quote_key], self.user, today=day, **how)
            self._backdate(doc, when)
            self.docs[key] = doc
        return run

    def final(self, key, quote_key):
        def run(day, when):
            doc = docs.create_final(self.docs[quote_key], self.user, today=day)
            self._backdate(doc, when)
            self.docs[key] = doc
        return run

    def credit(self, key, invoice_key, *, full, reason, lines=None):
        def run(day, when):
            doc = docs.create_credit_note(self.docs[invoice_key], self.user, today=day, full=full, reason=reason,
                                          lines=lines)
            self._backdate(doc, when)
            self.docs[key] = doc
        return run

    # --- payments ---

    def pay(self, key, cents, method, reference="", *, cancel=None):
        def run(day, when):
            doc = self.docs[key]
            amount = doc.remaining_cents if cents is None else cents
            payment = payments.record_payment(doc, self.user, PaymentInput(amount, day, method, reference),
                                              today=day, now=when)
            if cancel:
                self.payments[key] = payment
        return run

    def cancel_payment(self, key, reason):
        return lambda day, when: payments.cancel_payment(self.payments[key], self.user, reason=reason, now=when)

    # --- collections: demo sends are recorded, not e-mailed ---

    def reminded(self, key, template, *, automatic=True):
        def run(day, when):
            doc = self.docs[key]
            draft = reminders.compose(doc, template, day, link="", sender_name=self.user.name)
            send = Send(company_id=self.company.id, document_id=doc.id, purpose="reminder", channel="email",
                        template_key=template, level=reminders.TEMPLATE_LEVELS[template] or None,
                        plan_step=self.plan_index[template] if automatic else None, recipients=draft.recipients,
                        subject=draft.subject, body=draft.body, status="sending", attempts=1, automatic=automatic,
                        created_at=when, created_by_id=None if automatic else self.user.id)
            sending.record_delivered(send, doc, None if automatic else self.user, now=when)
            if automatic:
                doc.reminder_step_reached = max(doc.reminder_step_reached, self.plan_index[template])
        return run

    def to_confirm(self, key):
        def run(day, when):
            doc = self.docs[key]
            doc.reminder_step_reached = self.plan_index["formal_notice"]
            reminders.add_task(self.company.id, None, client_id=doc.client_id, due_on=day, document=doc,
                               kind="confirm_formal_notice",
                               note=f"Confirmer la mise en demeure de la facture {doc.number} (plan de relance)")
        return run

    def stamped(self, key, action):
        """Run `action`, then date the events it wrote to the story's day (they say "now")."""
        def run(day, when):
            action(day, when)
            db.session.flush()
            db.session.execute(update(Event).where(Event.document_id == self.docs[key].id, Event.at >= self.started)
                               .values(at=when).execution_options(synchronize_session=False))
        return run

    def task(self, key, days_ahead, note):
        return self.stamped(key, lambda day, when: reminders.add_task(
            self.company.id, self.user, client_id=self.docs[key].client_id,
            due_on=self.today + timedelta(days=days_ahead), note=note, document=self.docs[key]))

    def promise(self, key, days_ahead, reason):
        return self.stamped(key, lambda day, when: reminders.pause(
            self.docs[key], self.user, self.today + timedelta(days=days_ahead), reason=reason))


def _quotes_and_their_invoices(s: _Story) -> None:
    """Quotes through every status, with their deposits and final invoices."""
    # Quote fully invoiced and paid: deposit 30 %, final, both paid (Hélène Dupont).
    s.at(120, s.quote("q_bath", "Hélène Dupont", BATHROOM, subject="Rénovation de la salle de bain",
                      site="Appartement 3e étage"))
    s.at(120, s.issue("q_bath"), 10)
    s.at(119, s.sent("q_bath"))
    s.at(115, s.accept("q_bath"))
    s.at(114, s.deposit("d_bath", "q_bath", percent_bp=3000))
    s.at(114, s.issue("d_bath"), 10)
    s.at(110, s.pay("d_bath", None, PaymentMethod.TRANSFER, "VIR DUPONT ACOMPTE"))
    s.at(60, s.final("f_bath", "q_bath"))
    s.at(60, s.issue("f_bath"), 10)
    s.at(59, s.sent("f_bath"))
    s.at(40, s.pay("f_bath", None, PaymentMethod.CHEQUE, "Chèque n° 2081734"))

    # Business client: deposit paid, final overdue with a partial payment (SCI Les Terrasses).
    s.at(90, s.quote("q_column", "SCI Les Terrasses", COLUMN, subject="Remplacement de la colonne d'eau froide",
                     site="Résidence Les Terrasses, bât. B"))
    s.at(90, s.issue("q_column"), 11)
    s.at(90, s.sent("q_column"), 12)
    s.at(85, s.accept("q_column"))
    s.at(84, s.deposit("d_column", "q_column", percent_bp=4000))
    s.at(84, s.issue("d_column"), 10)
    s.at(78, s.pay("d_column", None, PaymentMethod.TRANSFER, "SCI TERRASSES"))
    s.at(40, s.final("f_column", "q_column"))
    s.at(40, s.issue("f_column"), 11)
    s.at(40, s.sent("f_column"), 12)
    s.at(20, s.pay("f_column", 150000, PaymentMethod.TRANSFER, "SCI TERRASSES PARTIEL"))

    # Accepted, deposit issued and overdue (Sophie et Karim Benali).
    s.at(45, s.quote("q_heater", "Sophie et Karim Benali", WATER_HEATER, subject="Remplacement du chauffe-eau"))
    s.at(45, s.issue("q_heater"), 10)
    s.at(40, s.accept("q_heater"))
    s.at(39, s.deposit("d_heater", "q_heater", percent_bp=5000))
    s.at(39, s.issue("d_heater"), 10)
    s.at(39, s.sent("d_heater"), 11)

    # Subcontracting, autoliquidation: final invoice sent, not yet due (Bâtir Ensemble SAS).
    s.at(35, s.quote("q_sub", "Bâtir Ensemble SAS", COLUMN[:1] + COLUMN[2:], regime=VatRegime.AUTOLIQUIDATION,
                     subject="Sous-traitance plomberie, chantier Gerland"))
    s.at(35, s.issue("q_sub"), 10)
    s.at(30, s.accept("q_sub"))
    s.at(15, s.final("f_sub", "q_sub"))
    s.at(15, s.issue("f_sub"), 10)
    s.at(15, s.sent("f_sub"), 11)

    # Pending, expired, refused, accepted without invoice yet, draft.
    s.at(70, s.quote("q_expired", "Jeanne Martin", TAP, subject="Mitigeur de douche"))
    s.at(70, s.issue("q_expired"), 11)
    s.at(70, s.sent("q_expired"), 12)
    s.at(30, s.quote("q_refused", "Hôtel du Parc", BATHROOM[1:], subject="Salle de bain chambre 12"))
    s.at(30, s.issue("q_refused"), 12)
    s.at(25, s.refuse("q_refused", "Budget reporté à l'an prochain"))
    s.at(20, s.quote("q_pending", "Marc Lefèvre", WATER_HEATER, subject="Chauffe-eau 200 L"))
    s.at(20, s.issue("q_pending"), 11)
    s.at(20, s.sent("q_pending"), 12)
    s.at(12, s.quote("q_accepted", "Régie Immobilière Bellecour", LEAK + TAP, subject="Fuite et robinetterie, lot 4"))
    s.at(12, s.issue("q_accepted"), 12)
    s.at(5, s.accept("q_accepted"))
    s.at(2, s.quote("q_draft", "Chantal Garnier", BATHROOM, subject="Salle d'eau à l'étage"))


def _standalone_invoices(s: _Story) -> None:
    """Call-outs invoiced without a quote: paid, late with a bounced cheque, partly paid, cancelled
    by a credit note, reduced by a commercial gesture, to send, sent, draft."""
    s.at(100, s.invoice("i_paid", "Lucas Moreau", CALL_OUT, subject="Débouchage évier"))
    s.at(100, s.issue("i_paid"), 15)
    s.at(100, s.pay("i_paid", None, PaymentMethod.CASH), 16)
    s.at(75, s.invoice("i_late", "Boulangerie Au Bon Pain SARL", LEAK, subject="Fuite sous le four"))
    s.at(75, s.issue("i_late"), 14)
    s.at(75, s.sent("i_late"), 15)
    s.at(40, s.pay("i_late", 24600, PaymentMethod.CHEQUE, "Chèque n° 5512093", cancel=True))
    s.at(35, s.cancel_payment("i_late", "Chèque impayé (retour banque)"))
    s.at(50, s.invoice("i_partial", "Syndic Rhône Copro", LEAK, subject="Recherche de fuite parking", terms=60))
    s.at(50, s.issue("i_partial"), 10)
    s.at(50, s.sent("i_partial"), 11)
    s.at(30, s.pay("i_partial", 10000, PaymentMethod.TRANSFER, "RHONE COPRO"))
    s.at(65, s.invoice("i_cancelled", "Hôtel du Parc", CALL_OUT, subject="Débouchage"))
    s.at(65, s.issue("i_cancelled"), 10)
    s.at(60, s.credit("c_cancelled", "i_cancelled", full=True,
                      reason="Facturé par erreur : intervention sous garantie"))
    s.at(60, s.issue("c_cancelled"), 11)
    # (Invoiced to a client with an e-mail: a consumer's e-invoice carries it, rule BR-FR-12;
    # Jeanne Martin, reached by phone only, keeps her quote.)
    s.at(55, s.invoice("i_gesture", "Chantal Garnier", TAP, subject="Remplacement du mitigeur"))
    s.at(55, s.issue("i_gesture"), 10)
    s.at(54, s.credit("c_gesture", "i_gesture", full=False, reason="Geste commercial",
                      lines=[_line("Geste commercial sur la main d'oeuvre", 1000, "forfait", 2000)]))
    s.at(54, s.issue("c_gesture"), 10)
    s.at(50, s.pay("i_gesture", None, PaymentMethod.CARD))
    s.at(8, s.invoice("i_to_send", "Hélène Dupont", TAP, subject="Changement de mitigeur cuisine"))
    s.at(8, s.issue("i_to_send"), 17)
    s.at(5, s.invoice("i_sent", "Marc Lefèvre", CALL_OUT, subject="Débouchage WC"))
    s.at(5, s.issue("i_sent"), 10)
    s.at(5, s.sent("i_sent"), 11)
    s.at(1, s.invoice("i_draft", "Lucas Moreau", LEAK, subject="Fuite salle de bain"))


def _collections(s: _Story) -> None:
    """Collections: reminders already sent (by the plan or by hand), a formal notice awaiting
    confirmation, a promise to pay, follow-up tasks."""
    s.at(38, s.reminded("i_late", "soft"), 8)
    s.at(30, s.reminded("i_late", "firm"), 8)
    s.at(15, s.stamped("i_late", s.to_confirm("i_late")), 8)
    s.at(3, s.task("i_late", 0, "Appeler M. Girard au sujet du chèque impayé"))
    s.at(13, s.reminded("f_column", "pre_due"), 8)
    s.at(3, s.reminded("f_column", "soft", automatic=False), 18)
    s.at(2, s.promise("f_column", 6, "Promesse au téléphone : virement du solde la semaine prochaine"), 10)
    s.at(12, s.reminded("d_heater", "pre_due"), 8)
    s.at(1, s.task("d_heater", 1, "Passer voir M. Benali sur le chantier"))
