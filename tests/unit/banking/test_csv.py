"""CSV exports of French banks: layouts recognised by their titles, mappings for the others."""

import re
from datetime import date

import pytest

from domain.banking.bank_csv import LAYOUTS, CsvMapping, NeedsMapping
from domain.banking.model import FORMAT_CSV
from domain.banking.statements import StatementError, parse_statement
from domain.core.text import fold

NBSP = "\u00a0"


def _rows(statement):
    return [(line.source_line, line.booking_date, line.amount_cents, line.label) for line in statement.lines]


def test_credit_agricole_latin1_preamble_multiline_labels_debit_credit(bank_file):
    statement = parse_statement(bank_file("credit_agricole.csv"), "CA20260401.csv")

    assert (statement.format, statement.source) == (FORMAT_CSV, "Crédit Agricole")
    assert statement.account_number == "12345678901"
    assert (statement.closing_balance_cents, statement.closing_date) == (643310, date(2026, 3, 31))
    assert _rows(statement) == [
        (12, date(2026, 3, 31), -750, "FRAIS TENUE DE COMPTE MARS 2026"),
        (16, date(2026, 3, 25), 125000,
         "VIREMENT EN VOTRE FAVEUR VIR SEPA M OU MME DUPONT Facture F-2026-0042 rénovation"),
        # "2 040,00" with a no-break space between thousands.
        (21, date(2026, 3, 20), 204000,
         "VIREMENT EN VOTRE FAVEUR VIREMENT DE SCI LES TERRASSES REF TRAVAUX TOITURE ET ZINGUERIE"),
        (25, date(2026, 3, 12), -8640, "PRELEVEMENT EDF clients particuliers Échéance"),
        (28, date(2026, 3, 5), -12990, "PAIEMENT PAR CARTE X4912 POINT P LYON 04/03"),
    ]  # fmt: skip


def test_banque_postale_signed_amounts_and_balance_in_the_preamble(bank_file):
    statement = parse_statement(bank_file("banque_postale.csv"))

    assert statement.source == "La Banque Postale"
    assert statement.account_number == "0123456X020"
    assert (statement.closing_balance_cents, statement.closing_date) == (291630, date(2026, 3, 31))
    assert _rows(statement) == [
        (8, date(2026, 3, 28), 48000, "VIREMENT DE M. LEFÈVRE PAUL"),
        (9, date(2026, 3, 21), -3999, "PRELEVEMENT DE ORANGE SA"),
        (10, date(2026, 3, 14), 65000, "VIREMENT DE MME GARCIA ÉLODIE FACT F-2026-0044"),
        (11, date(2026, 3, 2), -17371, "ACHAT CB LEROY MERLIN 01.03.26"),
    ]


def test_societe_generale_detail_as_label_and_currency(bank_file):
    statement = parse_statement(bank_file("societe_generale.csv"))

    assert statement.source == "Société Générale"
    assert statement.account_number == "0000312345678901"
    assert statement.currency == "EUR"
    assert _rows(statement)[0] == (
        4, date(2026, 3, 30), 120000,
        "VIR RECU 8527975563S DE: SCI LES TERRASSES MOTIF: TOITURE REF: F-2026-0041",
    )  # fmt: skip
    assert [line.amount_cents for line in statement.lines] == [120000, -31248, -84200, 172550]


def test_credit_mutuel_utf8_bom_negative_debit_and_running_balance(bank_file):
    statement = parse_statement(bank_file("credit_mutuel.csv"))

    assert statement.source == "Crédit Mutuel / CIC"
    assert [(line.amount_cents, line.running_balance_cents, line.value_date) for line in statement.lines] == [
        (125000, 546035, date(2026, 3, 2)),
        (5000, 551035, date(2026, 3, 4)),
        (5000, 556035, date(2026, 3, 4)),
        (-8640, 547395, date(2026, 3, 5)),
        (204000, 751395, date(2026, 3, 17)),
    ]


def test_bnp_paribas_account_line_and_accents_in_utf8(bank_file):
    statement = parse_statement(bank_file("bnp_paribas.csv"))

    assert statement.source == "BNP Paribas"
    assert statement.account_number is None  # the account is masked (****8901)
    assert _rows(statement)[3] == (
        7, date(2026, 3, 3), 65000, "VIR SEPA RECU /DE MME GARCIA ÉLODIE /MOTIF SOLDE CHANTIER",
    )  # fmt: skip


