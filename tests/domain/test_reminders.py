"""Reminders against a real SMTP server (aiosmtpd on loopback) and real PDFs."""

import io
import threading
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import database
from domain.billing import documents as docs
from domain.billing import payments
from domain.billing import printing as document_files
from domain.billing.models import Document, RateEntry
from domain.billing.payments import PaymentInput
from domain.collections import autopilot, letters, messages, reminders
from domain.collections.models import Send, Task
from domain.collections.penalties import invoice_penalties
from domain.collections.sending import SendRequest, send_all
from domain.core.models import Event
from extensions import db
from tests.support.builders import make_client, make_company, make_invoice, make_user
from web.http import mailer
from web.urls import client_link

ISSUED_ON = date(2026, 9, 1)  # terms 30 days → due 1 Oct 2026


@pytest.fixture
def app_config(app_config, mail_config):
    return {**app_config, **mail_config}


@pytest.fixture
def ctx(app):
    with app.app_context():
        company = make_company()
        user = make_user(company)
        person = make_client(company, name="Hélène Dupont", email="helene@example.fr")
        pro = make_client(company, name="Bâtir SAS", kind="professionnel", email="compta@batir.example.fr",
                          siren="552100554")
        db.session.commit()
        yield company, user, person, pro


def issue_invoice(company, client, user, *, on=ISSUED_ON, cents=100000):
    from domain.billing.documents import LineInput

    doc = make_invoice(company, client, user, lines=[LineInput(label="Travaux", unit_price_cents=cents, vat_rate_bp=0)])
    document_files.issue_with_pdf(doc, user, today=on)
    db.session.commit()
    return doc


def attachments(day):
    return lambda doc, key: letters.attachments_for(doc, key, today=day)


def one_tap(doc, user, day, key="tap-1"):
    draft = reminders.compose_reminder(doc, day, link="")
    return send_all([SendRequest(document=doc, purpose="reminder", template_key=draft.template_key,
                                 recipients=draft.recipients, subject=draft.subject, body=draft.body,
                                 idempotency_key=key)], user, deliver=mailer().deliver,
                    attachments_for=attachments(day))


