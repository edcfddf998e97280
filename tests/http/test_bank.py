"""The "Banque" page through the HTTP client: statements of every format imported once, credits
matched to invoices and recorded as payments through the same domain function as a typed one.

The sample files are in tests/data/bank (its README says what each exercises); the company is
the samples' Plomberie Martin (tests/builders.plomberie_martin).
"""

from __future__ import annotations

import html as html_lib
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from domain.banking.models import MATCHED, UNMATCHED, BankAccount, BankAllocation, BankLine, BankStatement
from domain.banking.statements import parse_statement
from domain.billing import status
from domain.billing.models import Document, Payment
from domain.billing.payment_reference import format_rf, rf_for_invoice
from domain.core.models import Company, Event
from extensions import db
from output.formatting import format_money
from tests.support.bank import POSTALE_IBAN, bank_sample, plomberie_martin
from tests.support.builders import make_company, make_user

NBSP = "\u00a0"
NNBSP = "\u202f"


def upload(client, name: str, data: bytes | None = None, *, token: str | None = None, filename: str | None = None):
    """POST a statement file as the page's form does."""
    body = {"file": (io.BytesIO(bank_sample(name) if data is None else data), filename or name)}
    if token is not None:
        body["token"] = token
    return client.post("/bank/import", data=body, content_type="multipart/form-data")


def plain(html: str) -> str:
    """The text of some HTML: tags dropped, entities decoded, spaces collapsed."""
    # Only ASCII spaces are collapsed: amounts keep Babel's no-break spaces.
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def text(response) -> str:
    return plain(response.get_data(as_text=True))


def flashed(client) -> str:
    return text(client.get("/bank/"))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def euros(text: str) -> str:
    """'1 250,00 €' as Babel writes it: narrow no-break space in thousands, no-break space before €."""
    return re.sub(r"(?<=\d) (?=\d{3})", NNBSP, text).replace(" €", f"{NBSP}€")


@pytest.fixture
def martin(app, company):
    """The samples' company with its six open invoices; {number: id}."""
    with app.app_context():
        invoices = plomberie_martin(db.session.get(Company, company))
        db.session.commit()
        return invoices


@pytest.fixture
def postale(app, company):
    """The company with the La Banque Postale account of the CCP samples (Lefèvre and Garcia owe)."""
    with app.app_context():
        invoices = plomberie_martin(db.session.get(Company, company), iban=POSTALE_IBAN, invoices=(
            (44, "Élodie Garcia", "particulier", 90000, date(2026, 2, 15)),
            (47, "Paul Lefèvre", "particulier", 48000, date(2026, 2, 15)),
            (48, "Jean Dupont", "particulier", 125000, date(2026, 2, 20)),
        ))
        db.session.commit()
        return invoices


def lines_of(app) -> list[BankLine]:
    with app.app_context():
        return list(db.session.scalars(select(BankLine).order_by(BankLine.booking_date, BankLine.id)))


# --- every format, through the upload form ---------------------------------------------------------

FORMATS = [
    ("ofx_sgml_latin1.ofx", "ofx", "OFX 102"),
    ("ofx_xml_v2.ofx", "ofx", "OFX 211"),
    ("camt053_batch_rf.xml", "camt053", "CAMT.053.001.02"),
    ("cfonb120.txt", "cfonb120", "CFONB 120"),
    ("credit_agricole.csv", "csv", "Crédit Agricole"),
    ("credit_agricole_names.csv", "csv", "Crédit Agricole"),
    ("societe_generale.csv", "csv", "Société Générale"),
    ("caisse_epargne.csv", "csv", "Caisse d'Épargne / Banque Populaire"),
    ("bnp_paribas.csv", "csv", "BNP Paribas"),
    ("credit_mutuel.csv", "csv", "Crédit Mutuel / CIC"),
    ("qonto.csv", "csv", "Qonto"),
]


