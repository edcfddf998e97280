"""French formatting with Babel's exact characters (NNBSP = U+202F, NBSP = U+00A0)."""

import datetime as dt
from decimal import Decimal

import babel.dates
import babel.numbers
import pytest
from babel import Locale
from babel.dates import DateTimePattern
from babel.numbers import NumberPattern

from output import formatting
from output.formatting import (
    JINJA_FILTERS,
    format_date,
    format_datetime,
    format_money,
    format_percent_bp,
    format_quantity,
)

NNBSP = "\u202f"  # thousands separator
NBSP = "\xa0"  # before € and %


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (123456, f"1{NNBSP}234,56{NBSP}€"),
        (123450, f"1{NNBSP}234,50{NBSP}€"),
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (99, f"0,99{NBSP}€"),
        (4000, f"40,00{NBSP}€"),
        (100_000_000, f"1{NNBSP}000{NNBSP}000,00{NBSP}€"),
        (-100288, f"-1{NNBSP}002,88{NBSP}€"),
    ],
)
def test_format_money(cents, expected):
    assert format_money(cents) == expected


@pytest.mark.parametrize("value", [12.5, Decimal("12.50"), True, "1250", None])
def test_format_money_refuses_non_int(value):
    with pytest.raises(TypeError):
        format_money(value)


def test_format_date():
    assert format_date(dt.date(2026, 11, 23)) == "23/11/2026"
    assert format_date(dt.date(2027, 1, 2)) == "02/01/2027"
    assert format_date(dt.datetime(2026, 11, 23, 23, 59)) == "23/11/2026"
    with pytest.raises(TypeError):
        format_date("2026-11-23")


@pytest.mark.parametrize(
    ("milli", "expected"),
    [
        (9500, "9,5"),
        (1000, "1"),
        (1250, "1,25"),
        (4250, "4,25"),
        (1, "0,001"),
        (0, "0"),
        (1_234_500, f"1{NNBSP}234,5"),
    ],
)
def test_format_quantity(milli, expected):
    assert format_quantity(milli) == expected


@pytest.mark.parametrize(
    ("bp", "expected"),
    [
        (550, f"5,5{NBSP}%"),
        (2000, f"20{NBSP}%"),
        (1000, f"10{NBSP}%"),
        (210, f"2,1{NBSP}%"),
        (0, f"0{NBSP}%"),
        (1215, f"12,15{NBSP}%"),
    ],
)
def test_format_percent_bp(bp, expected):
    assert format_percent_bp(bp) == expected


def test_format_datetime_converts_to_paris_time_across_dst():
    summer = dt.datetime(2026, 7, 1, 12, 5, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 1, 15, 12, 5, tzinfo=dt.UTC)
    assert format_datetime(summer) == "01/07/2026 14:05"
    assert format_datetime(winter) == "15/01/2026 13:05"
    # Late evening UTC is already the next day in Paris.
    assert format_datetime(dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)) == (
        "24/11/2026 00:30"
    )
    assert format_datetime(summer, tz="UTC") == "01/07/2026 12:05"


def test_format_datetime_refuses_naive():
    with pytest.raises(ValueError):
        format_datetime(dt.datetime(2026, 7, 1, 12, 5))


def test_jinja_filters_are_the_plain_functions():
    assert JINJA_FILTERS["money"] is format_money
    assert JINJA_FILTERS["date_fr"] is format_date
    assert JINJA_FILTERS["qty"] is format_quantity
    assert JINJA_FILTERS["percent"] is format_percent_bp


def test_formatting_is_cheap(monkeypatch):
    """What keeps a page of 150 amounts cheap, checked without a clock (`make bench` reports
    the µs per value): money, percentages, dates and times are plain Python that never reaches
    Babel; quantities apply the locale and pattern parsed once at import, where Babel's
    own format_* functions parse them again on every call."""
    applied, parsed = [], []

    def recording(method):
        def apply(self, value, locale, *args, **kwargs):
            applied.append((self, locale))
            return method(self, value, locale, *args, **kwargs)
        return apply

    def refuse_parse(*args, **kwargs):
        parsed.append(args)
        raise AssertionError(f"a pattern parsed while formatting: {args}")

    real_locale_parse = Locale.parse

    def locale_parse(cls, identifier, *args, **kwargs):
        if not isinstance(identifier, Locale):
            parsed.append(identifier)
        return real_locale_parse(identifier, *args, **kwargs)

    monkeypatch.setattr(NumberPattern, "apply", recording(NumberPattern.apply))
    monkeypatch.setattr(DateTimePattern, "apply", recording(DateTimePattern.apply))
    monkeypatch.setattr(babel.numbers, "parse_pattern", refuse_parse)
    monkeypatch.setattr(babel.dates, "parse_pattern", refuse_parse)
    monkeypatch.setattr(Locale, "parse", classmethod(locale_parse))
    zones_before = formatting._zone.cache_info()

    for cents in range(2000):
        format_money(cents * 997)
    assert format_date(dt.date(2026, 11, 23)) == "23/11/2026"
    moment = dt.datetime(2026, 7, 1, 12, 5, tzinfo=dt.UTC)
    assert format_datetime(moment) == format_datetime(moment) == "01/07/2026 14:05"
    assert applied == [] and parsed == []

    # Percentages are plain Python too, like money (checked against Babel in
    # test_percent_and_money_formats.py); quantities apply the pattern parsed at import.
    assert format_percent_bp(550) == f"5,5{NBSP}%" and applied == []
    assert format_quantity(9500) == "9,5"
    assert applied == [(formatting._DECIMAL_PATTERN, formatting._LOCALE)]
    assert parsed == []
    # the time zone is looked up once, then served from the cache
    zones_after = formatting._zone.cache_info()
    assert zones_after.hits > zones_before.hits and zones_after.misses - zones_before.misses <= 1
