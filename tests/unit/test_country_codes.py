"""Country names as typed in French, to the ISO 3166 codes an e-invoice needs (BT-40, BT-55)."""

import pytest

from domain.billing.einvoicing import country_code


@pytest.mark.parametrize("typed, code", [
    ("", "FR"), ("France", "FR"), ("  france ", "FR"), ("La Réunion", "FR"), ("Guadeloupe", "FR"),
    ("Belgique", "BE"), ("SUISSE", "CH"), ("Royaume-Uni", "GB"), ("Pays-Bas", "NL"), ("be", "BE"),
    ("Atlantide", None), ("Fr4nce", None),
])
def test_country_code(typed, code):
    assert country_code(typed) == code
