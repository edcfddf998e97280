"""Money for Encaisse: integer cents, VAT per rate, deposits.

Amounts are always integer cents. Decimal appears only while parsing user input and in exact
intermediate arithmetic; floats never appear (a float cannot hold 0.10 exactly, and one stray
float in a total is enough to make an invoice disagree with the client's accounting by a cent).

Units used throughout:
- amounts: cents (int), e.g. 12,50 € -> 1250;
- quantities: thousandths of a unit (int, "quantity_milli"), e.g. 9,5 h -> 9500;
- rates and percentages: basis points (int), e.g. 20 % -> 2000, 5,5 % -> 550.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from domain.core.errors import UserError
from output.formatting import format_money, format_percent_bp

__all__ = [
    "MAX_AMOUNT_CENTS",
    "MAX_QUANTITY_MILLI",
    "VAT_RATES_BP",
    "MoneyError",
    "Totals",
    "VatLine",
    "deposit_by_amount",
    "deposit_by_percent",
    "final_balance",
    "format_amount_input",
    "line_total_cents",
    "parse_amount",
    "parse_percent",
    "parse_quantity",
    "round_half_up",
    "vat_rate_label",
]

# French VAT rates in force for mainland France (CGI art. 278 to 281 nonies): normal 20 %,
# intermediate 10 % (renovation of homes over two years old, art. 279-0 bis), reduced 5,5 %
# (energy renovation, art. 278-0 bis A), particular 2,1 %, and 0 for franchise en base
# (art. 293 B) or autoliquidation (art. 283-2 nonies). Other rates (Corsica, overseas,
# historical 19,6 %) are accepted by the totals code, which takes any rate from 0 to 100 %.
VAT_RATES_BP: tuple[int, ...] = (2000, 1000, 550, 210, 0)

# Amounts and quantities are stored in INTEGER columns, 32-bit on PostgreSQL: an amount
# above 21 474 836,47 € (or 2 147 483,647 units) is refused here rather than by the database
# (a 500). No artisan's price comes near it; a bigger one is a typing accident (a row of
# zeros too many) or an attempt to overflow something. Documents bound their totals too
# (domain.documents.MAX_DOCUMENT_CENTS).
MAX_AMOUNT_CENTS = 2**31 - 1
MAX_QUANTITY_MILLI = 2**31 - 1

# Longest input we even look at, and most integer digits we convert: keeps the regex and int()
# on a short leash. The real magnitude limits are checked after parsing.
_MAX_INPUT_LENGTH = 100
_MAX_INTEGER_DIGITS = 20

# Deposit-by-percent: per-rate rounding of earlier deposits can leave a remainder a few cents
# below the exact share a user asks for (50 % then 50 %). Overshoots up to this many cents per
# VAT rate are absorbed by capping each rate at what remains; bigger ones are refused.
_DEPOSIT_ROUNDING_SLACK_CENTS_PER_RATE = 5


class MoneyError(UserError):
    """A user-facing money error; str(error) is a French sentence ready to show next to a field."""


# --------------------------------------------------------------------------------------------
# Rounding
# --------------------------------------------------------------------------------------------


def round_half_up(value: Decimal | int | Fraction) -> int:
    """Round an exact value to the nearest integer, halves away from zero (0.5 -> 1, -0.5 -> -1)."""
    # Halves go away from zero so a credit note is the exact mirror of its invoice: rounding
    # -x gives -(rounding x). Floats are refused: they are already wrong before rounding.
    if isinstance(value, bool | float):
        raise TypeError("round_half_up takes an exact value (int, Decimal, Fraction), not a float")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return _div_half_up(value.numerator, value.denominator)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("cannot round a non-finite Decimal")
        with localcontext() as ctx:
            # quantize() fails when the result has more digits than the context precision;
            # give it room for any amount we could meet.
            ctx.prec = max(60, value.adjusted() + 3)
            return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    raise TypeError(f"round_half_up cannot round {type(value).__name__}")


def _div_half_up(numerator: int, denominator: int) -> int:
    """Exact integer division rounded half away from zero."""
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def _check_int(name: str, value: object) -> int:
    # bool is an int subclass; True cents is always a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _check_rate_bp(rate_bp: object) -> int:
    rate = _check_int("rate_bp", rate_bp)
    if not 0 <= rate <= 10_000:
        raise ValueError(f"VAT rate out of range: {rate} bp")
    return rate


# --------------------------------------------------------------------------------------------
# Parsing user input
# --------------------------------------------------------------------------------------------

# Space characters people (and Babel's fr_FR output) use as thousands separators: space,
# no-break space, narrow no-break space, thin space.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " "})
_MINUS_SIGNS = ("-", "\u2212")

_NUMBER_RE = re.compile(
    r"""
    (?P<int>[0-9]{1,3}(?:\ [0-9]{3})+|[0-9]+)?   # 1 234 567 or 1234567
    (?:[.,](?P<frac>[0-9]+))?                    # decimal comma (or point)
    """,
    re.VERBOSE | re.ASCII,
)


@dataclass(frozen=True)
class _Messages:
    invalid: str
    empty: str
    too_many_decimals: str
    too_large: str
    negative: str
    zero: str


_AMOUNT_MESSAGES = _Messages(
    invalid="Saisissez un montant valide, par exemple 12,50.",
    empty="Saisissez un montant, par exemple 12,50.",
    too_many_decimals="Un montant a au plus deux décimales (les centimes), par exemple 12,50.",
    too_large="Ce montant est trop élevé. Vérifiez le nombre de chiffres.",
    negative="Le montant ne peut pas être négatif.",
    zero="Le montant doit être supérieur à zéro.",
)

_QUANTITY_MESSAGES = _Messages(
    invalid="Saisissez une quantité valide, par exemple 9,5.",
    empty="Saisissez une quantité, par exemple 1 ou 9,5.",
    too_many_decimals="Une quantité a au plus trois décimales, par exemple 2,125.",
    too_large="Cette quantité est trop élevée. Vérifiez le nombre de chiffres.",
    negative="La quantité doit être supérieure à zéro.",
    zero="La quantité doit être supérieure à zéro.",
)

_PERCENT_MESSAGES = _Messages(
    invalid="Saisissez un pourcentage valide, par exemple 40 ou 5,5.",
    empty="Saisissez un pourcentage, par exemple 40 ou 5,5.",
    too_many_decimals="Un pourcentage a au plus deux décimales, par exemple 12,25.",
    too_large="Un pourcentage ne peut pas dépasser 100.",
    negative="Un pourcentage ne peut pas être négatif.",
    zero="Le pourcentage doit être supérieur à zéro.",
)


def _clean_typed(text: object, messages: _Messages) -> str:
    """The typed text without spaces, checked for presence and length."""
    if text is None:
        raise MoneyError(messages.empty)
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    cleaned = text.translate(_SPACES).strip()
    if not cleaned:
        raise MoneyError(messages.empty)
    if len(cleaned) > _MAX_INPUT_LENGTH:
        raise MoneyError(messages.invalid)
    return cleaned


def _strip_sign(cleaned: str, suffixes: tuple[str, ...]) -> tuple[bool, str]:
    """(negative, the number): a unit sign may sit on either side ("12,50 €", "€12,50", "40 %")."""
    for suffix in suffixes:
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].strip()
            break
        if cleaned.startswith(suffix):
            cleaned = cleaned[len(suffix) :].strip()
            break
    if cleaned[:1] in _MINUS_SIGNS:
        return True, cleaned[1:].strip()
    if cleaned[:1] == "+":
        return False, cleaned[1:].strip()
    return False, cleaned


def _parse_scaled(
    text: object,
    *,
    decimals: int,
    messages: _Messages,
    suffixes: tuple[str, ...],
    allow_negative: bool,
) -> int:
    """Parse a French-typed decimal number into an integer scaled by 10**decimals."""
    negative, cleaned = _strip_sign(_clean_typed(text, messages), suffixes)
    match = _NUMBER_RE.fullmatch(cleaned)
    if not cleaned or match is None or (match["int"] is None and match["frac"] is None):
        # Covers words, "NaN", "Infinity", "1e3", "1.234,56", "12,5,0", "12 34"...
        raise MoneyError(messages.invalid)

    int_digits = (match["int"] or "0").replace(" ", "")
    frac_digits = match["frac"] or ""
    if len(frac_digits) > decimals:
        # Refuse rather than round: a unit price silently rounded by half a cent moves every
        # line total by up to 0.5 ct x quantity, and the client sees a price they never typed.
        # "12,500" is refused too: it may be an English "twelve thousand five hundred".
        raise MoneyError(messages.too_many_decimals)
    if len(int_digits.lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise MoneyError(messages.too_large)

    scaled = int(int_digits) * 10**decimals + int(frac_digits.ljust(decimals, "0") or "0")
    if negative and scaled != 0:
        if not allow_negative:
            raise MoneyError(messages.negative)
        scaled = -scaled
    return scaled


def parse_amount(text: str, *, allow_negative: bool = False, allow_zero: bool = True) -> int:
    """Parse a French-typed amount ("1 234,56 €", "12.5") into integer cents."""
    cents = _parse_scaled(
        text,
        decimals=2,
        messages=_AMOUNT_MESSAGES,
        suffixes=("€", "EUR", "eur"),
        allow_negative=allow_negative,
    )
    if abs(cents) > MAX_AMOUNT_CENTS:
        raise MoneyError(_AMOUNT_MESSAGES.too_large)
    if cents == 0 and not allow_zero:
        raise MoneyError(_AMOUNT_MESSAGES.zero)
    return cents


def parse_quantity(text: str) -> int:
    """Parse a quantity ("9,5") into thousandths of a unit (9500); must be positive."""
    milli = _parse_scaled(
        text,
        decimals=3,
        messages=_QUANTITY_MESSAGES,
        suffixes=(),
        allow_negative=False,
    )
    if milli > MAX_QUANTITY_MILLI:
        raise MoneyError(_QUANTITY_MESSAGES.too_large)
    if milli <= 0:
        raise MoneyError(_QUANTITY_MESSAGES.zero)
    return milli


def parse_percent(text: str) -> int:
    """Parse a percentage ("40", "5,5 %") into basis points (4000, 550), from 0 to 10000."""
    bp = _parse_scaled(
        text,
        decimals=2,
        messages=_PERCENT_MESSAGES,
        suffixes=("%",),
        allow_negative=False,
    )
    if bp > 10_000:
        raise MoneyError(_PERCENT_MESSAGES.too_large)
    return bp


def format_amount_input(cents: int) -> str:
    """Format cents for an input field's value, without grouping: 123456 -> "1234,56"."""
    # Display formatting ("1 234,56 €") belongs to Babel in the |money filter; this is only
    # the plain form a user can edit and submit back through parse_amount unchanged.
    cents = _check_int("cents", cents)
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    return f"{sign}{units},{hundredths:02d}"


