"""ISO 11649 creditor references: generation, checking, and finding them in bank text."""

import pytest

from domain.banking.references import (
    find_invoice_numbers,
    find_references,
    find_rf_references,
    format_rf,
    invoice_number_key,
    is_valid_rf,
    rf_for_invoice,
    rf_prefixes,
)


def _check_digits_by_hand(body: str) -> str:
    """ISO 11649 §4: move "RF00" to the end, letters to numbers (A=10…Z=35), 98 − (n mod 97)."""
    digits = "".join(str(int(ch, 36)) for ch in body + "RF00")
    return f"{98 - int(digits) % 97:02d}"


def test_the_standards_own_example():
    # ISO 11649's example reference, RF18 5390 0754 7034.
    assert rf_for_invoice("5390 0754 7034") == "RF18539007547034"
    assert is_valid_rf("RF18 5390 0754 7034")
    assert format_rf("RF18539007547034") == "RF18 5390 0754 7034"


def test_an_invoice_number_gives_its_letters_and_digits_behind_the_check_digits():
    reference = rf_for_invoice("F-2026-0042")
    assert reference == f"RF{_check_digits_by_hand('F20260042')}F20260042"
    assert reference == "RF69F20260042"
    assert is_valid_rf(reference)
    assert format_rf(reference) == "RF69 F202 6004 2"


def test_a_reference_is_stable_and_case_or_accent_insensitive():
    assert rf_for_invoice("F-2026-0042") == rf_for_invoice("f 2026 0042") == rf_for_invoice("F/2026/0042")
    assert rf_for_invoice("É-2026-0001") == rf_for_invoice("E-2026-0001")


def test_references_of_encaisse_numbers_never_collide():
    # Numbers are written {series}-{year}-{value:04d} (domain.numbering): letters, a
    # four-digit year, the sequence. Dropping the hyphens keeps them apart.
    numbers = [
        f"{series}-{year}-{value:04d}"
        for series in ("F", "A", "AC", "FA", "D")
        for year in (2025, 2026, 2027)
        for value in [*range(1, 1500), *range(9990, 10020), 123456]
    ]
    references = {rf_for_invoice(n) for n in numbers}
    assert len(references) == len(numbers)


def test_longest_body_is_21_characters_and_longer_is_refused_not_cut():
    assert is_valid_rf(rf_for_invoice("A" * 21))
    with pytest.raises(ValueError, match="too long"):
        rf_for_invoice("A" * 22)
    with pytest.raises(ValueError):
        rf_for_invoice("--")


@pytest.mark.parametrize(
    "text",
    ["RF18539007547034", "rf18 5390 0754 7034", "RF18 5390 0754 70Y", "RF69F20260042"],
)
def test_valid_references(text):
    assert is_valid_rf(text)


@pytest.mark.parametrize(
    "text",
    ["RF17539007547034", "RF18 5390 0754 7035", "RF18", "XX18539007547034", "RF18" + "1" * 22, "RF18-5390", "", None,
     42],
)
def test_invalid_references(text):
    assert not is_valid_rf(text)


def test_format_refuses_an_invalid_reference():
    with pytest.raises(ValueError):
        format_rf("RF17539007547034")


@pytest.mark.parametrize(
    "text",
    [
        "VIR SEPA M OU MME DUPONT RF69 F202 6004 2",
        "vir sepa m ou mme dupont rf69 f202 6004 2 facture",
        "VIR SEPA RECU /RFB/RF69F20260042/ REF CLIENT",
        "REF RF69 F202\n6004 2 MERCI",  # cut across two lines of a label
        "RF 69 F202 6004 2",
    ],
)
def test_rf_references_are_found_however_the_bank_prints_them(text):
    assert find_rf_references(text) == ["RF69F20260042"]


def test_a_reference_with_a_wrong_check_digit_is_not_found():
    assert find_rf_references("VIR SEPA RF68 F202 6004 2") == []


def test_a_reference_followed_by_a_word_is_cut_at_the_word():
    assert find_rf_references("RF18 5390 0754 7034 FACTURE TOITURE") == ["RF18539007547034"]


def test_prefixes_let_a_known_reference_be_found_even_when_glued_to_the_next_word():
    groups = rf_prefixes("paiement RF69F20260042FACTURE")
    assert len(groups) == 1
    assert "RF69F20260042" in groups[0]
    assert groups[0][0] == "RF69F20260042FACTURE"  # longest first


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("FACT F-2026-0041 ET F 2026 0045, f20260047", ["F-2026-0041", "F-2026-0045", "F-2026-0047"]),
        ("REGLEMENT FA2026-118", ["FA-2026-0118"]),
        ("PAYE LE 2026 0315 CB 2026-1234", []),  # words, not series
        ("VIR 20260042", []),
    ],
)
def test_invoice_numbers_are_found_as_encaisse_writes_them(text, numbers):
    assert find_invoice_numbers(text) == numbers


def test_find_references_gives_rf_references_then_invoice_numbers():
    text = "VIR M DUPONT F-2026-0041 RF69 F202 6004 2"
    assert find_references(text) == ["RF69F20260042", "F-2026-0041"]


def test_number_keys_ignore_separators_case_and_leading_zeros():
    assert invoice_number_key("F-2026-0042") == invoice_number_key("f2026 042") == "F-2026-42"
    assert invoice_number_key("FA-118") == "FA118"