@pytest.mark.parametrize(("name", "kind", "source"), FORMATS)
def test_each_format_is_imported_through_the_page(app, logged_in, martin, name, kind, source):
    expected = parse_statement(bank_sample(name))
    r = upload(logged_in, name, token=f"import-{name}")
    assert r.status_code == 303, text(r)
    n = len(expected.lines)
    assert f"{n} opérations nouvelles, 0 déjà importée" in flashed(logged_in)
    with app.app_context():
        (statement,) = db.session.scalars(select(BankStatement)).all()
        assert (statement.format, statement.source, statement.filename) == (kind, source, name)
        assert (statement.line_count, statement.new_count) == (n, n)
        assert statement.period_start == min(line.booking_date for line in expected.lines)
        stored = db.session.scalars(select(BankLine)).all()
        assert sorted(line.fingerprint for line in stored) == sorted(line.fingerprint for line in expected.lines)
        # Debits are kept, listed, never matched.
        assert {line.state for line in stored if line.amount_cents < 0} <= {"debit"}
        assert all(line.state in (UNMATCHED, MATCHED) for line in stored if line.amount_cents > 0)
    page = text(logged_in.get("/bank/?view=debits"))
    debits = [line for line in expected.lines if line.amount_cents < 0]
    assert f"Débits (ignorés) {len(debits)}" in page
    for line in debits:
        assert format_money(line.amount_cents) in page


# --- never twice -----------------------------------------------------------------------------------------


def test_the_same_statement_twice_adds_nothing(app, logged_in, martin):
    assert upload(logged_in, "camt053_batch_rf.xml", token="first").status_code == 303
    assert "4 opérations nouvelles, 0 déjà importée" in flashed(logged_in)
    assert logged_in.post("/bank/confirm-exact", data={"token": "exact"}).status_code == 303
    with app.app_context():
        assert count(Payment) == 3  # the three exact references, see the CAMT test below
    assert upload(logged_in, "camt053_batch_rf.xml", token="second").status_code == 303
    assert "0 opération nouvelle, 4 déjà importées." in flashed(logged_in)
    with app.app_context():
        assert count(BankLine) == 4 and count(Payment) == 3
        assert count(BankStatement) == 2  # both imports are in the history, the second added nothing
        second = db.session.scalars(select(BankStatement).order_by(BankStatement.id.desc())).first()
        assert (second.new_count, second.duplicate_count, second.exact_count) == (0, 4, 0)


def test_an_overlapping_statement_adds_only_what_is_new(app, logged_in, postale):
    assert upload(logged_in, "overlap_a.csv", token="a").status_code == 303  # 1–15 March
    assert "6 opérations nouvelles, 0 déjà importée" in flashed(logged_in)
    assert upload(logged_in, "overlap_b.csv", token="b").status_code == 303  # 10–31 March
    assert "2 opérations nouvelles, 4 déjà importées" in flashed(logged_in)
    # The first period downloaded again the next day: another date and balance above the lines.
    assert upload(logged_in, "overlap_a_again.csv", token="c").status_code == 303
    assert "0 opération nouvelle, 6 déjà importées" in flashed(logged_in)
    with app.app_context():
        assert count(BankLine) == 8
        # Two genuine identical transfers of one day are two operations, kept both.
        twelfth = db.session.scalars(select(BankLine).where(BankLine.booking_date == date(2026, 3, 12))).all()
        assert len(twelfth) == 2 and twelfth[0].fingerprint != twelfth[1].fingerprint


def test_a_double_tap_on_import_imports_once(app, logged_in, martin):
    assert upload(logged_in, "cfonb120.txt", token="same").status_code == 303
    again = upload(logged_in, "cfonb120.txt", token="same")
    assert again.status_code == 303
    with app.app_context():
        assert count(BankStatement) == 1 and count(BankLine) == 3


# --- refused files: nothing imported, the reason next to the file field --------------------------------