def vat_rate_label(rate_bp: int) -> str:
    """French label of a VAT rate, checked: 2000 -> "20 %", 550 -> "5,5 %"."""
    return format_percent_bp(_check_rate_bp(rate_bp))


# --------------------------------------------------------------------------------------------
# Lines and totals
# --------------------------------------------------------------------------------------------


def line_total_cents(quantity_milli: int, unit_price_cents: int, discount_bp: int = 0) -> int:
    """Line total HT in cents: quantity x unit price x (1 - discount), rounded half-up once."""
    quantity = _check_int("quantity_milli", quantity_milli)
    price = _check_int("unit_price_cents", unit_price_cents)
    discount = _check_int("discount_bp", discount_bp)
    if not 0 <= discount <= 10_000:
        raise ValueError(f"discount out of range: {discount} bp")
    # One exact product, one rounding at the end of the line: rounding the discounted unit
    # price first would drift by up to 0.5 ct x quantity.
    return _div_half_up(quantity * price * (10_000 - discount), 1000 * 10_000)


@dataclass(frozen=True)
class VatLine:
    """Base and VAT at one rate, in cents."""

    rate_bp: int
    base_cents: int
    vat_cents: int

    def __post_init__(self) -> None:
        _check_rate_bp(self.rate_bp)
        _check_int("base_cents", self.base_cents)
        _check_int("vat_cents", self.vat_cents)

    @property
    def ttc_cents(self) -> int:
        """Base plus VAT."""
        return self.base_cents + self.vat_cents


