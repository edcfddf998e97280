"""French formatting with Babel's exact characters (NNBSP = U+202F, NBSP = U+00A0)."""

import datetime as dt
import time
from decimal import Decimal

import pytest

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
    summer = dt.datetime(2026, 7, 1, 12, 5, tzinfo=dt.timezone.utc)
    winter = dt.datetime(2026, 1, 15, 12, 5, tzinfo=dt.timezone.utc)
    assert format_datetime(summer) == "01/07/2026 14:05"
    assert format_datetime(winter) == "15/01/2026 13:05"
    # Late evening UTC is already the next day in Paris.
    assert format_datetime(dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone.utc)) == (
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


def test_formatting_is_cheap():
    # The budget is ~30 µs per value; allow 3x for a loaded CI machine.
    start = time.perf_counter()
    for cents in range(2000):
        format_money(cents * 997)
        format_quantity(cents)
        format_percent_bp(cents)
    per_value = (time.perf_counter() - start) / 6000
    assert per_value < 90e-6