def test_qonto_commas_decimal_point_ids_and_statuses(bank_file):
    statement = parse_statement(bank_file("qonto.csv"))

    assert statement.source == "Qonto"
    # The pending and the declined card payments are not on the account.
    assert [(line.source_line, line.booking_date, line.amount_cents, line.counterparty, line.remittance, line.bank_id)
            for line in statement.lines] == [
        (2, date(2026, 3, 20), 125000, "DUPONT, Jean", "F-2026-0042", "c2a4f1de-6b1e-4f3a-9d0e-1f5b2a7c9e01"),
        (5, date(2026, 3, 22), -123456, "URSSAF", "COTISATIONS T1", "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706"),
    ]  # fmt: skip


def test_caisse_epargne_two_digit_years_and_signed_debit_credit_columns(bank_file):
    statement = parse_statement(bank_file("caisse_epargne.csv"))

    assert statement.source == "Caisse d'Épargne / Banque Populaire"
    assert statement.account_number == "12345678901"
    first, second = statement.lines
    assert (first.booking_date, first.amount_cents, first.label) == (
        date(2026, 3, 27), 204000, "VIR SEPA SCI LES TERRASSES",
    )  # fmt: skip
    assert first.remittance == "FACTURES F-2026-0041 F-2026-0045 2608611K10732335"
    assert (second.amount_cents, second.value_date) == (-31248, date(2026, 3, 26))


def _sample_row(layout):
    """A data row for a layout's documented header: a credit of 12,34 on 05/03/2026."""
    delimiter = "," if layout.header.count(",") > layout.header.count(";") else ";"
    titles = layout.header.split(delimiter)
    folded = [" ".join(re.findall(r"[a-z0-9]+", fold(t))) for t in titles]
    cells = [""] * len(titles)
    iso = layout.date[0] in ("dateop", "settlement date utc", "operation date utc")
    for names, value in (
        (layout.date, "2026-03-05 10:00:00" if iso else "05/03/2026"),
        (layout.amount, "12.34" if layout.decimal == "." or delimiter == "," else "12,34"),
        (layout.credit, "12,34"),
        (layout.label[0], "VIREMENT TEST"),
        (layout.status, "settled"),
    ):
        for name in names:
            if name in folded:
                cells[folded.index(name)] = value
                break
    return delimiter.join(titles), delimiter.join(cells)


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.bank for layout in LAYOUTS])
def test_every_documented_header_is_recognised(layout):
    header, row = _sample_row(layout)
    statement = parse_statement(f"{header}\r\n{row}\r\n".encode("cp1252"))
    assert statement.source == layout.bank
    assert [(line.booking_date, line.amount_cents, line.label) for line in statement.lines] == [
        (date(2026, 3, 5), 1234, "VIREMENT TEST")
    ]


def test_an_unknown_layout_asks_for_a_mapping(bank_file):
    result = parse_statement(bank_file("unknown_layout.csv"), "export.csv")

    assert isinstance(result, NeedsMapping)
    assert result.columns == ("Opé le", "Texte", "Valeur", "Catégorie")
    assert (result.header_line, result.delimiter, result.encoding) == (2, ";", "cp1252")
    assert result.sample_rows[0] == ("02/03/2026", "VIR DUPONT JEAN", "1250,00", "Ventes")
    assert "« Opé le », « Texte », « Valeur », « Catégorie »" in result.message


def test_a_mapping_by_titles_reads_the_unknown_layout(bank_file):
    mapping = CsvMapping(date_col="Opé le", label_col="texte", amount_col="VALEUR", skip_rows=1)
    statement = parse_statement(bank_file("unknown_layout.csv"), mapping=mapping)

    assert statement.source == "CSV (colonnes choisies)"
    assert statement.account_number == "12345678901"
    assert _rows(statement) == [(3, date(2026, 3, 2), 125000, "VIR DUPONT JEAN"),
                                (4, date(2026, 3, 5), -8640, "PRLV EDF")]


def test_a_mapping_by_positions_for_a_file_without_titles():
    data = "20260302|VIR DUPONT|1,250.00|\n20260305|PRLV EDF||86.40\n".replace("|", "\t").encode()
    assert isinstance(parse_statement(data), NeedsMapping)
    mapping = CsvMapping(
        date_col=0, label_col=1, credit_col=2, debit_col=3, decimal=".", date_format="%Y%m%d", has_header=False
    )
    statement = parse_statement(data, mapping=mapping)
    assert [(line.booking_date, line.amount_cents) for line in statement.lines] == [
        (date(2026, 3, 2), 125000),
        (date(2026, 3, 5), -8640),
    ]


