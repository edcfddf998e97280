"""Matching statement credits with open invoices: exact, amount and name, suggestions."""

from dataclasses import dataclass
from datetime import date

import pytest

from domain.banking.matching import (
    EXACT,
    NONE,
    SUGGESTION,
    Match,
    match_lines,
    name_similarity,
)
from domain.banking.references import rf_for_invoice
from domain.banking.statements import parse_statement

EUR = "\u00a0€"


@dataclass(frozen=True)
class Line:
    """A credit line as the matcher reads it (a stored statement line would do the same)."""

    fingerprint: str
    amount_cents: int
    label: str
    booking_date: date = date(2026, 3, 20)
    remittance: str = ""
    creditor_reference: str | None = None
    counterparty: str = ""


def _matches(bank_file, name, items):
    statement = parse_statement(bank_file(name))
    found = match_lines(statement.lines, items)
    return [found[line.fingerprint] for line in statement.lines if line.fingerprint in found]


def _one(items, *lines):
    found = match_lines(lines, items)
    return [found[line.fingerprint] for line in lines]


# --------------------------------------------------------------------------------------------
# Exact
# --------------------------------------------------------------------------------------------


def test_structured_rf_reference_is_exact(bank_file, open_items):
    dupont, terrasses, renov = _matches(bank_file, "camt053_batch_rf.xml", open_items)
    assert dupont == Match(EXACT, ((1, 125000),), 100, "référence RF69 F202 6004 2 trouvée")
    # Batch credit: each transfer of the entry is matched on its own.
    assert terrasses == Match(EXACT, ((2, 120000),), 98, "numéro F-2026-0041 trouvé dans le libellé")
    assert renov == Match(EXACT, ((4, 84000),), 100, "référence RF47 F202 6005 0 trouvée")


def test_the_reference_decides_between_two_invoices_of_the_same_amount(bank_file, open_items):
    # F-2026-0045 (SCI Les Terrasses) and F-2026-0050 (SARL Bâti Rénov) both wait for 840,00 €.
    (renov,) = _matches(bank_file, "ofx_xml_v2.ofx", open_items)
    assert renov.kind == EXACT
    assert renov.allocations == ((4, 84000),)


def test_an_invoice_stored_without_its_reference_is_found_by_the_printed_one(open_items):
    line = Line("a", 48000, "VIR SEPA PAUL", remittance=rf_for_invoice("F-2026-0047").lower())
    (match,) = _one(open_items, line)
    assert (match.kind, match.allocations, match.score) == (EXACT, ((6, 48000),), 100)


def test_invoice_number_in_a_bank_mangled_label_is_exact(bank_file, open_items):
    matches = _matches(bank_file, "credit_agricole.csv", open_items)
    assert matches[0] == Match(EXACT, ((1, 125000),), 98, "numéro F-2026-0042 trouvé dans le libellé")


@pytest.mark.parametrize("label", ["VIR F 2026 0042", "VIR f20260042", "REGLT FACT F2026-0042 MERCI"])
def test_invoice_numbers_written_differently_are_exact(open_items, label):
    (match,) = _one(open_items, Line("a", 125000, label))
    assert (match.kind, match.allocations) == (EXACT, ((1, 125000),))


def test_one_transfer_naming_two_invoices_pays_both(bank_file, open_items):
    (match,) = _matches(bank_file, "caisse_epargne.csv", open_items)
    assert match == Match(
        EXACT, ((2, 120000), (3, 84000)), 98, "numéros F-2026-0041 et F-2026-0045 trouvés dans le libellé"
    )


def test_an_exact_partial_payment_stays_partial(bank_file, open_items):
    _lefevre, garcia = _matches(bank_file, "banque_postale.csv", open_items)
    assert garcia.kind == EXACT
    assert garcia.allocations == ((5, 65000),)
    assert garcia.partial and not garcia.over_balance
    assert garcia.reason_fr == (
        f"numéro F-2026-0044 trouvé dans le libellé ; paiement partiel, il restera 250,00{EUR} à payer")


def test_an_exact_payment_above_the_balance_is_flagged_not_absorbed(bank_file, make_item):
    items = [make_item(1, "F-2026-0042", 10, "Jean Dupont", 100000, "2026-02-20", "2026-03-22")]
    (match,) = _matches(bank_file, "qonto.csv", items)
    assert match.kind == EXACT
    assert match.allocations == ((1, 100000),)
    assert match.over_balance_cents == 25000 and match.over_balance
    assert match.reason_fr == (
        f"numéro F-2026-0042 trouvé dans le libellé ; 250,00{EUR} de plus que le reste dû : à vérifier")


