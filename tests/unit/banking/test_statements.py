"""Format detection, refusing files, the account check, and fingerprints across downloads."""

import pytest

from domain.banking.model import FORMAT_CAMT053, FORMAT_CFONB120, FORMAT_CSV, FORMAT_OFX
from domain.banking.statements import (
    ACCEPTED_FORMATS_FR,
    StatementError,
    check_account,
    detect_format,
    parse_statement,
)

COMPANY_IBAN = "FR76 3000 4000 0312 3456 7890 143"
OTHER_IBAN = "FR76 1010 7001 0198 7654 3210 016"

SAMPLES = [
    "ofx_sgml_latin1.ofx",
    "ofx_xml_v2.ofx",
    "camt053_batch_rf.xml",
    "cfonb120.txt",
    "credit_agricole.csv",
    "banque_postale.csv",
    "societe_generale.csv",
    "credit_mutuel.csv",
    "bnp_paribas.csv",
    "qonto.csv",
    "caisse_epargne.csv",
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ofx_sgml_latin1.ofx", FORMAT_OFX),
        ("ofx_xml_v2.ofx", FORMAT_OFX),
        ("camt053_batch_rf.xml", FORMAT_CAMT053),
        ("cfonb120.txt", FORMAT_CFONB120),
        ("credit_agricole.csv", FORMAT_CSV),
        ("qonto.csv", FORMAT_CSV),
    ],
)
def test_the_format_comes_from_the_content_not_the_name(bank_file, name, expected):
    assert detect_format(bank_file(name), "telechargement.txt") == expected
    assert detect_format(bank_file(name), "") == expected


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel"),
        (b"!Type:Bank\nD03/02/2026\nT-8.70\n^\n", "QIF"),
        (b"<html><body>Session expir\xc3\xa9e</body></html>", "XML ou HTML"),
        (b"\x00\x01\x02\x03binary", ""),
    ],
)
def test_an_unknown_format_lists_the_accepted_ones(data, hint):
    with pytest.raises(StatementError) as error:
        parse_statement(data, "releve")
    assert hint in str(error.value)
    assert f"Formats acceptés : {ACCEPTED_FORMATS_FR}." in str(error.value)
    for name in ("OFX", "CAMT.053", "CFONB 120", "CSV"):
        assert name in str(error.value)


def test_an_empty_file_is_refused():
    with pytest.raises(StatementError, match="vide"):
        parse_statement(b"  \r\n", "vide.csv")


def test_a_huge_file_is_refused_before_reading():
    with pytest.raises(StatementError, match="dépasse 20 Mo"):
        parse_statement(b"x" * (20 * 1024 * 1024 + 1))


# --------------------------------------------------------------------------------------------
# Account check
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["camt053_batch_rf.xml", "cfonb120.txt", "ofx_sgml_latin1.ofx", "ofx_xml_v2.ofx", "credit_agricole.csv",
     "societe_generale.csv", "caisse_epargne.csv"],
)  # fmt: skip
def test_the_companys_own_statement_passes(bank_file, name):
    assert check_account(parse_statement(bank_file(name)), COMPANY_IBAN) is True


def test_a_statement_of_another_iban_is_refused(bank_file):
    statement = parse_statement(bank_file("camt053_batch_rf.xml"))
    with pytest.raises(StatementError) as error:
        check_account(statement, OTHER_IBAN)
    assert str(error.value) == (
        "Ce relevé est celui du compte FR76 3000 4000 0312 3456 7890 143, pas de celui de l'entreprise "
        "(FR76 1010 7001 0198 7654 3210 016). Vérifiez le compte choisi avant de télécharger le relevé."
    )


@pytest.mark.parametrize("name", ["cfonb120.txt", "ofx_sgml_latin1.ofx", "credit_agricole.csv"])
def test_a_national_account_number_of_another_account_is_refused(bank_file, name):
    with pytest.raises(StatementError, match="ne correspond pas à l'IBAN de l'entreprise"):
        check_account(parse_statement(bank_file(name)), OTHER_IBAN)


def test_a_file_that_does_not_name_its_account_cannot_be_checked(bank_file):
    assert check_account(parse_statement(bank_file("credit_mutuel.csv")), OTHER_IBAN) is False
    assert check_account(parse_statement(bank_file("bnp_paribas.csv")), OTHER_IBAN) is False


def test_an_invalid_company_iban_is_reported(bank_file):
    with pytest.raises(StatementError, match="IBAN de l'entreprise n'est pas valide"):
        check_account(parse_statement(bank_file("camt053_batch_rf.xml")), "FR76 0000")


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_the_same_file_twice_gives_the_same_fingerprints(bank_file, name):
    first = [line.fingerprint for line in parse_statement(bank_file(name)).lines]
    again = [line.fingerprint for line in parse_statement(bank_file(name)).lines]
    assert first == again
    assert len(set(first)) == len(first)  # never two lines with one fingerprint