@dataclass(frozen=True)
class Totals:
    """Totals of a document: one VatLine per rate (highest rate first) and the grand totals."""

    per_rate: tuple[VatLine, ...]
    ht_cents: int
    vat_cents: int
    ttc_cents: int
    # False for autoliquidation (CGI art. 283-2 nonies) or any regime where the bases keep
    # their rate but no VAT is charged; deposits and balances inherit it.
    charge_vat: bool = True

    def __post_init__(self) -> None:
        rates = [line.rate_bp for line in self.per_rate]
        if rates != sorted(set(rates), reverse=True):
            raise ValueError("per_rate must hold distinct rates, highest first")
        if self.ht_cents != sum(line.base_cents for line in self.per_rate):
            raise ValueError("ht_cents must be the sum of the bases")
        if self.vat_cents != sum(line.vat_cents for line in self.per_rate):
            raise ValueError("vat_cents must be the sum of the VAT amounts")
        if self.ttc_cents != self.ht_cents + self.vat_cents:
            raise ValueError("ttc_cents must be ht_cents + vat_cents")

    @classmethod
    def empty(cls, *, charge_vat: bool = True) -> Totals:
        """Totals of nothing."""
        return cls((), 0, 0, 0, charge_vat)

    @classmethod
    def from_per_rate(
        cls, per_rate: Iterable[VatLine], *, charge_vat: bool = True
    ) -> Totals:
        """Build totals from per-rate lines (merged by rate, sorted, zero lines dropped)."""
        merged: dict[int, tuple[int, int]] = {}
        for line in per_rate:
            base, vat = merged.get(line.rate_bp, (0, 0))
            merged[line.rate_bp] = (base + line.base_cents, vat + line.vat_cents)
        # A rate with nothing left on it (e.g. fully deducted by deposits) is noise on a PDF.
        lines = tuple(
            VatLine(rate, base, vat)
            for rate, (base, vat) in sorted(merged.items(), reverse=True)
            if base or vat
        )
        ht = sum(line.base_cents for line in lines)
        vat = sum(line.vat_cents for line in lines)
        return cls(lines, ht, vat, ht + vat, charge_vat)

    @classmethod
    def from_lines(
        cls, lines: Iterable[tuple[int, int]], *, charge_vat: bool = True
    ) -> Totals:
        """Totals from (rate_bp, line_ht_cents) pairs: HT summed per rate, VAT rounded per rate."""
        bases: dict[int, int] = {}
        for rate_bp, ht_cents in lines:
            rate = _check_rate_bp(rate_bp)
            bases[rate] = bases.get(rate, 0) + _check_int("ht_cents", ht_cents)
        # VAT is computed once per rate on the summed base, not per line. CGI ann. II
        # art. 242 nonies A asks the invoice to show, per rate, the total HT and the VAT due;
        # that is the figure accounting software recomputes and reconciles. Rounding each line
        # then summing drifts by up to half a cent per line, so a 30-line invoice could show a
        # VAT total that disagrees with base x rate by 15 ct.
        # charge_vat=False keeps the per-rate bases (autoliquidation, CGI art. 283-2 nonies,
        # still shows what the client must self-assess) but charges no VAT. Franchise en base
        # (CGI art. 293 B) is simply rate 0.
        per_rate = (
            VatLine(rate, base, _div_half_up(base * rate, 10_000) if charge_vat else 0)
            for rate, base in bases.items()
        )
        return cls.from_per_rate(per_rate, charge_vat=charge_vat)

    def _combine(self, other: Totals, sign: int) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        if self.per_rate and other.per_rate and self.charge_vat != other.charge_vat:
            raise ValueError("cannot combine totals with and without VAT charged")
        charge_vat = self.charge_vat if self.per_rate else other.charge_vat
        negated = (
            VatLine(line.rate_bp, sign * line.base_cents, sign * line.vat_cents)
            for line in other.per_rate
        )
        return Totals.from_per_rate((*self.per_rate, *negated), charge_vat=charge_vat)

    def minus(self, other: Totals) -> Totals:
        """Per-rate subtraction: base and VAT of each rate minus the other's."""
        return self - other

    def plus(self, other: Totals) -> Totals:
        """Per-rate addition."""
        return self + other

    def __sub__(self, other: Totals) -> Totals:
        return self._combine(other, -1)

    def __add__(self, other: Totals) -> Totals:
        return self._combine(other, 1)

    def line_for(self, rate_bp: int) -> VatLine:
        """The VatLine at a rate, or a zero line when the rate is absent."""
        for line in self.per_rate:
            if line.rate_bp == rate_bp:
                return line
        return VatLine(rate_bp, 0, 0)