def _file_error(response, field: str = "file") -> str:
    """The errors shown under a field (the file field unless said), and only there."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<div class="field has-error[^"]*" id="field-{field}">(.*?)</div>', html, flags=re.S)
    assert match, f"the error is shown next to the {field} field"
    return " ".join(plain(e) for e in re.findall(r'<p class="error"[^>]*>(.*?)</p>', match.group(1), flags=re.S))


def test_a_malformed_line_refuses_the_whole_file_and_names_the_line(app, logged_in, postale):
    r = upload(logged_in, "malformed_amount.csv", token="bad")
    assert r.status_code == 200
    error = _file_error(r)
    assert "Ligne 14 : le montant « 12,5,0 » n'est pas lisible." in error
    assert "Rien n'a été importé" in error
    with app.app_context():
        # Seven good lines come before and after it: none of them was kept.
        assert count(BankLine) == 0 and count(BankStatement) == 0 and count(Payment) == 0
    # The same token can be used once the file is fixed (the failed attempt claimed nothing).
    fixed = bank_sample("malformed_amount.csv").replace(b"12,5,0", b"-12,50")
    assert upload(logged_in, "x", fixed, token="bad", filename="releve.csv").status_code == 303
    assert "8 opérations nouvelles" in flashed(logged_in)


def test_a_statement_of_another_iban_is_refused(app, logged_in, company):
    with app.app_context():
        db.session.get(Company, company).iban = "FR7610107001019876543210016"
        db.session.commit()
    r = upload(logged_in, "camt053_batch_rf.xml", token="other")
    assert r.status_code == 200
    assert _file_error(r) == (
        "Ce relevé est celui du compte FR76 3000 4000 0312 3456 7890 143, pas de celui de l'entreprise "
        "(FR76 1010 7001 0198 7654 3210 016). Vérifiez le compte choisi avant de télécharger le relevé. "
        "Rien n'a été importé.")
    # A national account number (CFONB, French OFX, CSV headers) is checked against the IBAN too.
    assert "ne correspond pas à l'IBAN de l'entreprise" in _file_error(upload(logged_in, "cfonb120.txt", token="o2"))
    with app.app_context():
        assert count(BankLine) == 0 and count(BankStatement) == 0


def test_another_companys_iban_is_refused_even_for_its_own_statement(app, logged_in, company, martin):
    """Two companies: B's statement (its IBAN in the file) cannot be imported by A."""
    with app.app_context():
        other = make_company("Entreprise B", siret="55210055400013", iban=POSTALE_IBAN)
        make_user(other, email="b@b.example.fr")
        db.session.commit()
    r = upload(logged_in, "banque_postale.csv", token="b-file")
    assert "ne correspond pas à l'IBAN de l'entreprise" in _file_error(r)


def test_not_a_statement_and_no_iban(app, logged_in, company):
    r = upload(logged_in, "x", b"%PDF-1.7 not a statement", token="pdf", filename="releve.pdf")
    assert "Un relevé PDF ne se lit pas automatiquement." in _file_error(r)
    r = logged_in.post("/bank/import", data={"token": "none"}, content_type="multipart/form-data")
    assert _file_error(r) == "Choisissez le fichier du relevé téléchargé depuis votre banque."
    with app.app_context():
        db.session.get(Company, company).iban = ""
        db.session.commit()
    assert 'id="bank-no-iban"' in logged_in.get("/bank/").text
    assert "Renseignez d'abord l'IBAN de l'entreprise" in _file_error(upload(logged_in, "cfonb120.txt", token="t"))


# --- matching -------------------------------------------------------------------------------------------


