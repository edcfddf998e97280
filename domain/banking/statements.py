"""Reading the statement file an artisan downloads from the bank's website.

`parse_statement(data, filename)` recognises the format from the content (the file name only
breaks a tie: banks name files "export.txt", "releve.dat", "CA20260301.ofx"…), parses it into a
`Statement` and returns it, or a `NeedsMapping` for a CSV whose columns it does not know.
Any unreadable line refuses the whole file with one `StatementError` naming the line; the
caller rolls back, so a file is imported entirely or not at all.

`check_account(statement, company_iban)` refuses a statement of another account before
anything is imported (an artisan with a personal and a business account downloads the wrong
one sooner or later).
"""

from __future__ import annotations

from .bank_csv import LAYOUTS, BankLayout, CsvMapping, NeedsMapping, parse_csv
from .camt053 import looks_like_camt, parse_camt053
from .cfonb120 import looks_like_cfonb120, parse_cfonb120
from .model import (
    ACCEPTED_FORMATS_FR,
    FORMAT_CAMT053,
    FORMAT_CFONB120,
    FORMAT_CSV,
    FORMAT_OFX,
    MAX_FILE_BYTES,
    Statement,
    StatementError,
    StatementLine,
    compact_iban,
    unknown_format,
)
from .ofx import looks_like_ofx, parse_ofx

__all__ = [
    "ACCEPTED_FORMATS_FR",
    "LAYOUTS",
    "BankLayout",
    "CsvMapping",
    "NeedsMapping",
    "Statement",
    "StatementError",
    "StatementLine",
    "check_account",
    "detect_format",
    "parse_statement",
]

_SAMPLE = 8192
# Files people download by mistake, recognised by their first bytes, and what to tell them.
_NOT_STATEMENTS = (
    ((b"%PDF",), "Un relevé PDF ne se lit pas automatiquement."),
    ((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"),
     "C'est un classeur Excel : enregistrez-le au format CSV ou téléchargez un autre format."),
    ((b"!Type:", b"!Account"), "Le format QIF n'est pas pris en charge."),
)


def detect_format(data: bytes, filename: str = "") -> str:
    """The statement format of a file, from its content: FORMAT_OFX, _CAMT053, _CFONB120, _CSV."""
    head = data[:_SAMPLE]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise StatementError("Le fichier est vide.")
    if looks_like_ofx(stripped):
        return FORMAT_OFX
    if stripped.startswith(b"<"):
        if looks_like_camt(stripped):
            return FORMAT_CAMT053
        raise unknown_format("C'est un fichier XML ou HTML qui n'est ni un relevé CAMT.053 ni un OFX.")
    for magic, why in _NOT_STATEMENTS:
        if stripped.startswith(magic):
            raise unknown_format(why)
    if looks_like_cfonb120(stripped):
        return FORMAT_CFONB120
    if b"\x00" in head:
        raise unknown_format()
    if filename.lower().endswith((".ofx", ".qfx")):
        raise StatementError("Ce fichier porte l'extension .ofx mais son contenu n'est pas un relevé OFX.")
    return FORMAT_CSV


def parse_statement(
    data: bytes, filename: str = "", *, mapping: CsvMapping | None = None
) -> Statement | NeedsMapping:
    """Parse a downloaded statement file; `mapping` is used for a CSV of unknown layout."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_statement takes the file's bytes")
    if len(data) > MAX_FILE_BYTES:
        raise StatementError(
            f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : ce n'est pas un relevé de compte. "
            "Téléchargez une période plus courte."
        )
    data = bytes(data)
    kind = detect_format(data, filename)
    if kind == FORMAT_OFX:
        return parse_ofx(data)
    if kind == FORMAT_CAMT053:
        return parse_camt053(data)
    if kind == FORMAT_CFONB120:
        return parse_cfonb120(data)
    return parse_csv(data, mapping)


def _grouped(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def check_account(statement: Statement, company_iban: str) -> bool:
    """Refuse a statement of another account than the company's.

    Returns True when the file names the account and it is the company's, False when the
    file does not say which account it is (many CSV exports); raises StatementError when it
    names another account. A national account number (RIB: bank, branch, account, as CFONB
    and French OFX files give it, or only the account number in a CSV header) is compared
    with the same digits inside the IBAN.
    """
    company = compact_iban(company_iban)
    if company is None:
        raise StatementError("L'IBAN de l'entreprise n'est pas valide : corrigez-le dans les paramètres.")
    if statement.iban:
        if statement.iban == company:
            return True
        raise StatementError(
            f"Ce relevé est celui du compte {_grouped(statement.iban)}, pas de celui de l'entreprise "
            f"({_grouped(company)}). Vérifiez le compte choisi avant de télécharger le relevé."
        )
    number = "".join(ch for ch in (statement.account_number or "").upper() if ch.isalnum())
    if len(number) < 11:
        return False
    bban = company[4:]
    # French BBAN: bank (5), branch (5), account (11), RIB key (2). A statement gives all of
    # it, bank+branch+account, or the account alone: each is a slice of the BBAN.
    if number in bban:
        return True
    raise StatementError(
        f"Ce relevé concerne le compte n° {statement.account_number}, qui ne correspond pas à l'IBAN "
        f"de l'entreprise ({_grouped(company)}). Vérifiez le compte choisi avant de télécharger le relevé."
    )
