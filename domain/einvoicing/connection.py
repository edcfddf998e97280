"""The company's approved platform: its settings (secrets sealed), and the connection test.

`configure_platform` is the one function that changes the platform a company sends through; it
writes an audit event. From the web, `change_platform` wraps it with the rule bank details follow
(where invoices go is as sensitive as where money goes): an owner, password typed again, every
owner told by e-mail once committed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from domain.core import accounts, events
from domain.core.errors import UserError
from domain.core.models import Company
from domain.core.orm import utcnow
from domain.einvoicing.models import FILING_CHOICES, SYNTAX_CII, SYNTAX_FACTURX, EinvoicingSettings
from extensions import db
from output.platform import PlatformClient, PlatformError, PlatformSettings
from output.sealing import SealBroken, seal, unseal

log = logging.getLogger("encaisse.einvoicing")

CLIENT_SECRET = "platform-client-secret"  # sealing purposes: one key per kind of secret
WEBHOOK_SECRET = "platform-webhook-secret"


class EinvoicingError(UserError):
    """A setting or an action the e-invoicing rules refuse (French message, optional field)."""


@dataclass(frozen=True)
class PlatformInput:
    """What the settings form posts. Empty secrets keep the stored ones (they are never shown back)."""

    flow_base_url: str
    directory_base_url: str
    token_url: str
    client_id: str
    client_secret: str = ""
    webhook_secret: str = ""
    send_syntax: str = SYNTAX_FACTURX
    vat_filing: str = ""


def settings_of(company: Company, *, create: bool = False) -> EinvoicingSettings | None:
    """The company's e-invoicing settings row (created empty when asked)."""
    row = db.session.get(EinvoicingSettings, company.id)
    if row is None and create:
        row = EinvoicingSettings(company_id=company.id, webhook_key=secrets.token_urlsafe(24))
        db.session.add(row)
        db.session.flush()
    return row


def by_webhook_key(key: str) -> EinvoicingSettings | None:
    if not key or len(key) > 40:
        return None
    return db.session.scalar(select(EinvoicingSettings).where(EinvoicingSettings.webhook_key == key))