def test_camt_batch_credit_and_the_rf_reference_of_the_qr_code_are_matched_exactly(app, logged_in, martin):
    """The CAMT.053 books two transfers as one entry (two TxDtls): each is its own line, matched to
    its own invoice; the first transfer carries F-2026-0042's RF reference in the structured field
    (what the EPC QR code sends), the batch's second one F-2026-0050's."""
    assert upload(logged_in, "camt053_batch_rf.xml", token="camt").status_code == 303
    assert ("4 opérations nouvelles, 0 déjà importée · 3 virements à rapprocher, dont 3 avec la référence exacte "
            "d'une facture.") in flashed(logged_in)
    with app.app_context():
        lines = {line.bank_id: line for line in db.session.scalars(select(BankLine))}
        batch = [lines["2026031600002/TERRASSES-0041"], lines["2026031600002/#2"]]
        assert [line.amount_cents for line in batch] == [120000, 84000]
        assert [line.proposed for line in batch] == [[(martin["F-2026-0041"], 120000)],
                                                     [(martin["F-2026-0050"], 84000)]]
        rf_line = lines["2026031600001"]
        assert rf_line.creditor_reference == rf_for_invoice("F-2026-0042") == "RF69F20260042"
        assert (rf_line.state, rf_line.match_kind, rf_line.match_score) == (UNMATCHED, "exact", 100)
        assert rf_line.match_reason.startswith(f"référence {format_rf('RF69F20260042')} trouvée")
        assert count(Payment) == 0  # nothing is recorded before someone confirms it
    page = logged_in.get("/bank/").text
    assert "Référence exacte 100/100 référence RF69 F202 6004 2 trouvée" in _row(page, rf_line.id)
    assert "Confirmer les 3 rapprochements exacts" in plain(page)
    assert logged_in.post("/bank/confirm-exact", data={"token": "all-exact"}).status_code == 303
    assert "3 virements rapprochés de leur facture." in flashed(logged_in)
    with app.app_context():
        paid = {a.document.number: (a.amount_cents, a.payment.method, a.payment.paid_on)
                for a in db.session.scalars(select(BankAllocation))}
        assert paid == {"F-2026-0042": (125000, "virement", date(2026, 3, 16)),
                        "F-2026-0041": (120000, "virement", date(2026, 3, 16)),
                        "F-2026-0050": (84000, "virement", date(2026, 3, 16))}
        assert db.session.get(BankLine, rf_line.id).matched_how == "confirmed"
        dupont = db.session.get(Document, martin["F-2026-0042"])
        assert dupont.remaining_cents == 0 and dupont.paid_in_full_at is not None
        assert status.status_of(dupont, date(2026, 11, 27)) == status.PAID
        payment = db.session.scalar(select(Payment).where(Payment.document_id == dupont.id))
        assert payment.reference == "VIR SEPA RECU /DE M OU MME DUPONT JEAN · réf. banque 2026031600001"
        kinds = [e.kind for e in db.session.scalars(select(Event).where(Event.document_id == dupont.id)
                                                    .order_by(Event.id))]
        assert kinds[-2:] == ["payment_recorded", "paid_in_full"]
        assert db.session.get(BankLine, lines["2026031600003"].id).state == "debit"
    # Twice (a double tap with another token): nothing left to confirm, nothing recorded again.
    assert logged_in.post("/bank/confirm-exact", data={"token": "all-exact-2"}).status_code == 303
    with app.app_context():
        assert count(Payment) == 3


def test_rf_reference_in_an_ofx_memo_is_matched_exactly(app, logged_in, martin):
    assert upload(logged_in, "ofx_xml_v2.ofx", token="ofx").status_code == 303
    with app.app_context():
        matched = db.session.scalars(select(BankLine).where(BankLine.match_kind == "exact")).all()
        assert [line.match_reason.split(" trouvée")[0] for line in matched] == [
            f"référence {format_rf(rf_for_invoice('F-2026-0050'))}"]


def _names_lines(app, logged_in):
    assert upload(logged_in, "credit_agricole_names.csv", token="names").status_code == 303
    return {line.source_line: line for line in lines_of(app)}