def test_one_tap_reminder_arrives_with_pdfs_and_moves_level(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    day = date(2026, 10, 12)
    outcome = one_tap(doc, user, day)[0]
    assert outcome.ok and not outcome.duplicate
    [msg] = smtp_server.sink.messages
    assert msg["To"] == "helene@example.fr"
    assert msg["Subject"] == f"Relance : facture {doc.number} arrivée à échéance"
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "1\u202f000,00\xa0€" in body and doc.number in body
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert set(files) == {f"Facture-{doc.number}-Dupont.pdf", "Reste-a-payer-2026-10-12-Dupont.pdf"}
    invoice_pdf = PdfReader(io.BytesIO(files[f"Facture-{doc.number}-Dupont.pdf"]))
    invoice_text = "".join(p.extract_text() for p in invoice_pdf.pages)
    assert doc.number in invoice_text
    statement_pdf = PdfReader(io.BytesIO(files["Reste-a-payer-2026-10-12-Dupont.pdf"]))
    statement_text = "".join(p.extract_text() for p in statement_pdf.pages)
    assert "Reste à payer" in statement_text and doc.number in statement_text
    doc = db.session.get(Document, doc.id)
    assert doc.reminder_level == 1 and doc.last_reminder_at is not None
    event = db.session.scalar(select(Event).where(Event.document_id == doc.id, Event.kind == "reminder_sent"))
    assert event.data["level"] == 1 and event.data["recipients"] == ["helene@example.fr"]
    assert event.data["template"] == "soft" and len(event.data["attachments"]) == 2


def test_double_tap_sends_once(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    first = one_tap(doc, user, date(2026, 10, 12), key="same-token")[0]
    second = one_tap(db.session.get(Document, doc.id), user, date(2026, 10, 12), key="same-token")
    assert first.ok and second[0].duplicate
    assert len(smtp_server.sink.messages) == 1
    assert db.session.get(Document, doc.id).reminder_level == 1


def test_server_down_leaves_level_and_retry_works(ctx, smtp_server, app):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    smtp_server.stop()
    outcome = one_tap(doc, user, date(2026, 10, 12), key="k1")[0]
    assert not outcome.ok and "injoignable" in outcome.message
    doc = db.session.get(Document, doc.id)
    assert doc.reminder_level == 0 and doc.last_reminder_at is None
    assert db.session.scalar(select(Send.status).where(Send.idempotency_key == "k1")) == "failed"
    assert db.session.scalar(select(Event.kind).where(Event.document_id == doc.id)
                             .order_by(Event.id.desc())) == "send_failed"
    smtp_server.start()
    assert one_tap(doc, user, date(2026, 10, 12), key="k2")[0].ok
    assert len(smtp_server.sink.messages) == 1
    assert db.session.get(Document, doc.id).reminder_level == 1


def test_refused_recipient_is_a_failure(ctx, smtp_server):
    company, user, person, _ = ctx
    smtp_server.sink.refuse.add("helene@example.fr")
    doc = issue_invoice(company, person, user)
    outcome = one_tap(doc, user, date(2026, 10, 12))[0]
    assert not outcome.ok and "helene@example.fr" in outcome.message
    assert db.session.get(Document, doc.id).reminder_level == 0


def test_formal_notice_sends_letter_and_starts_interest(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    for i, day in enumerate((date(2026, 10, 8), date(2026, 10, 16), date(2026, 11, 2))):
        assert one_tap(db.session.get(Document, doc.id), user, day, key=f"t{i}")[0].ok
    doc = db.session.get(Document, doc.id)
    assert doc.reminder_level == 3 and doc.formal_notice_at is not None
    last = smtp_server.sink.messages[-1]
    assert last["Subject"].startswith("Mise en demeure")
    names = [p.get_filename() for p in last.iter_attachments()]
    assert f"Mise-en-demeure-{doc.number}-2026-11-02.pdf" in names
    letter = letters.formal_notice_letter(doc)
    text = PdfReader(io.BytesIO(letter.data)).pages[0].extract_text()
    assert "Mise en demeure" in text and "1344-1" in text and "10/11/2026" in text  # deadline: 8 days
    with pytest.raises(reminders.ReminderError, match="recouvrement judiciaire"):
        reminders.compose_reminder(doc, date(2026, 11, 3), link="")


# --- penalties ----------------------------------------------------------------------


def test_b2b_penalties_by_hand(ctx):
    company, user, _, pro = ctx
    doc = issue_invoice(company, pro, user, on=date(2026, 3, 1))  # due 31 March 2026
    assert doc.due_date == date(2026, 3, 31)
    pen = invoice_penalties(doc, date(2026, 4, 30))
    # 1 000,00 € × 12,15 % (ECB 2,15 % on 1 Jan 2026 + 10 points) × 30 days / 365 = 9,986… → 9,99 €
    assert (pen.interest_cents, pen.indemnity_cents, pen.days_late, pen.rate_bp) == (999, 4000, 30, 1215)
    payments.record_payment(doc, user, PaymentInput(50000, date(2026, 4, 15), "virement"), today=date(2026, 4, 15))
    pen = invoice_penalties(doc, date(2026, 4, 30))
    # 1–15 April on 1 000 €, 16–30 April on 500 €: 1215 × 15 × (100 000 + 50 000) / 3 650 000 = 748,97 → 7,49 €
    assert pen.interest_cents == 749 and pen.indemnity_cents == 4000


def test_penalties_from_the_page_lists_equal_the_queried_ones(ctx):
    """The invoice page passes the payments and credit notes it shows (cancelled payment and
    draft credit note included): the same figure as when penalties read them alone."""
    from domain.billing import lists

    company, user, _, pro = ctx
    doc = issue_invoice(company, pro, user, on=date(2026, 3, 1))  # due 31 March 2026
    payments.record_payment(doc, user, PaymentInput(20000, date(2026, 4, 5), "virement"), today=date(2026, 4, 5))
    bounced = payments.record_payment(doc, user, PaymentInput(30000, date(2026, 4, 10), "cheque"),
                                      today=date(2026, 4, 10))
    payments.cancel_payment(bounced, user, reason="chèque sans provision")
    note = docs.create_credit_note(doc, user, today=date(2026, 4, 12), full=False,
                                   lines=[docs.LineInput(label="Geste", unit_price_cents=10000, vat_rate_bp=0)])
    document_files.issue_with_pdf(note, user, today=date(2026, 4, 12))
    docs.create_credit_note(doc, user, today=date(2026, 4, 20), full=False,  # a draft: no effect
                            lines=[docs.LineInput(label="Brouillon", unit_price_cents=5000, vat_rate_bp=0)])
    db.session.commit()
    day = date(2026, 4, 30)
    alone = invoice_penalties(doc, day)
    shown = invoice_penalties(doc, day, payments=lists.payments_of(doc), credit_notes=lists.credit_notes_of(doc))
    # 1–5 April on 1 000 €, 6–12 on 800 €, 13–30 on 700 € at 12,15 %:
    # 1215 × (5 × 100 000 + 7 × 80 000 + 18 × 70 000) / 3 650 000 = 772,27 → 7,72 €
    assert alone == shown and alone.interest_cents == 772


def test_b2c_interest_only_from_formal_notice(ctx):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user, on=date(2026, 3, 1))
    assert invoice_penalties(doc, date(2026, 4, 30)).total_cents == 0  # no notice, no 40 €
    doc.formal_notice_at = datetime(2026, 4, 10, 9, tzinfo=UTC)
    pen = invoice_penalties(doc, date(2026, 4, 30))
    # legal rate ("autres cas", creditor is a business) 2,62 % × 1 000 € × 20 days / 365 = 1,4356 → 1,44 €
    assert (pen.interest_cents, pen.indemnity_cents) == (144, 0)


def test_missing_half_year_rate_is_provisional_and_can_be_entered(ctx):
    company, user, _, pro = ctx
    doc = issue_invoice(company, pro, user, on=date(2026, 5, 21))  # due 20 June 2026
    pen = invoice_penalties(doc, date(2026, 7, 10))
    assert pen.provisional_since == date(2026, 7, 1)
    # 10 days in June at 12,15 %, 10 in July at the carried-forward 12,15 %: 20 × 1215 × 100 000 / 3 650 000
    assert pen.interest_cents == 666
    db.session.add(RateEntry(company_id=company.id, kind="ecb", start=date(2026, 7, 1), rate_bp=200, source="test"))
    db.session.flush()
    pen = invoice_penalties(doc, date(2026, 7, 10))
    assert pen.provisional_since is None
    # June: 10 × 1215, July: 10 × 1200 → 24 150 000 × 100 000… / 3 650 000 = 661,6 → 6,62 €
    assert pen.interest_cents == 662


# --- templates ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", ["{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                     "{{ 7*7 }}", "{{ config }}", "{% for x in client %}{{ x }}{% endfor %}",
                                     "{{ client.__init__.__globals__ }}", "{{ lipsum }}", "{% set x = 1 %}",
                                     "{{ cycler.__init__ }}", "{{ client|attr('__class__') }}"])