def _check_url(value: str, field: str, label: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise EinvoicingError(f"{label} : une adresse complète est attendue (https://…).", field=field)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        # The token and the invoices travel in these requests: plain HTTP only on this machine.
        raise EinvoicingError(f"{label} : l'adresse doit commencer par https://.", field=field)
    return value.rstrip("/")


# French names of the settings, for the owners' e-mail (never a secret's value).
SETTING_LABELS = {
    "flow_base_url": "Adresse du service des flux", "directory_base_url": "Adresse du service annuaire",
    "token_url": "Adresse du jeton (OAuth2)", "client_id": "Identifiant client", "send_syntax": "Format envoyé",
    "client_secret": "Secret client", "webhook_secret": "Secret de signature des notifications",
}


@dataclass(frozen=True)
class PlatformChange:
    """What an owner changed, for the e-mail every owner receives."""

    at: datetime
    flow_base_url: str
    labels: list[str]


def change_platform(company: Company, actor, settings: PlatformInput, *, password: str | None, secret_key: str,
                    now: datetime | None = None) -> PlatformChange:
    """An owner changes the platform from the settings page: password again (AccountError next to
    the "confirm_password" field otherwise), then `configure_platform`. Nothing is saved when refused."""
    accounts.confirm_sensitive_change(
        company.id, actor, password, what="e-invoicing platform",
        ask="Saisissez votre mot de passe pour modifier la plateforme de facturation électronique.",
        refused="Mot de passe incorrect : la plateforme n'a pas été modifiée.")
    row, changed = _configure(company, actor, settings, secret_key=secret_key)
    return PlatformChange(at=now or utcnow(), flow_base_url=row.flow_base_url,
                          labels=[SETTING_LABELS[name] for name in changed])


def configure_platform(company: Company, actor, settings: PlatformInput, *, secret_key: str) -> EinvoicingSettings:
    """Set (or change) the company's platform; secrets are sealed, an audit event is written.
    Called as is by the server's operator (commands/einvoicing.py); from the web, see change_platform."""
    return _configure(company, actor, settings, secret_key=secret_key)[0]


def _configure(company: Company, actor, settings: PlatformInput, *,
               secret_key: str) -> tuple[EinvoicingSettings, list[str]]:
    row = settings_of(company, create=True)
    assert row is not None
    flow = _check_url(settings.flow_base_url, "flow_base_url", "Service des flux")
    directory = _check_url(settings.directory_base_url, "directory_base_url", "Service annuaire")
    token = _check_url(settings.token_url, "token_url", "Adresse du jeton")
    client_id = settings.client_id.strip()
    if not client_id or len(client_id) > 200:
        raise EinvoicingError("Indiquez l'identifiant client fourni par la plateforme.", field="client_id")
    if not settings.client_secret and not row.client_secret_sealed:
        raise EinvoicingError("Indiquez le secret client fourni par la plateforme.", field="client_secret")
    if settings.send_syntax not in (SYNTAX_FACTURX, SYNTAX_CII):
        raise EinvoicingError("Choisissez le format envoyé.", field="send_syntax")
    if settings.vat_filing and settings.vat_filing not in dict(FILING_CHOICES):
        raise EinvoicingError("Choisissez votre régime de déclaration de TVA.", field="vat_filing")
    changed = [name for name, old, new in (
        ("flow_base_url", row.flow_base_url, flow), ("directory_base_url", row.directory_base_url, directory),
        ("token_url", row.token_url, token), ("client_id", row.client_id, client_id),
        ("send_syntax", row.send_syntax, settings.send_syntax)) if old != new]
    if settings.client_secret:
        row.client_secret_sealed = seal(secret_key, CLIENT_SECRET, settings.client_secret)
        changed.append("client_secret")
    if settings.webhook_secret:
        row.webhook_secret_sealed = seal(secret_key, WEBHOOK_SECRET, settings.webhook_secret)
        changed.append("webhook_secret")
    if flow != row.flow_base_url:
        row.poll_cursor = None  # another platform: its clock starts over
    row.flow_base_url, row.directory_base_url, row.token_url, row.client_id = flow, directory, token, client_id
    row.send_syntax = settings.send_syntax
    if settings.vat_filing:
        row.vat_filing = settings.vat_filing
    row.updated_by_id = getattr(actor, "id", None)
    row.tested_at, row.test_ok, row.test_message = None, None, ""
    # The audit trail: who changed which setting (never a secret's value).
    events.record(company.id, "platform_configured", actor=actor, changed=changed, flow_base_url=flow)
    log.info("company %s: e-invoicing platform settings changed by user %s (%s)", company.id,
             getattr(actor, "id", None), ", ".join(changed) or "nothing")
    db.session.flush()
    return row, changed


def set_vat_filing(company: Company, actor, vat_filing: str) -> EinvoicingSettings:
    """The VAT return regime, which sets the e-reporting calendar (works without a platform)."""
    if vat_filing not in dict(FILING_CHOICES):
        raise EinvoicingError("Choisissez votre régime de déclaration de TVA.", field="vat_filing")
    row = settings_of(company, create=True)
    assert row is not None
    row.vat_filing = vat_filing
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row


def platform_settings(row: EinvoicingSettings, *, secret_key: str) -> PlatformSettings:
    """What the HTTP client needs; EinvoicingError when nothing is configured or the secret is unreadable."""
    if not row.connected:
        raise EinvoicingError("Aucune plateforme de facturation électronique n'est configurée.")
    try:
        secret = unseal(secret_key, CLIENT_SECRET, row.client_secret_sealed)
    except SealBroken:
        raise EinvoicingError("Le secret client de la plateforme ne peut plus être lu (la clé de l'application a "
                              "changé) : saisissez-le à nouveau dans les réglages.", field="client_secret") from None
    return PlatformSettings(flow_base_url=row.flow_base_url,
                            directory_base_url=row.directory_base_url or row.flow_base_url, token_url=row.token_url,
                            client_id=row.client_id, client_secret=secret)


def webhook_secret(row: EinvoicingSettings, *, secret_key: str) -> str | None:
    """The shared secret that signs the platform's webhook calls (None: webhooks not set up)."""
    if not row.webhook_secret_sealed:
        return None
    try:
        return unseal(secret_key, WEBHOOK_SECRET, row.webhook_secret_sealed)
    except SealBroken:
        return None


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str


def test_connection(row: EinvoicingSettings, client: PlatformClient, *, now: datetime | None = None) -> TestResult:
    """Ask for a token and call both healthchecks; the French result is stored and returned.

    No transaction is held during the calls: the caller commits what this writes afterwards.
    """
    try:
        client.healthcheck()  # asks for a token first: bad credentials fail here
        client.directory_healthcheck()
        result = TestResult(True, "Connexion réussie : la plateforme a accepté les identifiants et ses services "
                                  "des flux et de l'annuaire répondent.")
    except PlatformError as exc:
        log.info("platform connection test failed for company %s: %s", row.company_id, exc)
        result = TestResult(False, f"Échec de la connexion : {exc.message_fr}")
    row.tested_at, row.test_ok, row.test_message = now or utcnow(), result.ok, result.message
    return result