def test_latin1_csv_with_accents_and_proposals_with_score_and_reason(app, logged_in, martin):
    lines = _names_lines(app, logged_in)
    assert "6 opérations nouvelles, 0 déjà importée · 4 virements à rapprocher" in flashed(logged_in)
    lefevre, dupont, terrasses, garcia = lines[12], lines[16], lines[20], lines[24]
    assert lefevre.label == "VIREMENT EN VOTRE FAVEUR VIREMENT DE M. LEFÈVRE PAUL SOLDE CHANTIER"
    assert garcia.label == "VIREMENT EN VOTRE FAVEUR VIR SEPA MME GARCIA ÉLODIE ACOMPTE SALLE D'EAU"
    assert {line.state for line in lines.values()} == {UNMATCHED, "debit"}  # nothing exact: all wait
    # "VIR SEPA M OU MME DUPONT" is proposed for the client Jean Dupont.
    assert dupont.proposed == [(martin["F-2026-0042"], 125000)]
    assert (dupont.match_score, dupont.match_reason) == (89, "montant identique, nom proche : Jean Dupont")
    page = logged_in.get("/bank/").text
    row = _row(page, dupont.id)
    assert "89/100 montant identique, nom proche : Jean Dupont" in row and "F-2026-0042" in row
    assert "Confirmer" in row
    # One transfer for two invoices of one client.
    assert terrasses.proposed == [(martin["F-2026-0041"], 120000), (martin["F-2026-0045"], 84000)]
    assert "le montant est la somme de 2 factures (F-2026-0041 et F-2026-0045)" in terrasses.match_reason
    # Less than the invoice: partial, said so.
    assert garcia.partial and garcia.proposed == [(martin["F-2026-0044"], 30000)]
    assert euros("partiel : reste 600,00 €") in _row(page, garcia.id)
    # More than the client owes: flagged, and no one-tap confirm.
    assert lefevre.over_balance_cents == 12000
    assert euros("Trop-perçu de 120,00 € : à vérifier") in _row(page, lefevre.id)
    assert "Confirmer" not in _row(page, lefevre.id) and "Vérifier" in _row(page, lefevre.id)


def _row(html: str, line_id: int) -> str:
    """The text of one line's row in the list."""
    start = html.index(f'id="bank-line-{line_id}"')
    end = html.find('<li class="bank-row', start)
    return plain(html[start:end if end > 0 else len(html)])


def test_one_tap_confirms_a_proposal_through_record_payment(app, logged_in, martin):
    lines = _names_lines(app, logged_in)
    dupont = lines[16]
    r = logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "tap-1"})
    assert r.status_code == 303 and r.headers["Location"] == "/bank/"
    assert euros("Paiement enregistré : 1 250,00 € sur F-2026-0042 (facture payée).") in flashed(logged_in)
    with app.app_context():
        invoice = db.session.get(Document, martin["F-2026-0042"])
        assert invoice.remaining_cents == 0 and status.status_of(invoice, date(2026, 11, 27)) == status.PAID
        (payment,) = db.session.scalars(select(Payment).where(Payment.document_id == invoice.id)).all()
        assert (payment.method, payment.paid_on, payment.amount_cents) == ("virement", date(2026, 3, 25), 125000)
        assert payment.reference.startswith("VIREMENT EN VOTRE FAVEUR VIR SEPA M OU MME DUPONT")
        line = db.session.get(BankLine, dupont.id)
        assert (line.state, line.matched_how) == (MATCHED, "confirmed")
    # The invoice page shows it as any payment, and the reminder plan is over.
    invoice_page = text(logged_in.get(f"/invoices/{martin['F-2026-0042']}"))
    assert "Payée" in invoice_page and "Terminé (facture réglée)" in invoice_page
    assert "Paiement enregistré" in invoice_page and "Virement" in invoice_page


