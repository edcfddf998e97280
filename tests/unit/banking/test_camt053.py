"""CAMT.053 statements: balances, structured references, batch credits, versions."""

from datetime import date

import pytest
from lxml import etree

from domain.banking.model import FORMAT_CAMT053
from domain.banking.statements import StatementError, parse_statement


def test_the_sample_is_valid_against_the_iso_schema(bank_file, bank_data_dir):
    schema = etree.XMLSchema(etree.parse(str(bank_data_dir / "schemas" / "camt.053.001.02.xsd")))
    document = etree.fromstring(bank_file("camt053_batch_rf.xml"))
    assert schema.validate(document), schema.error_log


def test_statement_with_a_structured_reference_and_a_batch_credit(bank_file):
    statement = parse_statement(bank_file("camt053_batch_rf.xml"), "camt053.xml")

    assert statement.format == FORMAT_CAMT053
    assert statement.source == "CAMT.053.001.02"
    assert statement.iban == "FR7630004000031234567890143"
    assert statement.account_number is None
    assert (statement.opening_balance_cents, statement.opening_date) == (421035, date(2026, 3, 16))
    assert (statement.closing_balance_cents, statement.closing_date) == (741395, date(2026, 3, 16))

    rows = [
        (line.amount_cents, line.counterparty, line.creditor_reference, line.remittance, line.end_to_end_id,
         line.bank_id, line.source_line)
        for line in statement.lines
    ]
    assert rows == [
        # EPC structured reference <Strd><CdtrRefInf><Ref>, kept apart from the text.
        (125000, "M OU MME DUPONT JEAN", "RF69F20260042", "", None, "2026031600001", 33),
        # One entry, two transfers: one line each, with the entry's id and their own.
        (120000, "SCI LES TERRASSES", None, "FACTURE F-2026-0041 TOITURE", "TERRASSES-0041",
         "2026031600002/TERRASSES-0041", 75),
        (84000, "SARL BATI RENOV", "RF47F20260050", "", None, "2026031600002/#2", 81),
        (-8640, "", None, "", None, "2026031600003", 97),
    ]  # fmt: skip
    # The pending entry (PDNG) is not on the account yet.
    assert sum(line.amount_cents for line in statement.lines) == 741395 - 421035
    first = statement.lines[0]
    assert (first.booking_date, first.value_date, first.label, first.transaction_code) == (
        date(2026, 3, 16), date(2026, 3, 16), "VIR SEPA RECU /DE M OU MME DUPONT JEAN", "PMNT/RCDT/ESCT",
    )  # fmt: skip
    assert statement.lines[3].value_date == date(2026, 3, 15)
    assert len({line.fingerprint for line in statement.lines}) == 4


def test_a_batch_whose_details_do_not_add_up_stays_one_line(bank_file):
    data = bank_file("camt053_batch_rf.xml").replace(
        b'<TxAmt><Amt Ccy="EUR">840.00</Amt>', b'<TxAmt><Amt Ccy="EUR">830.00</Amt>'
    )
    statement = parse_statement(data)
    batch = statement.lines[1]
    assert batch.amount_cents == 204000
    assert batch.remittance == "FACTURE F-2026-0041 TOITURE"
    assert batch.creditor_reference == "RF47F20260050"
    assert batch.counterparty == "SCI LES TERRASSES / SARL BATI RENOV"
    assert batch.bank_id == "2026031600002"


def test_a_statement_that_does_not_add_up_is_refused(bank_file):
    data = bank_file("camt053_batch_rf.xml").replace(b">7413.95<", b">7413.96<")
    with pytest.raises(StatementError, match="ne s'équilibre pas.*7413,96"):
        parse_statement(data)


def test_an_unreadable_amount_gives_its_line(bank_file):
    data = bank_file("camt053_batch_rf.xml").replace(b">86.40<", b">86,4,0<")
    with pytest.raises(StatementError, match="^Ligne 98 : le montant « 86,4,0 » n'est pas lisible.$"):
        parse_statement(data)


def test_a_truncated_file_is_refused_with_a_line(bank_file):
    data = bank_file("camt053_batch_rf.xml")[:3000]
    with pytest.raises(StatementError, match="^Ligne [0-9]+ : le fichier XML est mal formé"):
        parse_statement(data)


def test_a_notification_is_not_a_statement(bank_file):
    data = bank_file("camt053_batch_rf.xml").replace(b"camt.053.001.02", b"camt.054.001.02")
    with pytest.raises(StatementError, match="avis d'opérations.*CAMT.053"):
        parse_statement(data)


def test_a_doctype_is_refused(bank_file):
    data = bank_file("camt053_batch_rf.xml").replace(
        b"<Document ", b'<!DOCTYPE Document [<!ENTITY x "y">]>\n<Document ', 1
    )
    with pytest.raises(StatementError, match="DOCTYPE"):
        parse_statement(data)


LATER_VERSION = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-17T06:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S1</Id>
   <Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Ntry>
    <Amt Ccy="EUR">60.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd>
    <Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><DtTm>2026-03-16T10:30:00+01:00</DtTm></BookgDt>
    <AcctSvcrRef>E1</AcctSvcrRef>
    <BkTxCd><Prtry><Cd>VIR</Cd></Prtry></BkTxCd>
    <NtryDtls>
     <TxDtls>
      <Refs><AcctSvcrRef>T1</AcctSvcrRef></Refs>
      <Amt Ccy="EUR">35.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>Mme Martin</Nm></Pty></Dbtr></RltdPties>
      <RmtInf><Ustrd>F-2026-0051</Ustrd></RmtInf>
     </TxDtls>
     <TxDtls>
      <Refs><AcctSvcrRef>T2</AcctSvcrRef></Refs>
      <Amt Ccy="EUR">25.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <RltdPties><Dbtr><Pty><Nm>M Bernard</Nm></Pty></Dbtr></RltdPties>
     </TxDtls>
    </NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"""


def test_later_versions_read_the_moved_elements():
    statement = parse_statement(LATER_VERSION.encode())
    assert statement.source == "CAMT.053.001.08"
    assert [(line.booking_date, line.amount_cents, line.counterparty, line.bank_id, line.transaction_code)
            for line in statement.lines] == [
        (date(2026, 3, 16), 3500, "Mme Martin", "E1/T1", "VIR"),
        (date(2026, 3, 16), 2500, "M Bernard", "E1/T2", "VIR"),
    ]
