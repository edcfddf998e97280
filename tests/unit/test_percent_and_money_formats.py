"""The one money formatter and the one percentage formatter (output.formatting)."""

import pytest

from output import formatting as f


@pytest.mark.parametrize("bp", [*range(-250, 2501, 7), 10_000, 12_345_678])
def test_percent_matches_babel_fr(bp):
    assert f.format_percent_bp(bp) == f._format_percent_babel(bp)


@pytest.mark.parametrize(("bp", "text"),
                         [(1000, "10,00\xa0%"), (1215, "12,15\xa0%"), (5, "0,05\xa0%"), (0, "0,00\xa0%")])
def test_percent_fixed_two_decimals_for_legal_texts(bp, text):
    assert f.format_percent_bp(bp, fixed=True) == text


@pytest.mark.parametrize(("cents", "text"), [(800_000, "8\u202f000\xa0€"), (800_050, "8\u202f000,50\xa0€"),
                                             (0, "0\xa0€"), (-100, "-1\xa0€")])
def test_money_without_zero_cents_for_a_share_capital(cents, text):
    assert f.format_money(cents, drop_zero_cents=True) == text