def test_sandbox_rejects(ctx, payload):
    company = ctx[0]
    with pytest.raises(messages.TemplateError):
        messages.save(company.id, "soft", "Relance", f"Bonjour {payload}")
    assert messages.get(company.id, "soft").customized is False


def test_custom_template_used(ctx, smtp_server):
    company, user, person, _ = ctx
    messages.save(company.id, "soft", "Petit rappel {{ numero }}", "Bonjour {{ client }}, il reste {{ montant_du }}.")
    doc = issue_invoice(company, person, user)
    one_tap(doc, user, date(2026, 10, 12))
    msg = smtp_server.sink.messages[0]
    assert msg["Subject"] == f"Petit rappel {doc.number}"
    assert (msg.get_body(preferencelist=("plain",)).get_content().strip()
            == "Bonjour Hélène Dupont, il reste 1\u202f000,00\xa0€.")


# --- the automatic plan --------------------------------------------------------------


def run(day, dry_run=False):
    with database.write_intent():
        return autopilot.run(deliver=mailer().deliver, attachments_for=attachments(day), link_for=client_link,
                             today=day, dry_run=dry_run)


def sent_templates(smtp_server):
    return [m["Subject"].split(" ")[0] for m in smtp_server.sink.messages]


def test_plan_on_chosen_dates(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)  # due 1 Oct
    assert run(date(2026, 9, 27)).lines == []  # J-4: nothing yet
    assert run(date(2026, 9, 28)).count("sent") == 1  # J-3: pre-due
    assert smtp_server.sink.messages[-1]["Subject"].startswith("Rappel")
    assert run(date(2026, 9, 28)).lines == []  # rerun the same day: nothing
    assert run(date(2026, 10, 8)).count("sent") == 1  # J+7 soft
    assert run(date(2026, 10, 16)).count("sent") == 1  # J+15 firm
    report = run(date(2026, 10, 31))  # J+30 formal notice needs confirmation by default
    assert report.count("to_confirm") == 1 and len(smtp_server.sink.messages) == 3
    assert db.session.scalar(select(Task.kind).where(Task.document_id == doc.id)) == "confirm_formal_notice"
    doc = db.session.get(Document, doc.id)
    assert doc.reminder_level == 2 and doc.reminder_step_reached == 3