def test_the_same_period_downloaded_again_gives_the_same_fingerprints(bank_file):
    # Downloaded the next day: the bank prints another date and balance above the operations.
    assert bank_file("overlap_a_again.csv") != bank_file("overlap_a.csv")
    first = [line.fingerprint for line in parse_statement(bank_file("overlap_a.csv")).lines]
    again = [line.fingerprint for line in parse_statement(bank_file("overlap_a_again.csv")).lines]
    assert again == first


def test_overlapping_downloads_share_the_fingerprints_of_their_common_days(bank_file):
    early = parse_statement(bank_file("overlap_a.csv"))  # 1–15 March
    late = parse_statement(bank_file("overlap_b.csv"))  # 10–31 March
    early_prints = {line.fingerprint: line for line in early.lines}
    late_prints = {line.fingerprint: line for line in late.lines}

    common = set(early_prints) & set(late_prints)
    assert sorted((line.booking_date.day, line.amount_cents) for line in (early_prints[f] for f in common)) == [
        (10, -3999), (12, 5000), (12, 5000), (15, 5000),
    ]  # fmt: skip
    new = [late_prints[f] for f in late_prints if f not in early_prints]
    assert sorted((line.booking_date.day, line.amount_cents) for line in new) == [(21, 120000), (30, -6490)]


def test_two_identical_transfers_of_one_day_are_two_transactions(bank_file):
    lines = [line for line in parse_statement(bank_file("overlap_a.csv")).lines if line.booking_date.day == 12]
    assert len(lines) == 2
    assert (lines[0].label, lines[0].amount_cents) == (lines[1].label, lines[1].amount_cents)
    assert lines[0].fingerprint != lines[1].fingerprint


def test_a_later_download_with_one_more_identical_transfer_imports_only_that_one(bank_file):
    text = bank_file("overlap_b.csv").decode("cp1252")
    extra = '12/03/2026;"VIREMENT DE M. LEFEVRE PAUL ACOMPTE";+50,00\r\n'
    text = text.replace(extra, extra + extra, 1)
    earlier = {line.fingerprint for line in parse_statement(bank_file("overlap_b.csv")).lines}
    later = parse_statement(text.encode("cp1252")).lines
    new = [(line.booking_date.day, line.amount_cents) for line in later if line.fingerprint not in earlier]
    assert new == [(12, 5000)]


def test_running_balances_keep_fingerprints_stable_when_earlier_lines_are_missing(bank_file):
    full = parse_statement(bank_file("credit_mutuel.csv")).lines
    text = bank_file("credit_mutuel.csv").decode("utf-8-sig").splitlines()
    shorter = parse_statement(("\r\n".join([text[0], *text[3:]]) + "\r\n").encode()).lines
    assert [line.fingerprint for line in shorter] == [line.fingerprint for line in full[2:]]
    # The two identical 50,00 € transfers differ by the balance after each.
    assert full[1].fingerprint != full[2].fingerprint


def test_bank_ids_keep_fingerprints_stable_when_other_lines_are_missing(bank_file):
    full = parse_statement(bank_file("ofx_sgml_latin1.ofx")).lines
    text = bank_file("ofx_sgml_latin1.ofx").decode("cp1252")
    start = text.index("<STMTTRN>")
    end = text.index("</STMTTRN>") + len("</STMTTRN>\r\n")
    partial = parse_statement((text[:start] + text[end:]).encode("cp1252")).lines
    assert [line.fingerprint for line in partial] == [line.fingerprint for line in full[1:]]


def test_fingerprints_belong_to_their_account(bank_file):
    text = bank_file("banque_postale.csv").decode("cp1252")
    other = text.replace("0123456X020", "0987654X030")
    mine = {line.fingerprint for line in parse_statement(text.encode("cp1252")).lines}
    theirs = {line.fingerprint for line in parse_statement(other.encode("cp1252")).lines}
    assert not mine & theirs


def test_a_re_wrapped_label_keeps_its_fingerprint(bank_file):
    text = bank_file("credit_agricole.csv").decode("cp1252")
    rewrapped = text.replace("VIR SEPA M OU MME DUPONT\r\nFacture", "VIR SEPA M OU MME DUPONT Facture")
    before = parse_statement(bank_file("credit_agricole.csv")).lines
    after = parse_statement(rewrapped.encode("cp1252")).lines
    assert [line.fingerprint for line in after] == [line.fingerprint for line in before]
