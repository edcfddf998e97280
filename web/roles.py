"""Roles enforced once for every route (domain.core.roles says who may do what).

A route is governed by where it lives and by its method, so a route added later is covered
without anyone listing it:
- the "settings" blueprint (company identity, bank details, users) is for owners only, but for
  the person's own account (ACCOUNT_ENDPOINTS: password, connected devices);
- a request that changes something (any method but GET/HEAD/OPTIONS) needs the right to write:
  an accountant reads and exports, and only manages their own account.

Refusals are a 403 with a French page saying why, not a 404: inside their own company, people
know these pages exist (404 is for another company's ids, whose existence is nobody's
business); a 403 tells them to ask the owner.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

from domain.core import roles
from domain.core.accounts import security_log
from web.errors import error_page
from web.http import SAFE_METHODS

# A person's own account, whatever their role: logging out, their password (changed, or reset
# from an e-mailed link), their devices, confirming their address.
ACCOUNT_ENDPOINTS = frozenset({
    "auth.logout", "settings.account", "settings.change_password", "settings.end_session",
    "settings.end_other_sessions", "auth.forgot_password", "auth.reset_password", "auth.confirm_email",
    "auth.resend_verification",
})
OWNER_BLUEPRINTS = frozenset({"settings"})
# Outside the settings blueprint, owner-only all the same: the e-invoicing platform (where
# invoices go) and the VAT filing regime. The directory look-up and a retransmission stay open
# to staff; the platform's webhook has no user at all.
OWNER_ENDPOINTS = frozenset({"einvoicing.settings", "einvoicing.save_settings", "einvoicing.test_connection",
                             "einvoicing.save_filing"})

OWNER_ONLY = ("Les réglages de l'entreprise, ses coordonnées bancaires et ses utilisateurs sont réservés au "
              "titulaire du compte. Demandez-lui de faire la modification.")
READ_ONLY = ("Votre accès est en lecture seule (expert-comptable) : vous pouvez tout consulter et télécharger "
             "les PDF, mais rien modifier. Rien n'a été enregistré.")


def refusal(user, endpoint: str | None, method: str) -> str | None:
    """Why this user may not call this endpoint with this method (None: allowed)."""
    if endpoint is None or endpoint in ACCOUNT_ENDPOINTS:
        return None
    owners_only = endpoint.split(".", 1)[0] in OWNER_BLUEPRINTS or endpoint in OWNER_ENDPOINTS
    if owners_only and not roles.can_manage_company(user):
        return OWNER_ONLY
    if method not in SAFE_METHODS and not roles.can_write(user):
        return READ_ONLY
    return None


def init_app(app: Flask) -> None:
    """Check every request of a logged-in user against their role."""

    @app.before_request
    def _enforce_role():
        if not current_user.is_authenticated:
            return None
        reason = refusal(current_user, request.endpoint, request.method)
        if reason is None:
            return None
        security_log.warning("forbidden endpoint=%s method=%s user=%s role=%s company=%s", request.endpoint,
                             request.method, current_user.id, current_user.role, current_user.company_id)
        return error_page("Accès réservé", reason, 403)