def test_a_double_tap_on_confirm_records_one_payment(app, logged_in, martin):
    dupont = _names_lines(app, logged_in)[16]
    first = logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "tap"})
    second = logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "tap"})  # same form, twice
    assert first.status_code == second.status_code == 303
    # Another tab (another token): the line is no longer waiting; nothing more is recorded.
    third = logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "other-tab"})
    assert third.status_code == 200
    assert "Cette opération est déjà rapprochée : aucun paiement de plus n'a été enregistré." in text(third)
    with app.app_context():
        assert count(Payment, Payment.document_id == martin["F-2026-0042"]) == 1
        assert count(BankAllocation) == 1


def test_one_transfer_split_over_two_invoices_of_one_client(app, logged_in, martin):
    terrasses = _names_lines(app, logged_in)[20]
    assert logged_in.post(f"/bank/lines/{terrasses.id}/confirm", data={"token": "split"}).status_code == 303
    assert euros("2 paiements enregistrés : 1 200,00 € sur F-2026-0041 (facture payée) ; 840,00 € sur F-2026-0045 "
                 "(facture payée).") in flashed(logged_in)
    with app.app_context():
        for number in ("F-2026-0041", "F-2026-0045"):
            assert db.session.get(Document, martin[number]).remaining_cents == 0
        assert count(Payment) == 2


def test_split_by_hand_a_partial_payment_stays_partial(app, logged_in, martin):
    garcia = _names_lines(app, logged_in)[24]
    invoice_id = martin["F-2026-0044"]
    html = logged_in.get(f"/bank/lines/{garcia.id}").text
    assert "Élodie Garcia" in plain(html)
    assert f'name="amount-{invoice_id}"\n                 value="300,00"' in html  # the proposal, prefilled
    with app.app_context():
        client_id = db.session.get(Document, invoice_id).client_id
    r = logged_in.post(f"/bank/lines/{garcia.id}/split", data={"token": "g", "client_id": client_id,
                                                               f"amount-{invoice_id}": "300"})
    assert r.status_code == 303
    assert euros("Paiement enregistré : 300,00 € sur F-2026-0044 (reste 600,00 € à payer).") in flashed(logged_in)
    with app.app_context():
        invoice = db.session.get(Document, invoice_id)
        assert invoice.remaining_cents == 60000
        assert status.status_of(invoice, date(2026, 3, 16)) == status.PARTIAL  # before its due date


def test_a_split_cannot_take_another_clients_invoice_nor_more_than_the_transfer(app, logged_in, martin):
    garcia = _names_lines(app, logged_in)[24]
    with app.app_context():
        garcia_client = db.session.get(Document, martin["F-2026-0044"]).client_id
    # An invoice of another client typed into the form is not among this client's: ignored, so nothing.
    r = logged_in.post(f"/bank/lines/{garcia.id}/split", data={
        "token": "x1", "client_id": garcia_client, f"amount-{martin['F-2026-0042']}": "300"})
    assert r.status_code == 200 and "Indiquez au moins une facture et un montant." in text(r)
    r = logged_in.post(f"/bank/lines/{garcia.id}/split", data={
        "token": "x2", "client_id": garcia_client, f"amount-{martin['F-2026-0044']}": "400"})
    assert euros("Les montants affectés (400,00 €) dépassent le virement (300,00 €).") in text(r)
    r = logged_in.post(f"/bank/lines/{garcia.id}/split", data={
        "token": "x3", "client_id": garcia_client, f"amount-{martin['F-2026-0044']}": "3,0,0"})
    assert "Corrigez les montants signalés." in text(r)
    with app.app_context():
        assert count(Payment) == 0 and db.session.get(BankLine, garcia.id).state == UNMATCHED