def _sum_totals(items: Iterable[Totals], *, charge_vat: bool) -> Totals:
    total = Totals.empty(charge_vat=charge_vat)
    for item in items:
        total = total + item
    return total


# --------------------------------------------------------------------------------------------
# Deposits (acomptes) and final balance
# --------------------------------------------------------------------------------------------
# CGI art. 289 and 269-2-c: a deposit on services (and on goods since 2023) makes VAT due when
# it is received, so each deposit gets its own invoice with its VAT per rate, and the final
# invoice deducts each deposit rate by rate. Keeping every figure per rate is what makes
# final = quote - deposits exact, down to the VAT of each rate.


def _available(quote: Totals, already: Totals) -> Totals:
    available = quote - already
    if available.ttc_cents <= 0:
        raise MoneyError(
            "Il ne reste rien à facturer sur ce devis : les acomptes couvrent déjà son montant."
        )
    return available


def _too_much(available: Totals) -> MoneyError:
    return MoneyError(
        "L'acompte dépasse ce qui reste à facturer sur ce devis "
        f"({format_money(available.ttc_cents)} TTC)."
    )


def deposit_by_percent(
    quote: Totals, percent_bp: int, already: Totals | None = None
) -> Totals:
    """Deposit of a percentage of the quote: per rate, base = quote base x %, VAT = base x rate."""
    percent = _check_int("percent_bp", percent_bp)
    if percent <= 0:
        raise MoneyError("L'acompte doit être supérieur à zéro.")
    if percent > 10_000:
        raise MoneyError("Un acompte ne peut pas dépasser 100 % du devis.")
    already = already if already is not None else Totals.empty(charge_vat=quote.charge_vat)
    available = _available(quote, already)

    # What the user asks for, exactly (before any rounding), to tell a real over-request
    # (60 % after 50 %) from a cent of rounding drift (50 % after 50 %).
    requested_exact = Fraction(0)
    lines = []
    for line in quote.per_rate:
        share = Fraction(line.base_cents * percent, 10_000)
        vat_factor = Fraction(line.rate_bp, 10_000) if quote.charge_vat else Fraction(0)
        requested_exact += share * (1 + vat_factor)

        left = available.line_for(line.rate_bp)
        left_base, left_vat = max(left.base_cents, 0), max(left.vat_cents, 0)
        base = min(_div_half_up(line.base_cents * percent, 10_000), left_base)
        if base <= 0:
            continue
        if base == left_base:
            # This deposit settles the rate: take its remaining VAT too, so the final invoice
            # never shows VAT at a rate whose base is already fully invoiced.
            vat = left_vat
        elif quote.charge_vat:
            vat = min(_div_half_up(base * line.rate_bp, 10_000), left_vat)
        else:
            vat = 0
        lines.append(VatLine(line.rate_bp, base, vat))

    slack = _DEPOSIT_ROUNDING_SLACK_CENTS_PER_RATE * max(len(quote.per_rate), 1)
    if requested_exact > available.ttc_cents + slack:
        raise _too_much(available)
    deposit = Totals.from_per_rate(lines, charge_vat=quote.charge_vat)
    if deposit.ttc_cents <= 0:
        raise MoneyError("L'acompte doit être supérieur à zéro.")
    return deposit


