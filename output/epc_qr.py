"""EPC QR code ("girocode") for SEPA credit transfers, EPC069-12 version 002.

A banking app that scans it pre-fills the transfer: beneficiary, IBAN, amount and the
reference of the invoice, so the payment can be matched to its invoice.

EPC069-12 has two remittance fields and a transfer carries one or the other, never both:
field 10, a *structured* creditor reference (ISO 11649 "RF…", 35 characters at most), and
field 11, free text (140 characters). An RF reference goes in field 10: the payer's bank
passes it on untouched and it comes back in the creditor's statement as the structured
reference (CAMT.053 `Strd/CdtrRefInf/Ref`), where the matcher finds it exactly. Anything
else (an invoice number) goes in field 11. Field 12, "beneficiary to originator
information" (70 characters), is shown to the payer and not transmitted: the invoice number
goes there when the reference is structured, so the person paying still sees what for.
"""

from __future__ import annotations

import re
from functools import lru_cache

import segno
from stdnum import iso11649

# EPC069-12: total payload at most 331 bytes; beneficiary name at most 70
# characters; unstructured remittance at most 140 characters.
MAX_PAYLOAD_BYTES = 331
MAX_NAME = 70
MAX_REMITTANCE = 140
MAX_STRUCTURED = 35
MAX_NOTE = 70
MIN_AMOUNT_CENTS = 1
MAX_AMOUNT_CENTS = 99_999_999_999  # EUR 999999999.99

# Printed width: about 3 cm reads easily with a phone camera and fits the payment
# block of an A4 page.
PRINT_SIZE_MM = 30

_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


def normalize_iban(iban: str) -> str:
    """Return the IBAN without spaces, upper-cased, after checking its mod-97 key."""
    compact = re.sub(r"\s+", "", iban or "").upper()
    if not _IBAN_RE.match(compact):
        raise ValueError("IBAN invalide")
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    if int(digits) % 97 != 1:
        raise ValueError("IBAN invalide (clé de contrôle)")
    return compact


def _one_line(text: str) -> str:
    # A newline inside a field would shift every following field of the payload
    # (e.g. turn part of the name into the IBAN): fold control characters to spaces.
    return " ".join(_CONTROL_RE.sub(" ", text or "").split())


def creditor_reference(text: str | None) -> str | None:
    """The compact ISO 11649 reference if `text` is one ("RF69 F202 6004 2" → "RF69F20260042"), else None."""
    compact = "".join((text or "").split()).upper()
    if compact.startswith("RF") and compact.isascii() and compact.isalnum() and iso11649.is_valid(compact):
        return compact
    return None


def epc_payload(
    name: str,
    iban: str,
    bic: str | None,
    amount_cents: int,
    reference: str,
    *,
    note: str = "",
) -> str:
    """Build the EPC069-12 v002 payload for a SEPA credit transfer in euros.

    `reference` goes in the structured field when it is an ISO 11649 RF reference, in the
    free-text field otherwise; `note` (e.g. "Facture F-2026-0042") is shown to the payer
    beside a structured reference. The name is cut to 70 characters, the remittance text to
    140 and the note to 70 (the limits of the standard); the amount must be between 0,01 €
    and 999 999 999,99 €.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amount_cents must be an int")
    if not MIN_AMOUNT_CENTS <= amount_cents <= MAX_AMOUNT_CENTS:
        raise ValueError("Montant hors limites pour un QR code de paiement")
    name = _one_line(name)[:MAX_NAME].strip()
    if not name:
        raise ValueError("Nom du bénéficiaire manquant")
    iban = normalize_iban(iban)
    bic_field = ""
    if bic:
        bic_field = re.sub(r"\s+", "", bic).upper()
        if not _BIC_RE.match(bic_field):
            raise ValueError("BIC invalide")
    euros, cents = divmod(amount_cents, 100)
    structured = creditor_reference(reference)
    remittance = "" if structured else _one_line(reference)[:MAX_REMITTANCE].strip()
    fields = [
        "BCD",  # service tag
        "002",  # version: BIC optional inside the EEA
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        bic_field,
        name,
        iban,
        f"EUR{euros}.{cents:02d}",
        "",  # purpose code
        structured or "",  # structured creditor reference (ISO 11649 RF)
        remittance,  # unstructured remittance: only without a structured reference
        _one_line(note)[:MAX_NOTE].strip() if structured else "",  # beneficiary to originator
    ]
    payload = "\n".join(fields).rstrip("\n")
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError("Données du QR code de paiement trop longues")
    return payload


@lru_cache(maxsize=64)
def _qr_code(payload: str) -> segno.QRCode:
    # EPC069-12 requires level M; boost_error would silently raise it to Q/H and make
    # a denser code that cheap phone cameras read less well. Choosing the mask costs
    # ~6 ms (segno scores all eight), hence the cache: a document is often rendered
    # more than once (preview, download, email).
    return segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8")


QUIET_ZONE = 2  # modules; the white space around the code on the page adds the rest


def epc_qr_svg_data_uri(payload: str) -> str:
    """Encode the payload as a QR code (error correction M) in an SVG data URI.

    The SVG declares its size in millimetres so that it prints about 3 cm wide even
    without CSS sizing.
    """
    qr = _qr_code(payload)
    width_modules = qr.symbol_size(scale=1, border=QUIET_ZONE)[0]
    return qr.svg_data_uri(
        scale=PRINT_SIZE_MM / width_modules,
        border=QUIET_ZONE,
        unit="mm",
        svgclass=None,
        lineclass=None,
    )


@lru_cache(maxsize=64)
def epc_qr_png_data_uri(payload: str, pixels_per_module: int = 8) -> str:
    """Encode the payload as a QR code (error correction M) in a 1-bit PNG data URI.

    This is what the PDF uses: WeasyPrint parses and draws an SVG path in Python
    (about 6 ms per render for this code) while a PNG of ~1 kB is decoded in C. At 8
    pixels per module the code stays sharp even in viewers that smooth images;
    print it with ``image-rendering: pixelated``. Cached: segno writes PNGs in pure
    Python (~2 ms).
    """
    return _qr_code(payload).png_data_uri(scale=pixels_per_module, border=QUIET_ZONE)