def test_missed_week_sends_only_latest_step(ctx, smtp_server):
    company, user, person, _ = ctx
    issue_invoice(company, person, user)
    report = run(date(2026, 10, 20))  # pre-due, soft and firm all due: only firm goes
    assert report.count("sent") == 1
    assert smtp_server.sink.messages[0]["Subject"].startswith("Deuxième relance")
    assert run(date(2026, 10, 21)).lines == []


def test_paid_paused_credited_stop_the_plan(ctx, smtp_server):
    company, user, person, _ = ctx
    paid = issue_invoice(company, person, user)
    paused = issue_invoice(company, person, user)
    credited = issue_invoice(company, person, user)
    payments.record_payment(paid, user, PaymentInput(100000, date(2026, 10, 2), "virement"), today=date(2026, 10, 2))
    reminders.pause(paused, user, date(2026, 10, 10), reason="Promesse de paiement")
    note = docs.create_credit_note(credited, user, today=date(2026, 10, 3), full=True)
    document_files.issue_with_pdf(note, user, today=date(2026, 10, 3))
    db.session.commit()
    assert run(date(2026, 10, 8)).lines == []  # soft due, but paid / paused / credited
    report = run(date(2026, 10, 11))  # pause over: the soft reminder goes
    assert report.count("sent") == 1 and report.lines[0].number == paused.number


def test_manual_reminder_is_not_repeated_by_plan(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    one_tap(doc, user, date(2026, 10, 5))  # artisan sends R1 by hand on J+4
    report = run(date(2026, 10, 8))  # plan's J+7 soft step: already at R1
    assert report.count("skipped") == 1 and len(smtp_server.sink.messages) == 1


def test_dry_run_sends_and_changes_nothing(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    report = run(date(2026, 10, 8), dry_run=True)
    assert report.count("would_send") == 1 and smtp_server.sink.messages == []
    assert db.session.get(Document, doc.id).reminder_step_reached == -1
    planned = reminders.planned_today(company, date(2026, 10, 8))
    assert [(d.number, s.template) for d, s in planned] == [(doc.number, "soft")]


def test_failed_plan_step_is_retried_next_run(ctx, smtp_server):
    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    smtp_server.stop()
    assert run(date(2026, 10, 8)).count("failed") == 1
    assert db.session.get(Document, doc.id).reminder_step_reached == -1
    smtp_server.start()
    assert run(date(2026, 10, 9)).count("sent") == 1
    assert db.session.scalar(select(Send.attempts).where(Send.document_id == doc.id)) == 2


def test_client_without_email_gets_a_task(ctx, smtp_server):
    company, user, _, _ = ctx
    silent = make_client(company, name="Jeanne Martin", email="")
    doc = issue_invoice(company, silent, user)
    assert run(date(2026, 10, 8)).count("no_email") == 1
    assert "pas d'e-mail" in db.session.scalar(select(Task.note).where(Task.document_id == doc.id))


def test_two_concurrent_runs_send_each_step_once(ctx, smtp_server, app):
    company, user, person, pro = ctx
    ids = [issue_invoice(company, person if i % 2 else pro, user).id for i in range(12)]
    db.session.remove()
    barrier = threading.Barrier(2)
    errors = []

    def runner():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                run(date(2026, 10, 8))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=120) for t in threads]
    assert errors == []
    assert len(smtp_server.sink.messages) == 12
    assert sorted(m["Subject"].split()[-4] for m in smtp_server.sink.messages) == sorted(
        db.session.scalar(select(Document.number).where(Document.id == i)) for i in ids)
    assert db.session.scalar(select(func.count(Send.id)).where(Send.status == "sent")) == 12