def deposit_by_amount(
    quote: Totals, ttc_cents: int, already: Totals | None = None
) -> Totals:
    """Deposit of a TTC amount split across the quote's rates; the parts sum exactly to it."""
    amount = _check_int("ttc_cents", ttc_cents)
    if amount <= 0:
        raise MoneyError("L'acompte doit être supérieur à zéro.")
    already = already if already is not None else Totals.empty(charge_vat=quote.charge_vat)
    available = _available(quote, already)
    if amount > available.ttc_cents:
        raise _too_much(available)

    # Split in proportion to what remains at each rate (the quote's own TTC per rate for a
    # first deposit). Largest remainder makes the parts sum exactly to the amount; splitting
    # the remainder rather than the quote means a deposit of "everything left" settles every
    # rate exactly and no part can exceed what is left at its rate.
    rates = [line for line in available.per_rate if line.ttc_cents > 0]
    weights = [line.ttc_cents for line in rates]
    parts = _largest_remainder(amount, weights)

    lines = []
    for line, part in zip(rates, parts, strict=True):  # one part per weight
        if part == 0:
            continue
        left_base, left_vat = max(line.base_cents, 0), max(line.vat_cents, 0)
        if not quote.charge_vat or line.rate_bp == 0:
            base = part
        elif part == line.ttc_cents:
            base = left_base
        else:
            # HT = TTC / (1 + rate), half-up; VAT is the difference, so HT + VAT = part exactly.
            base = _div_half_up(part * 10_000, 10_000 + line.rate_bp)
        # Keep both parts within what is left at this rate (only matters when earlier
        # deposits came from elsewhere and left an uneven base/VAT remainder).
        base = max(min(base, left_base), part - left_vat)
        lines.append(VatLine(line.rate_bp, base, part - base))
    return Totals.from_per_rate(lines, charge_vat=quote.charge_vat)


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split a non-negative integer in proportion to positive weights; parts sum to total."""
    weight_sum = sum(weights)
    floors = []
    remainders = []
    for index, weight in enumerate(weights):
        quotient, remainder = divmod(total * weight, weight_sum)
        floors.append(quotient)
        remainders.append((remainder, weight, -index))
    missing = total - sum(floors)
    # Biggest remainder first; ties go to the heavier rate, then to the first (higher) rate,
    # so the split is deterministic.
    order = sorted(range(len(weights)), key=lambda i: remainders[i], reverse=True)
    for i in order[:missing]:
        floors[i] += 1
    return floors


def final_balance(quote: Totals, deposits: Iterable[Totals]) -> Totals:
    """What the final invoice still charges, per rate: quote minus every deposit."""
    # Per-rate subtraction keeps final TTC = quote TTC - sum of deposits TTC exactly, and the
    # VAT of each rate on the final invoice = quote VAT - VAT already invoiced on deposits.
    return quote - _sum_totals(deposits, charge_vat=quote.charge_vat)