def test_a_mapping_naming_a_missing_column_lists_the_columns(bank_file):
    mapping = CsvMapping(date_col="Date", label_col="Texte", amount_col="Valeur", skip_rows=1)
    with pytest.raises(StatementError, match="La colonne « Date » \\(date\\) n'existe pas.*« Opé le », « Texte »"):
        parse_statement(bank_file("unknown_layout.csv"), mapping=mapping)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "colonne du montant"),
        ({"amount_col": 2, "debit_col": 3}, "pas les deux"),
        ({"amount_col": 2, "decimal": ";"}, "séparateur décimal"),
        ({"amount_col": "Montant", "has_header": False}, "par leur position"),
    ],
)
def test_an_incomplete_mapping_is_refused_in_french(kwargs, message):
    with pytest.raises(StatementError, match=message):
        CsvMapping(date_col=0, label_col=1, **kwargs)


def test_a_malformed_amount_refuses_the_file_with_its_line(bank_file):
    with pytest.raises(StatementError) as error:
        parse_statement(bank_file("malformed_amount.csv"))
    assert str(error.value) == "Ligne 14 : le montant « 12,5,0 » n'est pas lisible."
    assert error.value.line == 14


def _lbp(*rows: str) -> bytes:
    return "\r\n".join(["Date;Libellé;Montant(EUROS)", *rows, ""]).encode("cp1252")


@pytest.mark.parametrize("last", ["02/03/2026;C;3,00", ";Solde;6,00"])
def test_a_malformed_date_refuses_the_file_with_its_line(last):
    with pytest.raises(StatementError, match="^Ligne 3 : la date « 32/03/2026 » n'est pas lisible.$"):
        parse_statement(_lbp("01/03/2026;A;1,00", "32/03/2026;B;2,00", last))


def test_a_malformed_date_on_the_last_line_is_not_taken_for_a_summary():
    with pytest.raises(StatementError, match="^Ligne 3 : la date « 2026-13-01 » n'est pas lisible.$"):
        parse_statement(_lbp("01/03/2026;A;1,00", "2026-13-01;B;2,00"))


@pytest.mark.parametrize(
    "amount", ["1 234,56", f"1{NBSP}234,56", "1234,56", "+1234,56", "1.234,56", "1234.56", "1234,56 €"]
)
def test_french_amounts(amount):
    assert parse_statement(_lbp(f"01/03/2026;A;{amount}")).lines[0].amount_cents == 123456


@pytest.mark.parametrize(("written", "expected"), [("-12,50", -1250), ("-0,5", -50), ("0,01", 1)])
def test_signed_amounts(written, expected):
    assert parse_statement(_lbp(f"01/03/2026;A;{written}")).lines[0].amount_cents == expected


@pytest.mark.parametrize("written", ["05/03/2026", "5/3/2026", "05/03/26", "2026-03-05", "05.03.2026", "20260305"])
def test_dates(written):
    assert parse_statement(_lbp(f"{written};A;1,00")).lines[0].booking_date == date(2026, 3, 5)


def test_summary_lines_under_and_between_operations_are_skipped():
    statement = parse_statement(
        _lbp("02/03/2026;A;1,00", ";Solde intermédiaire au 02/03/2026;1,00", "03/03/2026;B;2,00", ";Total;3,00", "Fin")
    )
    assert [line.label for line in statement.lines] == ["A", "B"]


def test_an_undated_operation_between_others_is_an_error():
    with pytest.raises(StatementError, match="^Ligne 3 : la date de l'opération est vide.$"):
        parse_statement(_lbp("02/03/2026;A;1,00", ";B;2,00", "03/03/2026;C;3,00"))


def test_a_line_with_both_a_debit_and_a_credit_is_an_error():
    data = "Date;Libellé;Débit euros;Crédit euros;\r\n02/03/2026;A;1,00;2,00;\r\n".encode("cp1252")
    with pytest.raises(StatementError, match="^Ligne 2 : la ligne a à la fois un débit"):
        parse_statement(data)


def test_a_file_without_operations_is_refused():
    with pytest.raises(StatementError, match="aucune opération"):
        parse_statement(_lbp())


def test_an_unclosed_quote_is_reported_where_it_starts():
    data = _lbp("02/03/2026;A;1,00", '03/03/2026;"B;2,00', "04/03/2026;C;3,00")
    with pytest.raises(StatementError, match="^Ligne 3 : "):
        parse_statement(data)


def test_text_without_any_dated_line_is_not_a_statement():
    with pytest.raises(StatementError, match="^Ce fichier n'est pas un relevé bancaire lisible. Ce texte ne contient"):
        parse_statement("Bonjour,\nvoici le relevé demandé.\nCordialement\n".encode())