def test_sharded_runs_share_the_day_and_send_each_step_once(ctx, smtp_server, app):
    """`reminders run --shard K/N`: N runs, each on its share of the invoices, together send
    what one run would, once; a rerun of a shard sends nothing; a bad K/N is refused."""
    company, user, person, pro = ctx
    ids = [issue_invoice(company, person if i % 2 else pro, user).id for i in range(7)]
    numbers = {db.session.get(Document, i).number for i in ids}
    db.session.remove()
    cli = app.test_cli_runner()
    outputs = [cli.invoke(args=["reminders", "run", "--today", "2026-10-08", "--shard", f"{k}/3"]) for k in range(3)]
    assert [r.exit_code for r in outputs] == [0, 0, 0]
    sent_per_shard = [r.output.count(" · envoyé") for r in outputs]
    assert sum(sent_per_shard) == 7 and all(sent_per_shard)  # ids 1..7 modulo 3: every shard has some
    assert sorted(m["Subject"].split()[-4] for m in smtp_server.sink.messages) == sorted(numbers)
    again = cli.invoke(args=["reminders", "run", "--today", "2026-10-08", "--shard", "0/3"])
    assert again.exit_code == 0 and "0 e-mail(s) envoyés" in again.output
    assert len(smtp_server.sink.messages) == 7
    for bad in ("3/3", "1", "a/b", "-1/2"):
        result = cli.invoke(args=["reminders", "run", "--shard", bad])
        assert result.exit_code == 2 and "--shard" in result.output, bad


def test_long_paragraph_template_still_delivers(ctx, smtp_server):
    company, user, person, _ = ctx
    messages.save(company.id, "soft", "Relance {{ numero }}",
                  "Bonjour {{ client }}, " + "nous vous rappelons la facture. " * 120)
    doc = issue_invoice(company, person, user)
    assert one_tap(doc, user, date(2026, 10, 12))[0].ok
    msg = smtp_server.sink.messages[0]
    for part in (msg.get_body(preferencelist=("plain",)), msg.get_body(preferencelist=("html",))):
        assert max(len(line) for line in part.as_string().splitlines()) <= 998


def test_attachment_failure_fails_the_send_cleanly(ctx, smtp_server):
    from output.pdf import PdfRenderError

    company, user, person, _ = ctx
    doc = issue_invoice(company, person, user)
    draft = reminders.compose_reminder(doc, date(2026, 10, 12), link="")

    def broken(d, key):
        raise PdfRenderError("Le relevé dépasse 60 pages.")

    [outcome] = send_all([SendRequest(document=doc, purpose="reminder", template_key="soft",
                                      recipients=draft.recipients, subject=draft.subject, body=draft.body,
                                      idempotency_key="att")], user,
                         deliver=mailer().deliver, attachments_for=broken)
    assert not outcome.ok and "pièces jointes" in outcome.message and "60 pages" in outcome.message
    assert smtp_server.sink.messages == []
    assert db.session.scalar(select(Send.status).where(Send.idempotency_key == "att")) == "failed"
    assert db.session.get(Document, doc.id).reminder_level == 0
