"""Pure rules of accounts: who may call what, how devices and bank details are shown, settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app import _durations
from domain.core import roles
from domain.core.company import mask
from domain.core.sessions import device_label
from web.proxy import TrustedProxyFix
from web.roles import OWNER_ONLY, READ_ONLY, refusal


@dataclass
class Person:
    role: str


@pytest.mark.parametrize(("role", "endpoint", "method", "expected"), [
    (roles.OWNER, "settings.save", "POST", None),
    (roles.OWNER, "invoices.record_payment", "POST", None),
    (roles.STAFF, "settings.index", "GET", OWNER_ONLY),
    (roles.STAFF, "settings.save", "POST", OWNER_ONLY),
    (roles.STAFF, "settings.account", "GET", None),
    (roles.STAFF, "settings.change_password", "POST", None),
    (roles.STAFF, "invoices.record_payment", "POST", None),
    (roles.ACCOUNTANT, "invoices.record_payment", "POST", READ_ONLY),
    (roles.ACCOUNTANT, "invoices.pdf", "GET", None),
    (roles.ACCOUNTANT, "settings.index", "GET", OWNER_ONLY),
    (roles.ACCOUNTANT, "settings.end_session", "POST", None),
    (roles.ACCOUNTANT, "auth.logout", "POST", None),
    (roles.ACCOUNTANT, "clients.edit", "PUT", READ_ONLY),
    ("member", "clients.create", "POST", READ_ONLY),  # an unknown role gets nothing
])
def test_who_may_call_what(role, endpoint, method, expected):
    assert refusal(Person(role), endpoint, method) == expected


@pytest.mark.parametrize(("user_agent", "label"), [
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1", "Safari sur iPad"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36", "Chrome sur Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
     "Edge sur Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:132.0) Gecko/20100101 Firefox/132.0", "Firefox sur Mac"),
    ("curl/8.5.0", "Appareil inconnu"),
    ("", "Appareil inconnu"),
])
def test_device_labels(user_agent, label):
    assert device_label(user_agent) == label


def test_bank_details_are_masked_in_records_and_mails():
    assert mask("iban", "FR7630006000011234567890189") == "FR76 •••• 0189"
    assert mask("bic", "AGRIFRPP") == "AGRIFRPP"
    assert mask("iban", "") == "(vide)"


def test_durations_from_the_environment_are_in_each_settings_unit():
    config = {"LOGIN_WINDOW": 30, "SESSION_IDLE_LIFETIME": 12, "SESSION_ABSOLUTE_LIFETIME": 7,
              "PASSWORD_RESET_LIFETIME": timedelta(minutes=20), "EMAIL_VERIFICATION_LIFETIME": 24}
    _durations(config)
    assert config == {"LOGIN_WINDOW": timedelta(minutes=30), "SESSION_IDLE_LIFETIME": timedelta(hours=12),
                      "SESSION_ABSOLUTE_LIFETIME": timedelta(days=7), "PASSWORD_RESET_LIFETIME": timedelta(minutes=20),
                      "EMAIL_VERIFICATION_LIFETIME": timedelta(hours=24)}


def test_trusted_proxies_are_addresses_or_networks():
    fix = TrustedProxyFix(lambda environ, start: [], hops=1, trusted=["127.0.0.1", "10.0.0.0/8", "::1"])
    assert fix.is_trusted("10.1.2.3") and fix.is_trusted("127.0.0.1") and fix.is_trusted("::1")
    assert not fix.is_trusted("203.0.113.5") and not fix.is_trusted("") and not fix.is_trusted("not-an-ip")