def test_an_amount_above_the_balance_is_never_silently_accepted(app, logged_in, martin):
    lefevre = _names_lines(app, logged_in)[12]
    r = logged_in.post(f"/bank/lines/{lefevre.id}/confirm", data={"token": "over-1"})
    assert r.status_code == 200
    assert euros("Le virement dépasse de 120,00 € ce qui est affecté aux factures") in text(r)
    with app.app_context():
        assert count(Payment) == 0
    r = logged_in.post(f"/bank/lines/{lefevre.id}/confirm", data={"token": "over-2", "acknowledge_excess": "y"})
    assert r.status_code == 303
    with app.app_context():
        line = db.session.get(BankLine, lefevre.id)
        assert (line.state, line.excess_cents) == (MATCHED, 12000)
        assert db.session.get(Document, martin["F-2026-0047"]).remaining_cents == 0
        assert db.session.scalar(select(func.sum(Payment.amount_cents))) == 48000
    assert euros("Trop-perçu de 120,00 € : traité à part") in text(logged_in.get(f"/bank/lines/{lefevre.id}"))


def test_set_aside_bring_back_and_undo(app, logged_in, martin):
    lines = _names_lines(app, logged_in)
    garcia, dupont = lines[24], lines[16]
    assert logged_in.post(f"/bank/lines/{garcia.id}/ignore").status_code == 303
    assert logged_in.post(f"/bank/lines/{garcia.id}/ignore").status_code == 303  # twice: nothing more
    page = text(logged_in.get("/bank/?view=de-cote"))
    assert "VIR SEPA MME GARCIA ÉLODIE" in page and "Remettre à rapprocher" in page
    assert logged_in.post(f"/bank/lines/{garcia.id}/restore").status_code == 303
    # Undo a confirmed match: the payment is cancelled (it stays, with the reason), the line waits again.
    assert logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "u"}).status_code == 303
    assert logged_in.post(f"/bank/lines/{dupont.id}/undo").status_code == 303
    assert logged_in.post(f"/bank/lines/{dupont.id}/undo").status_code == 303
    with app.app_context():
        assert db.session.get(BankLine, garcia.id).state == UNMATCHED
        line = db.session.get(BankLine, dupont.id)
        assert line.state == UNMATCHED and line.matched_how == ""
        (payment,) = db.session.scalars(select(Payment)).all()
        assert payment.cancelled_at is not None and payment.cancel_reason.startswith("Rapprochement bancaire annulé")
        assert db.session.get(Document, martin["F-2026-0042"]).remaining_cents == 125000
    # And it can be confirmed again.
    assert logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "u2"}).status_code == 303
    with app.app_context():
        assert db.session.get(Document, martin["F-2026-0042"]).remaining_cents == 0


def test_a_proposal_for_an_invoice_paid_meanwhile_is_not_recorded_twice(app, logged_in, martin):
    dupont = _names_lines(app, logged_in)[16]
    invoice_id = martin["F-2026-0042"]
    r = logged_in.post(f"/invoices/{invoice_id}/payments", data={"token": "by-hand", "amount": "1250",
                                                                 "paid_on": "2026-03-25", "method": "cheque"})
    assert r.status_code == 303
    assert "Proposition plus à jour" in _row(logged_in.get("/bank/").text, dupont.id)
    r = logged_in.post(f"/bank/lines/{dupont.id}/confirm", data={"token": "late"})
    assert r.status_code == 200 and "Cette facture est déjà entièrement réglée." in text(r)
    with app.app_context():
        assert count(Payment) == 1 and db.session.get(BankLine, dupont.id).state == UNMATCHED
    # Refreshing the proposals finds nothing for it any more.
    assert logged_in.post("/bank/rematch").status_code == 303
    with app.app_context():
        line = db.session.get(BankLine, dupont.id)
        assert line.proposed != [(invoice_id, 125000)]


# --- an unknown CSV layout: its columns, remembered --------------------------------------------------------