def test_an_invoice_paid_twice_in_one_statement_is_flagged_the_second_time(open_items):
    first = Line("a", 125000, "VIR DUPONT F-2026-0042", booking_date=date(2026, 3, 10))
    second = Line("b", 125000, "VIR DUPONT F-2026-0042", booking_date=date(2026, 3, 11))
    # Given in reverse order: the earlier payment is the one that pays.
    later, earlier = _one(open_items, second, first)
    assert earlier.allocations == ((1, 125000),) and not earlier.over_balance
    assert later.kind == EXACT
    assert later.allocations == ()
    assert later.over_balance_cents == 125000
    assert "déjà réglée par une autre ligne de ce relevé" in later.reason_fr


# --------------------------------------------------------------------------------------------
# Amount and name
# --------------------------------------------------------------------------------------------


def test_same_amount_and_a_bank_mangled_name(bank_file, make_item):
    # "VIR SEPA M OU MME DUPONT": the number in the label (F-2026-0042) is not open, but
    # Jean Dupont owes exactly this amount on another invoice.
    items = [
        make_item(7, "F-2026-0039", 10, "Jean Dupont", 125000, "2026-02-01", "2026-03-03"),
        make_item(8, "F-2026-0040", 11, "Jeanne Durand", 125000, "2026-02-01", "2026-03-03"),
    ]
    matches = _matches(bank_file, "credit_agricole.csv", items)
    # The label has the surname only: 6 of the name's 10 letters, the least that counts.
    assert matches[0] == Match(SUGGESTION, ((7, 125000),), 89, "montant identique, nom proche : Jean Dupont")


def test_two_invoices_of_the_same_amount_propose_the_oldest(make_item):
    items = [
        make_item(8, "F-2026-0048", 10, "Jean Dupont", 30000, "2026-03-01", "2026-03-31"),
        make_item(7, "F-2026-0039", 10, "Jean Dupont", 30000, "2026-02-01", "2026-03-03"),
    ]
    (match,) = _one(items, Line("a", 30000, "VIR SEPA M OU MME DUPONT JEAN"))
    assert match.allocations == ((7, 30000),)
    assert match.score == 90
    assert match.reason_fr.endswith("2 factures de ce montant, la plus ancienne est proposée")


def test_a_payment_long_after_the_due_date_is_only_a_weaker_suggestion(make_item):
    items = [make_item(7, "F-2024-0039", 10, "Jean Dupont", 30000, "2024-02-01", "2024-03-03")]
    (match,) = _one(items, Line("a", 30000, "VIR SEPA M OU MME DUPONT JEAN", booking_date=date(2026, 3, 20)))
    assert match.kind == SUGGESTION and match.score < 80
    assert match.reason_fr == "montant identique, nom proche : Jean Dupont ; date inhabituelle pour cette facture"


def test_strong_matches_use_the_invoice_up(make_item):
    items = [make_item(7, "F-2026-0039", 10, "Jean Dupont", 30000, "2026-02-01", "2026-03-03")]
    first, second = _one(
        items,
        Line("a", 30000, "VIR SEPA M OU MME DUPONT JEAN", booking_date=date(2026, 3, 10)),
        Line("b", 30000, "VIR SEPA M OU MME DUPONT JEAN", booking_date=date(2026, 3, 11)),
    )
    assert first.allocations == ((7, 30000),)
    assert second.kind == NONE


# --------------------------------------------------------------------------------------------
# Suggestions: split, partial, over the balance, amount alone
# --------------------------------------------------------------------------------------------


def test_a_transfer_for_two_invoices_of_one_client(bank_file, open_items):
    matches = _matches(bank_file, "credit_agricole.csv", open_items)
    assert matches[1] == Match(
        SUGGESTION,
        ((2, 120000), (3, 84000)),
        85,
        "nom proche : SCI Les Terrasses ; le montant est la somme de 2 factures (F-2026-0041 et F-2026-0045)",
    )


def test_the_split_search_is_bounded_to_the_oldest_invoices(make_item):
    # Remaining amounts 2, 4, 8… euros: every sum of some of them is a different amount.
    items = [
        make_item(i, f"F-2026-{i:04d}", 20, "SCI Les Terrasses", 100 * 2**i, "2026-01-01", f"2026-02-{i:02d}")
        for i in range(1, 21)
    ]
    two_oldest = Line("a", 100 * (2**1 + 2**2), "VIREMENT DE SCI LES TERRASSES")
    with_the_13th = Line("b", 100 * (2**1 + 2**13), "VIREMENT DE SCI LES TERRASSES")
    inside, outside = _one(items, two_oldest, with_the_13th)
    assert inside.allocations == ((1, 200), (2, 400)) and not inside.partial
    assert "somme de 2 factures (F-2026-0001 et F-2026-0002)" in inside.reason_fr
    # The 13th oldest invoice is beyond the search: no sum is proposed, a partial payment is.
    assert outside.partial
    assert 13 not in {invoice for invoice, _amount in outside.allocations}


