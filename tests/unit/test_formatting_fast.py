"""The plain-Python fr_FR money, date and time formats give exactly what Babel gives."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from output import formatting as f


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_money_matches_babel(cents):
    assert f.format_money(cents) == f._format_money_babel(cents)


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_date_matches_babel(day):
    assert f.format_date(day) == f._format_date_babel(day)


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)))
def test_datetime_matches_babel(moment):
    assert f.format_datetime(moment) == f._format_datetime_babel(moment)
    assert f.format_datetime(moment, "America/Cayenne") == f._format_datetime_babel(moment, "America/Cayenne")


def test_known_values():
    assert f.format_money(123456) == "1\u202f234,56\xa0€" and f.format_money(-5) == "-0,05\xa0€"
    assert f.format_date(dt.datetime(2026, 11, 23, 23, 59)) == "23/11/2026"