def test_unknown_csv_asks_for_its_columns_once_per_account(app, logged_in, martin):
    r = upload(logged_in, "unknown_layout.csv", token="u1")
    assert r.status_code == 200
    page = text(r)
    assert "Les colonnes de ce fichier CSV ne sont pas reconnues" in page and "VIR DUPONT JEAN" in page
    file_data = re.search(r'name="file_data" type="hidden" value="([^"]+)"', r.text).group(1)
    with app.app_context():
        assert count(BankLine) == 0
    form = {"token": "m1", "file_data": file_data, "filename": "export.csv", "skip_rows": "1", "has_header": "1",
            "date_col": "0", "label_col": "1", "amount_col": "", "debit_col": "", "credit_col": "", "decimal": ","}
    r = logged_in.post("/bank/mapping", data=form)
    assert r.status_code == 200
    assert _file_error(r, "amount_col") == "Indiquez la colonne du montant, ou les deux colonnes débit et crédit."
    r = logged_in.post("/bank/mapping", data={**form, "date_col": ""})
    assert _file_error(r, "date_col") == "Choisissez la colonne de la date."
    r = logged_in.post("/bank/mapping", data={**form, "amount_col": "2"})
    assert r.status_code == 303
    assert "2 opérations nouvelles, 0 déjà importée" in flashed(logged_in)
    with app.app_context():
        account = db.session.scalars(select(BankAccount)).one()
        assert account.csv_mapping["amount_col"] == 2 and account.csv_mapping["skip_rows"] == 1
        assert sorted(line.amount_cents for line in db.session.scalars(select(BankLine))) == [-8640, 125000]
    # The next file of that bank goes straight in.
    later = bank_sample("unknown_layout.csv").replace(b"02/03/2026", b"09/03/2026")
    assert upload(logged_in, "x", later, token="u2", filename="export-2.csv").status_code == 303
    assert "1 opération nouvelle, 1 déjà importée" in flashed(logged_in)


def test_mapping_without_its_file_asks_for_the_file_again(app, logged_in, martin):
    r = logged_in.post("/bank/mapping", data={"token": "m", "file_data": "pas du base64 !", "date_col": "0"})
    assert r.status_code == 200
    assert "Le fichier n'a pas été transmis avec les colonnes : choisissez-le à nouveau." in _file_error(r)


# --- the dashboard and the pages -----------------------------------------------------------------------------


def test_dashboard_card_says_what_waits_and_when_the_last_import_was(app, logged_in, martin):
    before = text(logged_in.get("/"))
    assert "À rapprocher" in before and "aucun relevé importé" in before
    _names_lines(app, logged_in)
    board = logged_in.get("/").text
    card = board[board.index('id="card-bank"'):]
    card = card[:card.index("</a>")]
    assert 'href="/bank/"' in card
    card = plain(card)
    assert euros("4 190,00 €") in card  # 600 + 1 250 + 2 040 + 300
    assert "4 virements reçus sans facture associée" in card
    assert "dernier relevé importé le " in card and "(opérations jusqu'au 28/03/2026)" in card


def test_pages_of_a_line_in_every_state_and_of_an_import(app, logged_in, martin):
    lines = _names_lines(app, logged_in)
    logged_in.post(f"/bank/lines/{lines[16].id}/confirm", data={"token": "p"})
    logged_in.post(f"/bank/lines/{lines[24].id}/ignore")
    for line in lines.values():
        r = logged_in.get(f"/bank/lines/{line.id}")
        assert r.status_code == 200, line.state
    assert "Annuler le rapprochement" in text(logged_in.get(f"/bank/lines/{lines[16].id}"))
    with app.app_context():
        statement_id = db.session.scalars(select(BankStatement.id)).one()
    page = text(logged_in.get(f"/bank/statements/{statement_id}"))
    assert "credit_agricole_names.csv" in page and "Crédit Agricole" in page and "Importé par Jean Test" in page
    for view in ("a-rapprocher", "rapprochees", "de-cote", "debits"):
        fragment = logged_in.get(f"/bank/?view={view}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section id="bank-lines"')


def test_bank_is_in_the_navigation(app, logged_in):
    assert '<a href="/bank/"' in logged_in.get("/").text
