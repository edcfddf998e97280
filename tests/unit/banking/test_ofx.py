"""OFX 1.x (SGML, Latin-1, unclosed data tags) and OFX 2.x (XML) statements."""

from datetime import date

import pytest

from domain.banking.model import FORMAT_OFX
from domain.banking.statements import StatementError, parse_statement


def test_sgml_statement_as_french_banks_export_it(bank_file):
    statement = parse_statement(bank_file("ofx_sgml_latin1.ofx"), "releve.ofx")

    assert statement.format == FORMAT_OFX
    assert statement.source == "OFX 102"
    assert statement.iban is None
    assert statement.account_number == "300040000312345678901"  # bank, branch, account
    assert statement.currency == "EUR"
    assert (statement.closing_balance_cents, statement.closing_date) == (819610, date(2026, 3, 31))
    assert statement.opening_balance_cents is None

    rows = [
        (line.booking_date, line.value_date, line.amount_cents, line.label, line.remittance, line.bank_id,
         line.transaction_code, line.source_line)
        for line in statement.lines
    ]
    assert rows == [
        (date(2026, 3, 2), None, 125000, "VIR SEPA M OU MME DUPONT JEAN",
         "Facture F-2026-0042 rénovation salle d'eau", "0300260302000123", "CREDIT", 40),
        # 00:00 in Paris is still the 5th: the bank's day is kept, not converted to UTC.
        (date(2026, 3, 5), None, -8640, "PRLV SEPA EDF", "Échéance électricité mars", "0300260305000124", "DEBIT", 49),
        (date(2026, 3, 16), date(2026, 3, 17), 204000, "VIR SEPA SCI LES TERRASSES",
         "Règlement toiture & zinguerie", "0300260316000125", "CREDIT", 57),
        (date(2026, 3, 31), None, -750, "FRAIS TENUE DE COMPTE", "", "0300260331000126", "FEE", 66),
    ]  # fmt: skip
    assert [line.amount_cents for line in statement.credits] == [125000, 204000]


def test_xml_statement(bank_file):
    statement = parse_statement(bank_file("ofx_xml_v2.ofx"), "export.xml")

    assert statement.source == "OFX 211"
    assert statement.account_number == "30004000031234567890143"  # with the RIB key: the whole BBAN
    assert statement.closing_balance_cents == 890620
    first, second = statement.lines
    assert (first.booking_date, first.amount_cents, first.label, first.remittance, first.bank_id) == (
        date(2026, 3, 18), 84000, "SARL BATI RENOV", "RF47 F202 6005 0", "2026031800017",
    )  # fmt: skip
    assert (second.amount_cents, second.transaction_code, second.source_line) == (-12990, "POS", 35)


def test_a_header_without_file_ids_and_a_file_without_sign_on_are_read(bank_file):
    text = bank_file("ofx_sgml_latin1.ofx").decode("cp1252")
    text = text.replace("OLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n", "")
    start, end = text.index("<SIGNONMSGSRSV1>"), text.index("</SIGNONMSGSRSV1>") + len("</SIGNONMSGSRSV1>")
    text = text[:start] + text[end:]
    statement = parse_statement(text.encode("cp1252"))
    assert [line.amount_cents for line in statement.lines] == [125000, -8640, 204000, -750]
    assert statement.lines[0].remittance == "Facture F-2026-0042 rénovation salle d'eau"


def test_lower_case_tags_are_accepted(bank_file):
    text = bank_file("ofx_xml_v2.ofx").decode().replace("<NAME>", "<name>").replace("</NAME>", "</name>")
    assert parse_statement(text.encode()).lines[0].label == "SARL BATI RENOV"


def test_an_unreadable_amount_names_its_transaction(bank_file):
    data = bank_file("ofx_sgml_latin1.ofx").replace(b"<TRNAMT>-86,40", b"<TRNAMT>-86,4,0")
    with pytest.raises(StatementError) as error:
        parse_statement(data)
    assert str(error.value) == "Ligne 49 : le montant « -86,4,0 » n'est pas lisible."
    assert error.value.line == 49


def test_an_unreadable_date_names_its_transaction(bank_file):
    data = bank_file("ofx_sgml_latin1.ofx").replace(b"<DTPOSTED>20260316", b"<DTPOSTED>20261316")
    with pytest.raises(StatementError, match="^Ligne 57 : la date de l'opération « 20261316 » n'est pas lisible.$"):
        parse_statement(data)


def test_an_empty_unclosed_element_is_closed_as_sgml_does(bank_file):
    data = bank_file("ofx_sgml_latin1.ofx").replace(b"<MEMO>\xc9ch\xe9ance \xe9lectricit\xe9 mars", b"<MEMO>")
    statement = parse_statement(data)
    assert [(line.amount_cents, line.remittance) for line in statement.lines][1] == (-8640, "")
    assert statement.closing_balance_cents == 819610


def test_an_unclosed_group_refuses_the_file(bank_file):
    data = bank_file("ofx_sgml_latin1.ofx").replace(b"</BANKTRANLIST>", b"", 1)
    with pytest.raises(StatementError, match="mal formé"):
        parse_statement(data)


def test_a_file_with_two_accounts_is_refused(bank_file):
    text = bank_file("ofx_xml_v2.ofx").decode()
    stmtrs = text[text.index("<STMTTRNRS>") : text.index("</STMTTRNRS>") + len("</STMTTRNRS>")]
    other = stmtrs.replace("<ACCTID>12345678901</ACCTID>", "<ACCTID>98765432100</ACCTID>")
    text = text.replace(stmtrs, stmtrs + other)
    with pytest.raises(StatementError, match="2 comptes"):
        parse_statement(text.encode())