def test_a_partial_payment_by_name_is_suggested_as_partial(bank_file, open_items):
    matches = _matches(bank_file, "bnp_paribas.csv", open_items)
    garcia = matches[-1]
    assert garcia == Match(
        SUGGESTION,
        ((5, 65000),),
        60,
        f"paiement partiel probable de F-2026-0044 (nom proche : Élodie Garcia) ; il restera 250,00{EUR} à payer",
        partial=True,
    )


def test_more_than_the_client_owes_is_flagged(bank_file, make_item):
    items = [make_item(6, "F-2026-0047", 50, "Paul Lefèvre", 30000, "2026-02-15", "2026-03-17")]
    lefevre, _garcia = _matches(bank_file, "banque_postale.csv", items)
    assert lefevre.kind == SUGGESTION
    assert lefevre.allocations == ((6, 30000),)
    assert lefevre.over_balance_cents == 18000
    assert lefevre.reason_fr == (
        f"nom proche : Paul Lefèvre ; le virement dépasse de 180,00{EUR} tout ce que ce client doit "
        f"(300,00{EUR}) : à vérifier"
    )


def test_the_amount_alone_is_a_weak_suggestion(open_items):
    (match,) = _one(open_items, Line("a", 48000, "VIR SEPA REF 8527975563S"))
    assert match == Match(
        SUGGESTION, ((6, 48000),), 55, "montant identique à F-2026-0047 (Paul Lefèvre) ; nom du payeur non reconnu"
    )


def test_an_amount_shared_by_several_invoices_proposes_the_closest_due_date(open_items):
    (match,) = _one(open_items, Line("a", 84000, "VIR SEPA REF 8527975563S", booking_date=date(2026, 3, 30)))
    assert match.allocations == ((4, 84000),)  # due 31 March, F-2026-0045 is due 27 March
    assert match.score == 35


def test_an_amount_shared_by_many_invoices_asks_the_user(make_item):
    items = [make_item(i, f"F-2026-{i:04d}", i, f"Client {i}", 5000, "2026-03-01", "2026-03-31") for i in range(1, 6)]
    (match,) = _one(items, Line("a", 5000, "VIR SEPA REF 8527975563S"))
    assert match == Match(NONE, (), 0, "5 factures ouvertes ont ce montant : choisissez la facture")


def test_nothing_matches(bank_file, open_items):
    matches = _matches(bank_file, "societe_generale.csv", open_items)
    assert matches[-1] == Match(NONE, (), 0, "aucune facture ouverte ne correspond")


def test_a_reference_to_no_open_invoice_is_said(open_items):
    (match,) = _one(open_items, Line("a", 12345, "VIR SEPA F-2026-0099"))
    assert match == Match(NONE, (), 0, "la référence F-2026-0099 ne correspond à aucune facture ouverte (déjà payée ?)")


def test_debits_are_ignored_and_results_follow_the_lines(bank_file, open_items):
    statement = parse_statement(bank_file("ofx_sgml_latin1.ofx"))
    found = match_lines(statement.lines, open_items)
    assert list(found) == [line.fingerprint for line in statement.lines if line.amount_cents > 0]


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "line", "expected"),
    [
        ("Jean Dupont", "VIR SEPA M OU MME DUPONT JEAN", 1.0),
        ("M. et Mme Jean Dupont", "VIR SEPA DUPONT JEAN", 1.0),
        ("SCI Les Terrasses", "VIREMENT DE SCI LES TERRASSES REF 2026-03", 1.0),
        ("Paul Lefèvre", "PRLV SEPA LEFEVRE PAUL", 1.0),
        ("SARL Bâti Rénov", "VIR RECU DE: STE BATI RENOV MOTIF: FACT", 1.0),
        ("SCI Les Terrasses", "VIR SEPA SCI LES TERRAS", 0.9),  # cut by the bank
    ],
)
def test_names_that_are_the_same(client, line, expected):
    assert name_similarity(client, line) == pytest.approx(expected)


def test_a_typo_is_close():
    assert name_similarity("SCI Les Terrasses", "VIR SCI LES TERASSES") > 0.9
    assert name_similarity("Jean Dupond", "VIR M DUPONT JEAN") > 0.8


@pytest.mark.parametrize(
    ("client", "line"),
    [
        ("Dupont Plomberie", "VIR SEPA M OU MME DUPONT JEAN"),  # a namesake
        ("Jean Durand", "VIR SEPA M OU MME DUPONT JEAN"),
        ("SCI Les Terrasses", "VIR SEPA SCI LES JARDINS"),
        ("SARL", "VIR SEPA SARL DUPONT"),  # only noise words on one side
    ],
)
def test_names_that_differ(client, line):
    assert name_similarity(client, line) < 0.6
