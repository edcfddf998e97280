"""The payment reference of an invoice: an ISO 11649 structured creditor reference ("RF…").

Why a structured reference: a SEPA credit transfer carries 140 characters of free text that the
payer types (or forgets) and that banks re-cut, upper-case and prefix with their own words. The
SEPA Credit Transfer rulebook also carries a *structured* creditor reference (pain.001
`<RmtInf><Strd><CdtrRefInf><Ref>`, EPC069-12 QR code field 10): a payer's bank that receives it
passes it on untouched, it comes back in the CAMT.053 statement in the same field, and its two
check digits (ISO 7064 mod 97-10, as in an IBAN) tell a real reference from a typo.

The reference of an invoice is "RF" + two check digits + the letters and digits of its number:
F-2026-0042 → RF69 F202 6004 2 (at most 21 characters after the check digits).

Unique: a creditor reference only has to identify a document *for its creditor*, the owner of
the IBAN the transfer is sent to (ISO 11649 §3: "unique within the creditor's domain"). Within one
company invoice numbers are unique and never reused (CGI ann. II art. 242 nonies A: one
chronological, continuous sequence; see `domain.billing.numbering`), and the mapping from number
to reference loses nothing for the numbers Encaisse issues, `{series}-{year}-{value:04d}` with a
letter series and a four-digit year: the letters end where the year starts, the year is four
digits, the rest is the sequence, so dropping the two hyphens is reversible. The database keeps
references unique per company all the same (`uq_documents_company_payment_reference`), so two
hand-made numbers differing only by their separators could never share one.

Stable and frozen: the reference is computed once, when the invoice is issued, from its number
(itself frozen then), and stored on the document in the same transaction as the number and the
PDF that prints it. It depends on nothing else (no database id, no date, no counter), so the
reference printed on the invoice, carried by its QR code and its Factur-X data, and looked for
when a statement arrives years later is the same. Invoices issued before references existed keep
none (their stored PDF does not print one and is never re-rendered); the bank matcher still
recognises the reference derived from their number, should a client ever quote it.

The check digits come from python-stdnum (`stdnum.iso7064.mod_97_10`, `stdnum.iso11649`): a
well-kept implementation with the standard's own examples in its tests.
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from domain.core.text import fold

__all__ = ["MAX_RF_BODY", "format_rf", "is_valid_rf", "reference_for_number", "rf_for_invoice"]

# ISO 11649: "RF", two check digits, then 1 to 21 alphanumeric characters (25 in all).
MAX_RF_BODY = 21

_ALNUM_RE = re.compile(r"[A-Z0-9]+")


def _body(number: str) -> str:
    upper = number.upper() if number.isascii() else fold(number).upper()
    return "".join(_ALNUM_RE.findall(upper))


def rf_for_invoice(number: str) -> str:
    """The ISO 11649 reference of an invoice number, compact: "F-2026-0042" → "RF69F20260042"."""
    body = _body(number)
    if not body:
        raise ValueError(f"an invoice number needs letters or digits: {number!r}")
    if len(body) > MAX_RF_BODY:
        # Refused rather than cut: a cut reference could be shared by two invoices.
        raise ValueError(f"invoice number too long for an RF reference: {number!r}")
    # The check digits are computed on body + "RF" + "00" (the prefix moved to the end).
    check = mod_97_10.calc_check_digits(body + "RF")
    return f"RF{check}{body}"


def reference_for_number(number: str) -> str | None:
    """The reference to store for an issued invoice number; None for a number no RF can carry."""
    try:
        return rf_for_invoice(number)
    except ValueError:
        return None  # the invoice is then paid with its number as free text, as before


def is_valid_rf(reference: str) -> bool:
    """True for a well-formed RF reference with correct check digits (spaces allowed)."""
    if not isinstance(reference, str):
        return False
    compact = "".join(reference.split()).upper()
    if not compact.startswith("RF") or not compact.isalnum() or not compact.isascii():
        return False
    return iso11649.is_valid(compact)


def format_rf(reference: str) -> str:
    """The printed form, in groups of four: "RF18539007547034" → "RF18 5390 0754 7034"."""
    if not is_valid_rf(reference):
        raise ValueError(f"not a valid RF reference: {reference!r}")
    return iso11649.format(reference)
