"""ISO 11649 structured creditor references ("RF…") found in remittance text, and invoice numbers.

An invoice's own reference is made, stored and printed by billing
(`domain.billing.payment_reference`, which explains why RF, why unique and why stable); it is
re-exported here, next to what finds references in the text banks send back: groups of four,
lower case, glued to the next word, cut across lines, and invoice numbers as banks mangle them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iso11649

from domain.billing.payment_reference import MAX_RF_BODY, format_rf, is_valid_rf, rf_for_invoice
from domain.core.text import fold

__all__ = [
    "MAX_RF_BODY",
    "bank_upper",
    "find_invoice_numbers",
    "find_references",
    "find_rf_references",
    "format_rf",
    "invoice_number_key",
    "is_valid_rf",
    "rf_for_invoice",
    "rf_prefixes",
]

# ISO 11649: "RF", two check digits, then 1 to 21 alphanumeric characters (25 in all).
_MAX_RF_LENGTH = 4 + MAX_RF_BODY
_MIN_RF_LENGTH = 5

_ALNUM_RE = re.compile(r"[A-Z0-9]+")


def bank_upper(text: str) -> str:
    """Text upper-cased without accents, as banks print it ("é" → "E")."""
    # Bank text is mostly ASCII already; folding it character by character is the slow part.
    return text.upper() if text.isascii() else fold(text).upper()


def _body(number: str) -> str:
    return "".join(_ALNUM_RE.findall(bank_upper(number)))


# --------------------------------------------------------------------------------------------
# Finding references in remittance text
# --------------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return _ALNUM_RE.findall(bank_upper(text or ""))


def _rf_runs(text: str) -> Iterator[tuple[list[str], str, list[int]]]:
    """Each place a reference starts: its tokens, their concatenation (≤ 25) and token ends.

    Banks print the reference in groups of four, cut it across lines, lower-case it, or glue
    it to the next word; tokens are the runs of letters and digits, so any separator (space,
    slash, line break) between groups is ignored.
    """
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        glued = token.startswith("RF") and len(token) >= 4 and token[2:4].isdigit()
        spaced = token == "RF" and i + 1 < len(tokens) and tokens[i + 1][:2].isdigit()
        if not (glued or spaced):
            continue
        parts: list[str] = []
        ends: list[int] = []
        joined = ""
        for part in tokens[i:]:
            joined += part
            parts.append(part)
            ends.append(min(len(joined), _MAX_RF_LENGTH))
            if len(joined) >= _MAX_RF_LENGTH:
                break
        yield parts, joined[:_MAX_RF_LENGTH], ends


def rf_prefixes(text: str) -> list[tuple[str, ...]]:
    """For each place an RF reference may start, its prefixes from 25 to 5 characters.

    For looking up known references: the longest prefix that equals a stored reference is
    that reference, whatever the bank glued after it. Nothing is checked, so it is cheap.
    """
    return [
        tuple(joined[:length] for length in range(len(joined), _MIN_RF_LENGTH - 1, -1))
        for _parts, joined, _ends in _rf_runs(text)
    ]


def find_rf_references(text: str) -> list[str]:
    """Valid RF references in free text, compact, in order (spaces, lower case tolerated)."""
    found: list[str] = []
    for parts, joined, ends in _rf_runs(text):
        valid = [end for end in ends if end >= _MIN_RF_LENGTH and iso11649.is_valid(joined[:end])]
        if not valid:
            continue
        # Groups of four ("RF18 5390 0754 7034") are the printed form: prefer a candidate
        # that ends where such a grouping ends, so a following word of four letters that
        # happens to keep the check digits right (1 chance in 97) is not taken in.
        grouped = [end for end in valid if _is_print_grouping(parts, ends, end)]
        best = max(grouped or valid)
        if joined[:best] not in found:
            found.append(joined[:best])
    return found


def _is_print_grouping(parts: list[str], ends: list[int], end: int) -> bool:
    count = ends.index(end) + 1
    used = parts[:count]
    if count == 1:
        return True  # written without spaces
    if used[0] == "RF":
        used = [used[0] + used[1], *used[2:]]
    return all(len(p) == 4 for p in used[:-1]) and 1 <= len(used[-1]) <= 4


# Invoice numbers as Encaisse writes them, {series}-{year}-{value:04d}, and as banks mangle
# them: "F-2026-0042", "F 2026 0042", "f2026-0042", "F20260042". The series is 1 to 4 letters
# and the year four digits; short words that are not series ("LE 2026 0315", "VIR 20260042")
# are left out.
_NUMBER_RE = re.compile(
    r"(?<![A-Z0-9])([A-Z]{1,4})[ \-_/.]{0,2}((?:19|20)[0-9]{2})[ \-_/.]{0,2}([0-9]{3,6})(?![0-9])"
)
_NOT_A_SERIES = frozenset({
    "LE", "LA", "LES", "DE", "DU", "DES", "AU", "AUX", "EN", "ET", "OU", "UN", "NO", "NUM",
    "CB", "RF", "REF", "VIR", "VIRT", "PRLV", "SEPA", "CHQ", "FACT",
})  # fmt: skip


def _number_matches(text: str) -> Iterator[tuple[int, str, str, str]]:
    cleaned = " ".join(bank_upper(text or "").split())
    for match in _NUMBER_RE.finditer(cleaned):
        series, year, value = match.groups()
        if series in _NOT_A_SERIES:
            continue
        yield match.start(), series, year, value


def invoice_number_key(number: str) -> str:
    """A comparison key for an invoice number: "F-2026-0042", "f 2026 42" → "F-2026-42".

    Numbers outside the {series}-{year}-{value} shape keep their letters and digits only.
    """
    for _pos, series, year, value in _number_matches(number):
        return f"{series}-{year}-{int(value)}"
    return _body(number)


def find_invoice_numbers(text: str) -> list[str]:
    """Invoice-number-like references in free text, written as Encaisse writes them."""
    found: list[str] = []
    for _pos, series, year, value in _number_matches(text):
        number = f"{series}-{year}-{int(value):04d}"
        if number not in found:
            found.append(number)
    return found


def find_references(text: str) -> list[str]:
    """RF references (compact, "RF18…") then invoice numbers ("F-2026-0042") found in text.

    The two kinds never look alike: an RF reference has no hyphen, an invoice number has two.
    """
    return find_rf_references(text) + find_invoice_numbers(text)
