"""Company settings: legal identity, bank details, logo, terms, insurance."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image, UnidentifiedImageError

from domain.core import accounts, events
from domain.core.models import VAT_FRANCHISE, Company, User
from domain.core.orm import utcnow
from domain.core.validators import InvalidValue
from extensions import db

COMPANY_FIELDS = (
    "name", "trade_name", "legal_form", "share_capital_cents", "siret", "rcs_rm", "vat_regime", "vat_number",
    "vat_on_debits", "address_line1", "address_line2", "postal_code", "city", "country", "email", "phone",
    "iban", "bic", "payment_terms_days", "late_penalty_rate_bp", "early_payment_discount", "quote_validity_days",
    "insurer_name", "insurer_address", "insurance_policy", "insurance_coverage_area", "timezone",
)
LOGO_MIMES = {"PNG": "image/png", "JPEG": "image/jpeg"}
LOGO_MAX_PIXELS = 800  # longest side kept; bigger logos only slow every PDF down


def clean_timezone(name: str) -> str:
    """An IANA time zone name such as Europe/Paris."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("Fuseau horaire inconnu, par exemple Europe/Paris.") from None
    return name


# Where clients' money goes: every future invoice and payment QR code prints them. Changing one
# asks for the password again, is recorded, and every owner is told by e-mail (the e-invoicing
# platform, where invoices go, follows the same rule: domain/einvoicing/connection.py).
SENSITIVE_FIELDS = {"iban": "IBAN", "bic": "BIC"}


@dataclass(frozen=True)
class SensitiveChange:
    """Bank details that changed: field → (before, after), IBANs masked."""

    company_id: int
    actor_id: int
    at: datetime
    values: dict[str, tuple[str, str]]

    @property
    def labelled(self) -> list[tuple[str, str, str]]:
        """(French label, before, after) for each change."""
        return [(SENSITIVE_FIELDS[key], before, after) for key, (before, after) in self.values.items()]


def mask(field: str, value: str) -> str:
    """An IBAN shows its country, check digits and last four characters; a BIC is not secret."""
    if not value:
        return "(vide)"
    if field == "iban" and len(value) > 8:
        return f"{value[:4]} •••• {value[-4:]}"
    return value


def update_settings(company: Company, *, actor: User | None = None, password: str | None = None,
                    now: datetime | None = None, **fields) -> SensitiveChange | None:
    """Save the company's settings (documents already issued keep their own copy).

    A change of bank details (SENSITIVE_FIELDS) needs an owner who typed their password again;
    it writes a "bank_details_changed" event and returns what changed, for the caller to tell
    every owner once committed (accounts.owner_addresses). Nothing is saved when refused."""
    changed = [key for key in SENSITIVE_FIELDS
               if key in fields and (fields[key] or "") != (getattr(company, key) or "")]
    if changed:
        _confirm_sensitive_change(company, actor, password)
    before = {key: getattr(company, key) or "" for key in changed}
    for key, value in fields.items():
        if key in COMPANY_FIELDS:
            setattr(company, key, value)
    if company.vat_regime == VAT_FRANCHISE:
        # Franchise en base (CGI art. 293 B): no VAT is charged, so no VAT number is printed.
        company.vat_on_debits = False
    db.session.flush()
    if not changed or actor is None:
        return None
    now = now or utcnow()
    values = {key: (mask(key, before[key]), mask(key, getattr(company, key) or "")) for key in changed}
    events.record(company.id, "bank_details_changed", actor=actor, at=now,
                  changes={key: list(pair) for key, pair in values.items()})
    accounts.security_log.info("bank details changed company=%s user=%s fields=%s", company.id, actor.id,
                               ",".join(changed))
    return SensitiveChange(company_id=company.id, actor_id=actor.id, at=now, values=values)


def _confirm_sensitive_change(company: Company, actor: User | None, password: str | None) -> None:
    accounts.confirm_sensitive_change(
        company.id, actor, password, what="bank details",
        ask="Saisissez votre mot de passe pour modifier l'IBAN ou le BIC.",
        refused="Mot de passe incorrect : les coordonnées bancaires n'ont pas été modifiées.")


def bank_history(company: Company, limit: int = 5) -> list:
    """The latest bank details changes (events), newest first."""
    return events.company_events(company.id, "bank_details_changed", limit=limit)


def clean_logo(data: bytes, max_bytes: int) -> tuple[bytes, str]:
    """Check an uploaded logo is a real PNG/JPEG within limits; shrink very large ones."""
    if not data:
        raise InvalidValue("Le fichier est vide.")
    if len(data) > max_bytes:
        raise InvalidValue(f"Le logo dépasse {max_bytes // 1024} Ko : choisissez une image plus légère.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()  # detects truncated or forged files
        if fmt not in LOGO_MIMES:
            raise InvalidValue("Le logo doit être une image PNG ou JPEG.")
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 40_000_000:
                raise InvalidValue("Cette image est beaucoup trop grande.")
            if max(img.size) > LOGO_MAX_PIXELS:
                img.thumbnail((LOGO_MAX_PIXELS, LOGO_MAX_PIXELS))
                out = io.BytesIO()
                img.save(out, format=fmt, optimize=True)
                data = out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise InvalidValue("Le logo doit être une image PNG ou JPEG.") from None
    return data, LOGO_MIMES[fmt]


def set_logo(company: Company, data: bytes | None, mime: str = "") -> None:
    """Store (or remove, with None) the company logo."""
    company.logo = data
    company.logo_mime = mime if data else ""
    db.session.flush()


def missing_for_documents(company: Company) -> list[str]:
    """Settings a legally complete invoice needs and that are still empty (French labels)."""
    missing = []
    checks = [
        (company.name, "la raison sociale"),
        (company.siret, "le SIRET"),
        (company.address_line1 and company.postal_code and company.city, "l'adresse complète"),
    ]
    if company.vat_regime != VAT_FRANCHISE:
        checks.append((company.vat_number, "le numéro de TVA intracommunautaire"))
    for value, label in checks:
        if not value:
            missing.append(label)
    return missing
