"""Validation and normalisation of identifiers: each returns the clean value or raises
InvalidValue with a French sentence fit to show next to the field."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from domain.core.errors import UserError


class InvalidValue(UserError):
    """A value the user typed is not acceptable; str(e) is the French message."""


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value or "")


def luhn_ok(digits: str) -> bool:
    """Luhn checksum, used by INSEE for SIREN and SIRET."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# La Poste's establishments share SIREN 356000000 and their SIRETs do not follow Luhn:
# INSEE's rule for them is "sum of the 14 digits is a multiple of 5".
_LA_POSTE_SIREN = "356000000"


def clean_siret(value: str) -> str:
    """14 digits passing the Luhn check (INSEE)."""
    digits = _digits(value)
    if not digits.isdigit() or len(digits) != 14:
        raise InvalidValue("Le SIRET doit comporter exactement 14 chiffres.")
    if digits.startswith(_LA_POSTE_SIREN):
        if sum(int(c) for c in digits) % 5 != 0:
            raise InvalidValue("Ce SIRET n'est pas valide : vérifiez les chiffres.")
    elif not luhn_ok(digits) or not luhn_ok(digits[:9]):
        raise InvalidValue("Ce SIRET n'est pas valide : vérifiez les chiffres (clé de contrôle incorrecte).")
    return digits


def clean_siren(value: str) -> str:
    """9 digits passing the Luhn check."""
    digits = _digits(value)
    if not digits.isdigit() or len(digits) != 9:
        raise InvalidValue("Le SIREN doit comporter exactement 9 chiffres.")
    if not luhn_ok(digits):
        raise InvalidValue("Ce SIREN n'est pas valide : vérifiez les chiffres (clé de contrôle incorrecte).")
    return digits


def clean_siren_or_siret(value: str) -> tuple[str, str]:
    """(SIREN, SIRET) from what a user typed for a business: a SIREN (9 digits) or a SIRET
    (14 digits, its SIREN then derived), each checked with its key like the ones above.

    The buyer's SIREN is a mandatory mention from 2027 (décret 2022-1299, CGI ann. II art.
    242 nonies A as amended); a SIRET says more (the establishment) and is kept as typed.
    """
    digits = _digits(value)
    if len(digits) == 14 and digits.isdigit():
        siret = clean_siret(digits)
        return siret[:9], siret
    if len(digits) == 9 and digits.isdigit():
        return clean_siren(digits), ""
    raise InvalidValue("Saisissez le SIREN (9 chiffres) ou le SIRET (14 chiffres) de l'entreprise cliente.")


def fr_vat_key(siren: str) -> int:
    """Key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97."""
    return (12 + 3 * (int(siren) % 97)) % 97


def clean_vat_number(value: str) -> str:
    """Intra-EU VAT number; French ones are checked against their SIREN key."""
    compact = re.sub(r"[\s.\-]", "", value or "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,13}", compact):
        raise InvalidValue("Numéro de TVA invalide : il commence par le code pays, par exemple FR12345678901.")
    if compact.startswith("FR"):
        rest = compact[2:]
        if not re.fullmatch(r"[0-9A-Z]{2}\d{9}", rest):
            raise InvalidValue("Un numéro de TVA français s'écrit FR, une clé de 2 caractères "
                               "puis le SIREN (9 chiffres).")
        key, siren = rest[:2], rest[2:]
        if key.isdigit() and int(key) != fr_vat_key(siren):
            raise InvalidValue("Ce numéro de TVA français ne correspond pas à sa clé : vérifiez-le.")
    return compact


def clean_iban(value: str) -> str:
    """IBAN checked (country format and mod-97) by schwifty, stored compact."""
    try:
        return IBAN(value or "").compact
    except SchwiftyException:
        raise InvalidValue("Cet IBAN n'est pas valide : vérifiez-le sur votre RIB.") from None


def clean_bic(value: str) -> str:
    """BIC/SWIFT code (8 or 11 characters)."""
    try:
        return str(BIC(re.sub(r"\s", "", value or "").upper()))
    except SchwiftyException:
        raise InvalidValue("Ce BIC n'est pas valide : 8 ou 11 caractères, par exemple BNPAFRPPXXX.") from None


def clean_email(value: str) -> str:
    """Syntactically valid e-mail address (no DNS lookup), domain lower-cased."""
    value = (value or "").strip()
    if "@" not in value:
        raise InvalidValue("Adresse e-mail invalide : il manque le « @ ».")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue("Adresse e-mail invalide : vérifiez-la, par exemple nom@exemple.fr.") from None


def clean_phone(value: str) -> str:
    """Phone number with digits, spaces, dots and an optional leading +."""
    value = (value or "").strip()
    digits = re.sub(r"[\s.\-()]", "", value)
    if not re.fullmatch(r"\+?\d{6,15}", digits):
        raise InvalidValue("Numéro de téléphone invalide, par exemple 06 12 34 56 78.")
    return value


def clean_postal_code(value: str, country: str = "France") -> str:
    """French postal codes have 5 digits; other countries are taken as typed."""
    value = (value or "").strip()
    if (country or "France").strip().lower() == "france" and not re.fullmatch(r"\d{5}", value):
        raise InvalidValue("Le code postal doit comporter 5 chiffres.")
    return value
