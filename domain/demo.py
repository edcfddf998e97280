"""Demo data: a plumbing company with clients, a catalogue, quotes and invoices in every
status and payments, so a new user sees a living app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

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
    (KIND_INDIVIDUAL, "Hélène Dupont", "", "12 rue des Lilas", "69003", "Lyon", ("Hélène Dupont", "helene.dupont@example.fr", "06 12 34 56 78")),
    (KIND_INDIVIDUAL, "Marc Lefèvre", "", "4 impasse du Moulin", "69100", "Villeurbanne", ("Marc Lefèvre", "marc.lefevre@example.fr", "06 23 45 67 89")),
    (KIND_INDIVIDUAL, "Sophie et Karim Benali", "", "27 avenue Jean Jaurès", "69007", "Lyon", ("Sophie Benali", "sophie.benali@example.fr", "07 11 22 33 44")),
    (KIND_INDIVIDUAL, "Jeanne Martin", "", "3 place de l'Église", "69340", "Francheville", ("Jeanne Martin", "", "04 78 12 34 56")),
    (KIND_INDIVIDUAL, "Lucas Moreau", "", "85 cours Gambetta", "69003", "Lyon", ("Lucas Moreau", "lucas.moreau@example.fr", "")),
    (KIND_INDIVIDUAL, "Chantal Garnier", "", "9 chemin des Vignes", "69570", "Dardilly", ("Chantal Garnier", "chantal.garnier@example.fr", "06 98 76 54 32")),
    (KIND_BUSINESS, "SCI Les Terrasses", "736834730", "18 quai Perrache", "69002", "Lyon", ("Nadia Roux, gérante", "gestion@sci-terrasses.example.fr", "04 72 00 11 22")),
    (KIND_BUSINESS, "Boulangerie Au Bon Pain SARL", "552100554", "2 rue Mercière", "69002", "Lyon", ("Paul Girard", "contact@aubonpain.example.fr", "04 78 42 42 42")),
    (KIND_BUSINESS, "Régie Immobilière Bellecour", "443061841", "40 place Bellecour", "69002", "Lyon", ("Service travaux", "travaux@regie-bellecour.example.fr", "04 72 56 56 56")),
    (KIND_BUSINESS, "Bâtir Ensemble SAS", "517320487", "150 route de Vienne", "69008", "Lyon", ("Thomas Bernard", "t.bernard@batir-ensemble.example.fr", "06 55 44 33 22")),
    (KIND_BUSINESS, "Hôtel du Parc", "401233168", "1 boulevard des Belges", "69006", "Lyon", ("Accueil", "direction@hotelduparc.example.fr", "04 78 24 24 24")),
    (KIND_BUSINESS, "Syndic Rhône Copro", "564961563", "77 rue Garibaldi", "69006", "Lyon", ("Élodie Fabre", "e.fabre@rhonecopro.example.fr", "04 72 83 83 83")),
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
    return LineInput(label=label, quantity_milli=qty_milli, unit=unit, unit_price_cents=price_cents, vat_rate_bp=rate_bp)


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
CALL_OUT = [_line("Déplacement", 1000, "forfait", 3500, 2000), _line("Débouchage canalisation", 1000, "forfait", 9500, 2000)]
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
    return datetime.combine(day, time(hour), tzinfo=clock.zone(tz)).astimezone(timezone.utc)


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
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    tz = company.timezone
    docs_by_key: dict[str, Document] = {}
    payments_by_key: dict[str, Payment] = {}
    steps: list[_Step] = []

    def at(days_ago: int, run, hour: int = 9):
        steps.append(_Step(today - timedelta(days=days_ago), len(steps), (run, hour)))

    def backdate(doc: Document, when: datetime) -> None:
        # create_draft / create_deposit stamp "now": move those events back to the story's day.
        doc.created_at = when
        db.session.flush()
        db.session.execute(update(Event).where(Event.document_id.in_([doc.id, doc.quote_id or -1, doc.credited_id or -1]),
                                               Event.at >= started).values(at=when)
                           .execution_options(synchronize_session=False))

    def quote(key, client, lines, *, regime=VatRegime.NORMAL, subject="", site="", validity_days=30):
        def run(day, when):
            doc = docs.create_draft(company, user, Kind.QUOTE, DraftInput(
                client_id=clients[client].id, lines=lines, subject=subject, site_name=site, vat_regime=regime,
                validity_date=day + timedelta(days=validity_days)), today=day)
            backdate(doc, when)
            docs_by_key[key] = doc
        return run

    def invoice(key, client, lines, *, subject="", terms=None):
        def run(day, when):
            doc = docs.create_draft(company, user, Kind.INVOICE, DraftInput(
                client_id=clients[client].id, lines=lines, subject=subject, service_date=day,
                payment_terms_days=terms), today=day)
            backdate(doc, when)
            docs_by_key[key] = doc
        return run

    def issue(key):
        return lambda day, when: _issue(docs_by_key[key], user, day, when)

    def sent(key):
        return lambda day, when: docs.mark_sent(docs_by_key[key], user, now=when, channel="e-mail")

    def accept(key):
        return lambda day, when: docs.accept_quote(docs_by_key[key], user, now=when)

    def refuse(key, reason):
        return lambda day, when: docs.refuse_quote(docs_by_key[key], user, reason=reason, now=when)

    def deposit(key, quote_key, **how):
        def run(day, when):
            doc = docs.create_deposit(docs_by_key[quote_key], user, today=day, **how)
            backdate(doc, when)
            docs_by_key[key] = doc
        return run

    def final(key, quote_key):
        def run(day, when):
            doc = docs.create_final(docs_by_key[quote_key], user, today=day)
            backdate(doc, when)
            docs_by_key[key] = doc
        return run

    def pay(key, cents, method, reference="", *, cancel=None):
        def run(day, when):
            doc = docs_by_key[key]
            amount = doc.remaining_cents if cents is None else cents
            payment = payments.record_payment(doc, user, PaymentInput(amount, day, method, reference), today=day, now=when)
            if cancel:
                payments_by_key[key] = payment
        return run

    def cancel_payment(key, reason):
        return lambda day, when: payments.cancel_payment(payments_by_key[key], user, reason=reason, now=when)

    def credit(key, invoice_key, *, full, reason, lines=None):
        def run(day, when):
            doc = docs.create_credit_note(docs_by_key[invoice_key], user, today=day, full=full, reason=reason, lines=lines)
            backdate(doc, when)
            docs_by_key[key] = doc
        return run

    # Quote fully invoiced and paid: deposit 30 %, final, both paid (Hélène Dupont).
    at(120, quote("q_bath", "Hélène Dupont", BATHROOM, subject="Rénovation de la salle de bain", site="Appartement 3e étage"))
    at(120, issue("q_bath"), 10)
    at(119, sent("q_bath"))
    at(115, accept("q_bath"))
    at(114, deposit("d_bath", "q_bath", percent_bp=3000))
    at(114, issue("d_bath"), 10)
    at(110, pay("d_bath", None, PaymentMethod.TRANSFER, "VIR DUPONT ACOMPTE"))
    at(60, final("f_bath", "q_bath"))
    at(60, issue("f_bath"), 10)
    at(59, sent("f_bath"))
    at(40, pay("f_bath", None, PaymentMethod.CHEQUE, "Chèque n° 2081734"))

    # Business client: deposit paid, final overdue with a partial payment (SCI Les Terrasses).
    at(90, quote("q_column", "SCI Les Terrasses", COLUMN, subject="Remplacement de la colonne d'eau froide",
                 site="Résidence Les Terrasses, bât. B"))
    at(90, issue("q_column"), 11)
    at(90, sent("q_column"), 12)
    at(85, accept("q_column"))
    at(84, deposit("d_column", "q_column", percent_bp=4000))
    at(84, issue("d_column"), 10)
    at(78, pay("d_column", None, PaymentMethod.TRANSFER, "SCI TERRASSES"))
    at(40, final("f_column", "q_column"))
    at(40, issue("f_column"), 11)
    at(40, sent("f_column"), 12)
    at(20, pay("f_column", 150000, PaymentMethod.TRANSFER, "SCI TERRASSES PARTIEL"))

    # Accepted, deposit issued and overdue (Sophie et Karim Benali).
    at(45, quote("q_heater", "Sophie et Karim Benali", WATER_HEATER, subject="Remplacement du chauffe-eau"))
    at(45, issue("q_heater"), 10)
    at(40, accept("q_heater"))
    at(39, deposit("d_heater", "q_heater", percent_bp=5000))
    at(39, issue("d_heater"), 10)
    at(39, sent("d_heater"), 11)

    # Subcontracting, autoliquidation: final invoice sent, not yet due (Bâtir Ensemble SAS).
    at(35, quote("q_sub", "Bâtir Ensemble SAS", COLUMN[:1] + COLUMN[2:], regime=VatRegime.AUTOLIQUIDATION,
                 subject="Sous-traitance plomberie, chantier Gerland"))
    at(35, issue("q_sub"), 10)
    at(30, accept("q_sub"))
    at(15, final("f_sub", "q_sub"))
    at(15, issue("f_sub"), 10)
    at(15, sent("f_sub"), 11)

    # Pending, expired, refused, accepted without invoice yet, draft.
    at(70, quote("q_expired", "Jeanne Martin", TAP, subject="Mitigeur de douche"))
    at(70, issue("q_expired"), 11)
    at(70, sent("q_expired"), 12)
    at(30, quote("q_refused", "Hôtel du Parc", BATHROOM[1:], subject="Salle de bain chambre 12"))
    at(30, issue("q_refused"), 12)
    at(25, refuse("q_refused", "Budget reporté à l'an prochain"))
    at(20, quote("q_pending", "Marc Lefèvre", WATER_HEATER, subject="Chauffe-eau 200 L"))
    at(20, issue("q_pending"), 11)
    at(20, sent("q_pending"), 12)
    at(12, quote("q_accepted", "Régie Immobilière Bellecour", LEAK + TAP, subject="Fuite et robinetterie, lot 4"))
    at(12, issue("q_accepted"), 12)
    at(5, accept("q_accepted"))
    at(2, quote("q_draft", "Chantal Garnier", BATHROOM, subject="Salle d'eau à l'étage"))

    # Standalone invoices (call-outs).
    at(100, invoice("i_paid", "Lucas Moreau", CALL_OUT, subject="Débouchage évier"))
    at(100, issue("i_paid"), 15)
    at(100, pay("i_paid", None, PaymentMethod.CASH), 16)
    at(75, invoice("i_late", "Boulangerie Au Bon Pain SARL", LEAK, subject="Fuite sous le four"))
    at(75, issue("i_late"), 14)
    at(75, sent("i_late"), 15)
    at(40, pay("i_late", 24600, PaymentMethod.CHEQUE, "Chèque n° 5512093", cancel=True))
    at(35, cancel_payment("i_late", "Chèque impayé (retour banque)"))
    at(50, invoice("i_partial", "Syndic Rhône Copro", LEAK, subject="Recherche de fuite parking", terms=60))
    at(50, issue("i_partial"), 10)
    at(50, sent("i_partial"), 11)
    at(30, pay("i_partial", 10000, PaymentMethod.TRANSFER, "RHONE COPRO"))
    at(65, invoice("i_cancelled", "Hôtel du Parc", CALL_OUT, subject="Débouchage"))
    at(65, issue("i_cancelled"), 10)
    at(60, credit("c_cancelled", "i_cancelled", full=True, reason="Facturé par erreur : intervention sous garantie"))
    at(60, issue("c_cancelled"), 11)
    # (Invoiced to a client with an e-mail: a consumer's e-invoice carries it, rule BR-FR-12;
    # Jeanne Martin, reached by phone only, keeps her quote.)
    at(55, invoice("i_gesture", "Chantal Garnier", TAP, subject="Remplacement du mitigeur"))
    at(55, issue("i_gesture"), 10)
    at(54, credit("c_gesture", "i_gesture", full=False, reason="Geste commercial",
                  lines=[_line("Geste commercial sur la main d'oeuvre", 1000, "forfait", 2000)]))
    at(54, issue("c_gesture"), 10)
    at(50, pay("i_gesture", None, PaymentMethod.CARD))
    at(8, invoice("i_to_send", "Hélène Dupont", TAP, subject="Changement de mitigeur cuisine"))
    at(8, issue("i_to_send"), 17)
    at(5, invoice("i_sent", "Marc Lefèvre", CALL_OUT, subject="Débouchage WC"))
    at(5, issue("i_sent"), 10)
    at(5, sent("i_sent"), 11)
    at(1, invoice("i_draft", "Lucas Moreau", LEAK, subject="Fuite salle de bain"))

    # Collections: reminders already sent (by the plan or by hand), a formal notice awaiting
    # confirmation, a promise to pay, follow-up tasks. Demo sends are recorded, not e-mailed.
    plan_index = {step["template"]: i for i, step in enumerate(reminders.DEFAULT_STEPS)}

    def reminded(key, template, *, automatic=True):
        def run(day, when):
            doc = docs_by_key[key]
            draft = reminders.compose(doc, template, day, link="", sender_name=user.name)
            send = Send(company_id=company.id, document_id=doc.id, purpose="reminder", channel="email",
                        template_key=template, level=reminders.TEMPLATE_LEVELS[template] or None,
                        plan_step=plan_index[template] if automatic else None, recipients=draft.recipients,
                        subject=draft.subject, body=draft.body, status="sending", attempts=1, automatic=automatic,
                        created_at=when, created_by_id=None if automatic else user.id)
            sending.record_delivered(send, doc, None if automatic else user, now=when)
            if automatic:
                doc.reminder_step_reached = max(doc.reminder_step_reached, plan_index[template])
        return run

    def to_confirm(key):
        def run(day, when):
            doc = docs_by_key[key]
            doc.reminder_step_reached = plan_index["formal_notice"]
            reminders.add_task(company.id, None, client_id=doc.client_id, due_on=day, document=doc,
                               kind="confirm_formal_notice",
                               note=f"Confirmer la mise en demeure de la facture {doc.number} (plan de relance)")
        return run

    def stamped(key, action):
        """Run `action`, then date the events it wrote to the story's day (they say "now")."""
        def run(day, when):
            action(day, when)
            db.session.flush()
            db.session.execute(update(Event).where(Event.document_id == docs_by_key[key].id, Event.at >= started)
                               .values(at=when).execution_options(synchronize_session=False))
        return run

    def task(key, days_ahead, note):
        return stamped(key, lambda day, when: reminders.add_task(
            company.id, user, client_id=docs_by_key[key].client_id, due_on=today + timedelta(days=days_ahead),
            note=note, document=docs_by_key[key]))

    def promise(key, days_ahead, reason):
        return stamped(key, lambda day, when: reminders.pause(docs_by_key[key], user, today + timedelta(days=days_ahead),
                                                             reason=reason))

    at(38, reminded("i_late", "soft"), 8)
    at(30, reminded("i_late", "firm"), 8)
    at(15, stamped("i_late", to_confirm("i_late")), 8)
    at(3, task("i_late", 0, "Appeler M. Girard au sujet du chèque impayé"))
    at(13, reminded("f_column", "pre_due"), 8)
    at(3, reminded("f_column", "soft", automatic=False), 18)
    at(2, promise("f_column", 6, "Promesse au téléphone : virement du solde la semaine prochaine"), 10)
    at(12, reminded("d_heater", "pre_due"), 8)
    at(1, task("d_heater", 1, "Passer voir M. Benali sur le chantier"))

    for step in sorted(steps, key=lambda s: (s.day, s.run[1], s.seq)):
        run, hour = step.run
        run(step.day, _instant(step.day, hour, tz))
    db.session.flush()
