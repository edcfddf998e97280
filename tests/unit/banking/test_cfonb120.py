"""CFONB 120 statements: records 01/04/05/07, overpunched amounts, complements."""

from datetime import date

import pytest

from domain.banking.model import FORMAT_CFONB120
from domain.banking.statements import StatementError, parse_statement


def _records(data: bytes) -> list[str]:
    return data.decode("latin-1").split("\r\n")[:-1]


def _file(records: list[str]) -> bytes:
    return ("\r\n".join(records) + "\r\n").encode("latin-1")


def test_statement_with_complements(bank_file):
    statement = parse_statement(bank_file("cfonb120.txt"), "RELEVE.TXT")

    assert statement.format == FORMAT_CFONB120
    assert statement.account_number == "300040000312345678901"
    assert statement.currency == "EUR"
    assert (statement.opening_balance_cents, statement.opening_date) == (300000, date(2026, 3, 15))
    assert (statement.closing_balance_cents, statement.closing_date) == (500360, date(2026, 3, 15))

    rows = [
        (line.booking_date, line.value_date, line.amount_cents, line.label, line.remittance, line.creditor_reference,
         line.counterparty, line.end_to_end_id, line.bank_id, line.transaction_code, line.source_line)
        for line in statement.lines
    ]  # fmt: skip
    assert rows == [
        (date(2026, 3, 15), date(2026, 3, 15), 125000, "VIR SEPA RECU", "FACTURE F-2026-0042 RENOVATION SALLE D'EAU",
         None, "M OU MME DUPONT JEAN", "DUPONT-20260315-01", "0000101", "05", 2),
        (date(2026, 3, 15), date(2026, 3, 16), 84000, "VIR SEPA RECU", "", "RF47F20260050",
         "SARL BATI RENOV", None, "0000102", "05", 6),
        # "}" closing the amount is a minus zero; NBE names the payee of a debit; LIB adds label.
        (date(2026, 3, 15), date(2026, 3, 15), -8640, "PRLV SEPA EDF ECHEANCE ELECTRICITE MARS", "ECH032026",
         None, "EDF CLIENTS PARTICULIERS", None, "0000103", "06", 9),
    ]  # fmt: skip


def test_trimmed_lines_and_records_without_line_breaks_read_the_same(bank_file):
    expected = parse_statement(bank_file("cfonb120.txt")).lines
    trimmed = _file([r.rstrip() for r in _records(bank_file("cfonb120.txt"))])
    assert parse_statement(trimmed).lines == expected
    unbroken = "".join(_records(bank_file("cfonb120.txt"))).encode("latin-1")
    assert [line.fingerprint for line in parse_statement(unbroken).lines] == [line.fingerprint for line in expected]


def test_an_unreadable_amount_names_its_line(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    records[5] = records[5][:90] + "00000000084X0{" + records[5][104:]
    with pytest.raises(StatementError) as error:
        parse_statement(_file(records))
    assert str(error.value) == "Ligne 6 : le montant « 00000000084X0{ » n'est pas lisible."


def test_an_unreadable_date_names_its_line(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    records[1] = records[1][:34] + "320326" + records[1][40:]
    with pytest.raises(StatementError, match="^Ligne 2 : la date « 320326 » n'est pas lisible"):
        parse_statement(_file(records))


def test_balances_that_do_not_add_up_refuse_the_file(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    records[-1] = records[-1][:90] + "0000000050037{" + records[-1][104:]
    with pytest.raises(StatementError, match="^Ligne 12 : le solde final \\(5003,70\xa0€\\)"):
        parse_statement(_file(records))


def test_a_truncated_file_is_refused(bank_file):
    records = _records(bank_file("cfonb120.txt"))[:-1]
    with pytest.raises(StatementError, match="pas de solde final \\(07\\)"):
        parse_statement(_file(records))


def test_a_complement_without_its_transaction_is_refused(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    del records[1]
    with pytest.raises(StatementError, match="^Ligne 2 : un complément \\(05\\) arrive sans opération"):
        parse_statement(_file(records))


def test_an_unknown_record_code_is_refused(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    records.insert(3, "08" + records[2][2:])
    with pytest.raises(StatementError, match="^Ligne 4 : le code d'enregistrement « 08 » est inconnu"):
        parse_statement(_file(records))


def test_a_record_longer_than_120_characters_is_refused(bank_file):
    records = _records(bank_file("cfonb120.txt"))
    records[1] += "XYZ"
    message = "^Ligne 2 : un enregistrement CFONB fait 120 caractères, celui-ci en fait 123"
    with pytest.raises(StatementError, match=message):
        parse_statement(_file(records))
