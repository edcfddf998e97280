"""French (fr_FR) formatting of money, dates, quantities and rates.

Plain functions, also registered as Jinja filters (``money``, ``date_fr``, ``qty``,
``percent``, ``datetime_fr``). Money arrives as integer cents, quantities as
thousandths, rates as basis points: floats are refused so that no rounding error can
reach a document.

Babel's ``format_currency`` parses the locale and the pattern on every call; the
locale and the parsed patterns are built once here and applied directly, which keeps
each value under ~20 µs. Money and dates, by far the most frequent on a page, have the
fr_FR patterns written out in plain Python (~1 µs; checked against Babel in the tests).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import parse_pattern as _parse_date_pattern

_LOCALE = Locale.parse("fr_FR")
# '#,##0.00\xa0¤' -> "1\u202f234,56\xa0€" (narrow no-break space between thousands,
# no-break space before the symbol).
_CURRENCY_PATTERN = _LOCALE.currency_formats["standard"]
# '#,##0.###': at most three decimals, no trailing zeros -> "9,5", "1", "0,25".
_DECIMAL_PATTERN = _LOCALE.decimal_formats[None]
# '#,##0\xa0%', applied without quantization so that 5.5 % keeps its decimal.
_PERCENT_PATTERN = _LOCALE.percent_formats[None]
# fr_FR short date is 'dd/MM/y' -> "23/11/2026".
_DATE_PATTERN = _LOCALE.date_formats["short"]
_DATETIME_PATTERN = _parse_date_pattern("dd/MM/y HH:mm")

DEFAULT_TZ = "Europe/Paris"


def _require_int(value, what: str) -> int:
    # bool is an int subclass; a float would mean someone computed money in binary.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return value


def format_money(cents: int, *, drop_zero_cents: bool = False) -> str:
    """The one money formatter: integer cents as euros the French way, 123456 -> "1 234,56 €";
    `drop_zero_cents` (a share capital): 800000 -> "8 000 €".

    The fr_FR pattern spelled out in plain Python (about 1 µs instead of Babel's 30, and a
    list page shows 150 amounts); tests/unit/test_formatting.py checks it against Babel.
    """
    _require_int(cents, "cents")
    euros, rest = divmod(-cents if cents < 0 else cents, 100)
    grouped = f"{'-' if cents < 0 else ''}{euros:,}".replace(",", "\u202f")
    if drop_zero_cents and rest == 0:
        return f"{grouped}\xa0€"
    return grouped + f",{rest:02d}\xa0€"


def _format_money_babel(cents: int) -> str:
    """The reference format_money is checked against."""
    return _CURRENCY_PATTERN.apply(Decimal(cents).scaleb(-2), _LOCALE, currency="EUR")


def format_date(value: _dt.date) -> str:
    """Format a date as "23/11/2026" (a datetime is formatted by its date part): fr_FR's short
    pattern 'dd/MM/y' in plain Python (checked against Babel in the tests)."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        raise TypeError(f"value must be a date, got {type(value).__name__}")
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _format_date_babel(value: _dt.date) -> str:
    return _DATE_PATTERN.apply(value, _LOCALE)


def format_quantity(quantity_milli: int) -> str:
    """Format a quantity in thousandths without trailing zeros: 9500 -> "9,5"."""
    _require_int(quantity_milli, "quantity_milli")
    return _DECIMAL_PATTERN.apply(Decimal(quantity_milli).scaleb(-3), _LOCALE)


def format_percent_bp(bp: int, *, fixed: bool = False) -> str:
    """The one percentage formatter (basis points): 550 -> "5,5 %", 2000 -> "20 %";
    `fixed`: always two decimals, 1215 -> "12,15 %", 1000 -> "10,00 %" (rates in legal texts).

    Babel's fr_FR percent pattern spelled out in plain Python, like format_money."""
    _require_int(bp, "bp")
    units, hundredths = divmod(-bp if bp < 0 else bp, 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    number = f"{grouped},{hundredths:02d}"
    if not fixed:
        number = grouped if hundredths == 0 else number.rstrip("0")
    return f"{'-' if bp < 0 else ''}{number}\xa0%"


def _format_percent_babel(bp: int) -> str:
    """The reference format_percent_bp is checked against."""
    return _PERCENT_PATTERN.apply(Decimal(bp).scaleb(-4), _LOCALE, decimal_quantization=False)


@lru_cache(maxsize=8)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def format_datetime(value: _dt.datetime, tz: str = DEFAULT_TZ) -> str:
    """Format an aware datetime in local time (Europe/Paris): "23/11/2026 14:05"."""
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"value must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive timestamp has no defined wall-clock time in Paris (DST).
        raise ValueError("format_datetime needs an aware datetime")
    local = value.astimezone(_zone(tz))
    return f"{local.day:02d}/{local.month:02d}/{local.year} {local.hour:02d}:{local.minute:02d}"  # 'dd/MM/y HH:mm'


def _format_datetime_babel(value: _dt.datetime, tz: str = DEFAULT_TZ) -> str:
    return _DATETIME_PATTERN.apply(value.astimezone(_zone(tz)), _LOCALE)


def format_grouped(code: str | None, size: int = 4) -> str:
    """A code in groups of four, as IBANs and RF references are printed: "RF69F20260042" → "RF69 F202 6004 2"."""
    compact = "".join((code or "").split())
    return " ".join(compact[i:i + size] for i in range(0, len(compact), size))


JINJA_FILTERS = {
    "grouped": format_grouped,
    "money": format_money,
    "date_fr": format_date,
    "qty": format_quantity,
    "percent": format_percent_bp,
    "datetime_fr": format_datetime,
}
