"""Validators: SIRET/SIREN (Luhn), VAT numbers, IBAN/BIC, e-mail, phone, postal code."""

import re

import pytest

from domain.core.validators import (
    InvalidValue,
    clean_bic,
    clean_email,
    clean_iban,
    clean_phone,
    clean_postal_code,
    clean_siren,
    clean_siren_or_siret,
    clean_siret,
    clean_vat_number,
    fr_vat_key,
    luhn_ok,
)


def test_luhn_known_values():
    assert luhn_ok("732829320")  # SIREN of a real company, used in INSEE examples
    assert not luhn_ok("732829321")


@pytest.mark.parametrize("raw", ["73282932000074", "732 829 320 00074", "732.829.320.00074"])
def test_siret_accepts_and_compacts(raw):
    assert clean_siret(raw) == "73282932000074"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "14 chiffres"),
        ("7328293200007", "14 chiffres"),
        ("732829320000745", "14 chiffres"),
        ("7328293200007A", "14 chiffres"),
        ("73282932000075", "clé de contrôle"),
    ],
)
def test_siret_rejects(raw, message):
    with pytest.raises(InvalidValue, match=message):
        clean_siret(raw)


def test_siret_la_poste_exception():
    # La Poste establishments: sum of digits multiple of 5 instead of Luhn.
    assert clean_siret("35600000000006") == "35600000000006"
    with pytest.raises(InvalidValue):
        clean_siret("35600000000007")


def test_siren():
    assert clean_siren("732 829 320") == "732829320"
    with pytest.raises(InvalidValue, match="9 chiffres"):
        clean_siren("12345")
    with pytest.raises(InvalidValue, match="clé"):
        clean_siren("732829321")


@pytest.mark.parametrize("raw, expected", [
    ("732 829 320", ("732829320", "")),  # a SIREN alone
    ("732 829 320 00074", ("732829320", "73282932000074")),  # a SIRET: its SIREN derived
    ("732.829.320.00074", ("732829320", "73282932000074")),
    ("35600000000006", ("356000000", "35600000000006")),  # La Poste: digit sum, not Luhn
])
def test_siren_or_siret_keeps_both(raw, expected):
    assert clean_siren_or_siret(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("12345", "SIREN (9 chiffres) ou le SIRET (14 chiffres)"),
    ("7328293200007", "SIREN (9 chiffres) ou le SIRET (14 chiffres)"),
    ("73282932A", "SIREN (9 chiffres) ou le SIRET (14 chiffres)"),
    ("732829321", "clé de contrôle"),  # SIREN key wrong
    ("73282932000075", "clé de contrôle"),  # SIRET key wrong
    ("73282932100007", "clé de contrôle"),  # the SIRET's key is right, its SIREN's is not
    ("35600000000007", "pas valide"),  # La Poste, digit sum not a multiple of 5
])
def test_siren_or_siret_rejects(raw, message):
    with pytest.raises(InvalidValue, match=re.escape(message)):
        clean_siren_or_siret(raw)


def test_vat_number_french_key():
    assert fr_vat_key("732829320") == 44
    assert clean_vat_number("fr 44 732 829 320") == "FR44732829320"
    with pytest.raises(InvalidValue, match="clé"):
        clean_vat_number("FR45732829320")
    with pytest.raises(InvalidValue):
        clean_vat_number("44732829320")
    assert clean_vat_number("DE123456789") == "DE123456789"


def test_iban_and_bic():
    assert clean_iban("fr76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    with pytest.raises(InvalidValue, match="IBAN"):
        clean_iban("FR7630006000011234567890188")
    assert clean_bic("agrifrpp") == "AGRIFRPP"
    with pytest.raises(InvalidValue, match="BIC"):
        clean_bic("AGRI")


def test_email():
    assert clean_email("Jean@Example.FR") == "Jean@example.fr"
    with pytest.raises(InvalidValue, match="@"):
        clean_email("jean.example.fr")
    with pytest.raises(InvalidValue):
        clean_email("jean@")


def test_phone_and_postal_code():
    assert clean_phone("06 12 34 56 78") == "06 12 34 56 78"
    assert clean_phone("+33 6 12 34 56 78")
    with pytest.raises(InvalidValue):
        clean_phone("appelez-moi")
    assert clean_postal_code("69003") == "69003"
    with pytest.raises(InvalidValue, match="5 chiffres"):
        clean_postal_code("6900")
    assert clean_postal_code("1000", country="Belgique") == "1000"
