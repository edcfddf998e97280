"""EPC QR code ("girocode") for SEPA credit transfers, EPC069-12 version 002.

A banking app that scans it pre-fills the transfer: beneficiary, IBAN, amount and the
invoice number as the remittance text, so the payment can be matched to its invoice.
"""

from __future__ import annotations

import re
from functools import lru_cache

import segno

# EPC069-12: total payload at most 331 bytes; beneficiary name at most 70
# characters; unstructured remittance at most 140 characters.
MAX_PAYLOAD_BYTES = 331
MAX_NAME = 70
MAX_REMITTANCE = 140
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


def epc_payload(
    name: str,
    iban: str,
    bic: str | None,
    amount_cents: int,
    reference: str,
) -> str:
    """Build the EPC069-12 v002 payload for a SEPA credit transfer in euros.

    The name is cut to 70 characters and the remittance text to 140 (the limits of
    the standard); the amount must be between 0,01 € and 999 999 999,99 €.
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
    remittance = _one_line(reference)[:MAX_REMITTANCE].strip()
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
        "",  # structured (RF) creditor reference
        remittance,  # unstructured remittance: the invoice number
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
