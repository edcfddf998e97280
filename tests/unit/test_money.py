"""Unit tests for domain.money: parsing, rounding, VAT per rate, deposits."""

from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import format_decimal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.billing.money import (
    MAX_AMOUNT_CENTS,
    MAX_QUANTITY_MILLI,
    VAT_RATES_BP,
    MoneyError,
    Totals,
    VatLine,
    deposit_by_amount,
    deposit_by_percent,
    final_balance,
    format_amount_input,
    line_total_cents,
    parse_amount,
    parse_percent,
    parse_quantity,
    round_half_up,
    vat_rate_label,
)

NBSP = "\u00a0"
NNBSP = "\u202f"


# --- builders ---------------------------------------------------------------------------------


def make_quote(lines, *, charge_vat=True):
    """Totals of (rate_bp, quantity_milli, unit_price_cents) lines."""
    return Totals.from_lines(
        ((rate, line_total_cents(qty, price)) for rate, qty, price in lines),
        charge_vat=charge_vat,
    )


def artisan_quote():
    # The reference renovation quote: three lines at 10 %, one at 20 %.
    return make_quote(
        [
            (1000, 1000, 89000),  # 1 x 890,00
            (1000, 12000, 3840),  # 12 x 38,40
            (1000, 9500, 5200),  # 9,5 h x 52,00
            (2000, 1000, 12000),  # 1 x 120,00
        ]
    )


# --- the reference example ---------------------------------------------------------------------


def test_reference_quote_totals():
    quote = artisan_quote()
    # 10 %: 890,00 + 460,80 + 494,00 = 1 844,80; VAT 184,48. 20 %: 120,00; VAT 24,00.
    assert quote.per_rate == (
        VatLine(2000, 12000, 2400),
        VatLine(1000, 184480, 18448),
    )
    assert quote.ht_cents == 196480
    assert quote.vat_cents == 20848
    assert quote.ttc_cents == 217328


def test_reference_deposit_final_and_payment():
    quote = artisan_quote()
    deposit = deposit_by_percent(quote, 4000)
    # 40 % of 1 844,80 = 737,92 (VAT 73,792 -> 73,79); 40 % of 120,00 = 48,00 (VAT 9,60).
    assert deposit.per_rate == (VatLine(2000, 4800, 960), VatLine(1000, 73792, 7379))
    assert deposit.ttc_cents == 86931

    final = final_balance(quote, [deposit])
    assert final.ttc_cents == 130397
    assert final.per_rate == (VatLine(2000, 7200, 1440), VatLine(1000, 110688, 11069))
    assert final.ttc_cents - 50000 == 80397  # a payment of 500,00 leaves 803,97


def test_reference_deposit_by_amount_matches_percent():
    quote = artisan_quote()
    assert deposit_by_amount(quote, 86931) == deposit_by_percent(quote, 4000)


# --- parsing amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,5", 1250),
        ("12.50", 1250),
        ("12,05", 1205),
        ("1234", 123400),
        ("1 234,56", 123456),
        (f"1{NBSP}234,56", 123456),
        (f"1{NNBSP}234,56", 123456),
        (f"1{NNBSP}234,56{NBSP}€", 123456),
        ("12 345 678,90", 1234567890),
        ("12,50 €", 1250),
        ("12,50€", 1250),
        ("€12,50", 1250),
        ("  7  ", 700),
        ("0,5", 50),
        (",5", 50),
        ("0", 0),
        ("0,00", 0),
        ("+3", 300),
    ],
)
def test_parse_amount_accepts(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Saisissez un montant, par exemple 12,50."),
        ("   ", "Saisissez un montant, par exemple 12,50."),
        (None, "Saisissez un montant, par exemple 12,50."),
        ("douze", "Saisissez un montant valide, par exemple 12,50."),
        ("NaN", "Saisissez un montant valide, par exemple 12,50."),
        ("Infinity", "Saisissez un montant valide, par exemple 12,50."),
        ("inf", "Saisissez un montant valide, par exemple 12,50."),
        ("1e3", "Saisissez un montant valide, par exemple 12,50."),
        ("1E-2", "Saisissez un montant valide, par exemple 12,50."),
        ("1.234,56", "Saisissez un montant valide, par exemple 12,50."),
        ("12,5,0", "Saisissez un montant valide, par exemple 12,50."),
        ("12 34", "Saisissez un montant valide, par exemple 12,50."),
        ("12,", "Saisissez un montant valide, par exemple 12,50."),
        ("€", "Saisissez un montant valide, par exemple 12,50."),
        ("١٢", "Saisissez un montant valide, par exemple 12,50."),  # non-ASCII digits
        ("12,345", "Un montant a au plus deux décimales (les centimes), par exemple 12,50."),
        ("12,500", "Un montant a au plus deux décimales (les centimes), par exemple 12,50."),
        ("0,001", "Un montant a au plus deux décimales (les centimes), par exemple 12,50."),
        ("10000000000,01", "Ce montant est trop élevé. Vérifiez le nombre de chiffres."),
        ("9" * 30, "Ce montant est trop élevé. Vérifiez le nombre de chiffres."),
        ("-5", "Le montant ne peut pas être négatif."),
        ("\u22125", "Le montant ne peut pas être négatif."),
        ("1" * 200, "Saisissez un montant valide, par exemple 12,50."),
    ],
)
def test_parse_amount_rejects_with_french_message(text, message):
    with pytest.raises(MoneyError) as excinfo:
        parse_amount(text)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


def test_parse_amount_limits_and_flags():
    assert parse_amount("21474836,47") == MAX_AMOUNT_CENTS  # what a 32-bit INTEGER column holds
    with pytest.raises(MoneyError, match="trop élevé"):
        parse_amount("21474836,48")
    assert parse_amount("-12,50", allow_negative=True) == -1250
    assert parse_amount("\u221212,50 €", allow_negative=True) == -1250
    assert parse_amount("-0", allow_negative=False) == 0
    with pytest.raises(MoneyError, match="supérieur à zéro"):
        parse_amount("0,00", allow_zero=False)


# --- quantities and percentages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "milli"),
    [("9,5", 9500), ("1", 1000), ("0,001", 1), ("2.125", 2125), ("1 000", 1_000_000)],
)
def test_parse_quantity(text, milli):
    assert parse_quantity(text) == milli


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Saisissez une quantité, par exemple 1 ou 9,5."),
        ("beaucoup", "Saisissez une quantité valide, par exemple 9,5."),
        ("0", "La quantité doit être supérieure à zéro."),
        ("0,000", "La quantité doit être supérieure à zéro."),
        ("-1", "La quantité doit être supérieure à zéro."),
        ("1,0005", "Une quantité a au plus trois décimales, par exemple 2,125."),
        ("1000000000,001", "Cette quantité est trop élevée. Vérifiez le nombre de chiffres."),
    ],
)
def test_parse_quantity_rejects(text, message):
    with pytest.raises(MoneyError) as excinfo:
        parse_quantity(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("text", "bp"),
    [
        ("40", 4000),
        ("5,5", 550),
        ("5,5 %", 550),
        ("2.1%", 210),
        ("0", 0),
        ("100", 10000),
        ("12,25", 1225),
    ],
)
def test_parse_percent(text, bp):
    assert parse_percent(text) == bp


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Saisissez un pourcentage, par exemple 40 ou 5,5."),
        ("quarante", "Saisissez un pourcentage valide, par exemple 40 ou 5,5."),
        ("100,01", "Un pourcentage ne peut pas dépasser 100."),
        ("-3", "Un pourcentage ne peut pas être négatif."),
        ("5,555", "Un pourcentage a au plus deux décimales, par exemple 12,25."),
    ],
)
def test_parse_percent_rejects(text, message):
    with pytest.raises(MoneyError) as excinfo:
        parse_percent(text)
    assert str(excinfo.value) == message


# --- labels, rounding, lines ------------------------------------------------------------------


def test_vat_rates_and_labels():
    assert VAT_RATES_BP == (2000, 1000, 550, 210, 0)
    labels = [vat_rate_label(rate) for rate in VAT_RATES_BP]
    assert labels == [f"20{NBSP}%", f"10{NBSP}%", f"5,5{NBSP}%", f"2,1{NBSP}%", f"0{NBSP}%"]
    assert vat_rate_label(1960) == f"19,6{NBSP}%"
    assert vat_rate_label(1225) == f"12,25{NBSP}%"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.5"), 1),
        (Decimal("1.5"), 2),
        (Decimal("2.5"), 3),  # not banker's rounding
        (Decimal("2.4999"), 2),
        (Decimal("-0.5"), -1),  # symmetric: a credit note mirrors its invoice
        (Decimal("-2.5"), -3),
        (Decimal("1E+40"), 10**40),
        (Fraction(7, 2), 4),
        (Fraction(-7, 2), -4),
        (5, 5),
    ],
)
def test_round_half_up(value, expected):
    assert round_half_up(value) == expected


def test_round_half_up_refuses_floats_and_specials():
    with pytest.raises(TypeError):
        round_half_up(0.5)
    with pytest.raises(ValueError):
        round_half_up(Decimal("NaN"))


def test_line_total_rounds_once_at_the_end():
    assert line_total_cents(9500, 5200) == 49400
    # 3 x 0,333 € would be 0,999; one rounding of 3 x 33,3 ct... prices are whole cents, so
    # the interesting case is a discount: 7 x 1,99 € at 15 % = 11,8405 -> 11,84.
    assert line_total_cents(7000, 199, 1500) == 1184
    # 1,5 x 0,03 € = 0,045 -> 0,05 (half-up).
    assert line_total_cents(1500, 3) == 5
    # Rounding the discounted unit price first would give 7 x 1,69 = 11,83.
    assert line_total_cents(7000, 199, 1500) != 7 * round_half_up(Decimal(199) * Decimal("0.85"))
    assert line_total_cents(1000, -5000) == -5000  # a negative line (e.g. a reprise)
    assert line_total_cents(2000, 1000, 10000) == 0
    with pytest.raises(ValueError):
        line_total_cents(1000, 100, 10001)
    with pytest.raises(TypeError):
        line_total_cents(1.0, 100)


# --- totals -----------------------------------------------------------------------------------


def test_vat_rounded_once_per_rate_not_per_line():
    # Three lines of 0,05 € at 10 %: per line, VAT 0,005 -> 0,01 each, 0,03 in all;
    # per rate, 0,015 -> 0,02.
    totals = Totals.from_lines([(1000, 5)] * 3)
    assert totals.per_rate == (VatLine(1000, 15, 2),)
    assert totals.ttc_cents == 17


def test_totals_order_merge_and_empty():
    totals = Totals.from_lines([(550, 1000), (2000, 1000), (0, 500), (550, 1000), (1000, 0)])
    assert [line.rate_bp for line in totals.per_rate] == [2000, 550, 0]
    assert totals.line_for(550) == VatLine(550, 2000, 110)
    assert totals.line_for(1000) == VatLine(1000, 0, 0)
    assert Totals.empty().ttc_cents == 0
    assert Totals.from_lines([]) == Totals.empty()


def test_totals_subtraction_is_per_rate():
    a = Totals.from_lines([(2000, 10000), (1000, 5000)])
    b = Totals.from_lines([(2000, 2500)])
    diff = a - b
    assert diff == a.minus(b)
    assert diff.per_rate == (VatLine(2000, 7500, 1500), VatLine(1000, 5000, 500))
    assert (diff + b) == a
    assert (a - a) == Totals.empty()


def test_totals_invariants_are_checked():
    with pytest.raises(ValueError):
        Totals((VatLine(2000, 100, 20),), 100, 20, 121)
    with pytest.raises(ValueError):
        Totals((VatLine(1000, 100, 10), VatLine(2000, 100, 20)), 200, 30, 230)
    with pytest.raises(ValueError):
        Totals.from_lines([(10001, 100)])


def test_no_vat_charged_keeps_bases():
    # Autoliquidation (CGI art. 283-2 nonies): bases per rate shown, no VAT charged.
    quote = make_quote([(2000, 1000, 100000), (1000, 2000, 5000)], charge_vat=False)
    assert quote.per_rate == (VatLine(2000, 100000, 0), VatLine(1000, 10000, 0))
    assert quote.ttc_cents == quote.ht_cents == 110000
    deposit = deposit_by_percent(quote, 3000)
    assert deposit.vat_cents == 0 and deposit.ttc_cents == 33000
    deposit2 = deposit_by_amount(quote, 11001, already=deposit)
    assert deposit2.vat_cents == 0 and deposit2.ttc_cents == 11001
    final = final_balance(quote, [deposit, deposit2])
    assert final.ttc_cents == 110000 - 33000 - 11001
    assert not final.charge_vat


def test_franchise_en_base_is_rate_zero():
    # Franchise en base (CGI art. 293 B): everything at 0 %.
    quote = make_quote([(0, 1000, 12345)])
    assert quote.per_rate == (VatLine(0, 12345, 0),)
    assert deposit_by_amount(quote, 1000).per_rate == (VatLine(0, 1000, 0),)


# --- deposits ---------------------------------------------------------------------------------


def test_deposit_errors_in_french():
    quote = artisan_quote()
    with pytest.raises(MoneyError, match="^L'acompte doit être supérieur à zéro.$"):
        deposit_by_percent(quote, 0)
    with pytest.raises(MoneyError, match="^L'acompte doit être supérieur à zéro.$"):
        deposit_by_amount(quote, 0)
    with pytest.raises(MoneyError, match="^Un acompte ne peut pas dépasser 100 % du devis.$"):
        deposit_by_percent(quote, 10001)
    with pytest.raises(MoneyError) as excinfo:
        deposit_by_amount(quote, 217329)
    assert str(excinfo.value) == (
        f"L'acompte dépasse ce qui reste à facturer sur ce devis (2{NNBSP}173,28{NBSP}€ TTC)."
    )
    first = deposit_by_percent(quote, 5000)
    with pytest.raises(MoneyError, match="dépasse ce qui reste"):
        deposit_by_percent(quote, 6000, already=first)
    with pytest.raises(MoneyError, match="dépasse ce qui reste"):
        deposit_by_amount(quote, quote.ttc_cents - first.ttc_cents + 1, already=first)
    everything = deposit_by_amount(quote, quote.ttc_cents)
    with pytest.raises(MoneyError, match="^Il ne reste rien à facturer sur ce devis"):
        deposit_by_percent(quote, 100, already=everything)


def test_deposit_of_everything_left_settles_every_rate():
    quote = artisan_quote()
    first = deposit_by_amount(quote, 33333)
    rest = deposit_by_amount(quote, quote.ttc_cents - first.ttc_cents, already=first)
    assert rest == quote - first
    assert final_balance(quote, [first, rest]) == Totals.empty()


def test_two_halves_settle_a_tiny_quote():
    # 0,15 € HT at 10 %: VAT 0,015 -> 0,02. Half: base 0,08 (7,5 -> 8), VAT 0,008 -> 0,01.
    # The second half is capped at what is left (base 0,07, VAT 0,01), not refused.
    quote = Totals.from_lines([(1000, 15)])
    first = deposit_by_percent(quote, 5000)
    assert first.per_rate == (VatLine(1000, 8, 1),)
    second = deposit_by_percent(quote, 5000, already=first)
    assert second.per_rate == (VatLine(1000, 7, 1),)
    assert final_balance(quote, [first, second]) == Totals.empty()


# --- properties -------------------------------------------------------------------------------

rates = st.sampled_from(VAT_RATES_BP)
line_strategy = st.tuples(
    rates,
    st.integers(min_value=1, max_value=50_000),  # quantity_milli up to 50 units
    st.integers(min_value=1, max_value=2_000_000),  # unit price up to 20 000 €
    st.sampled_from([0, 0, 0, 500, 1000, 3333]),  # discount
)
quotes = (
    st.lists(line_strategy, min_size=1, max_size=8)
    .map(
        lambda lines: Totals.from_lines(
            (rate, line_total_cents(qty, price, discount)) for rate, qty, price, discount in lines
        )
    )
    # Tiny quotes (a line of 0,001 x 0,01 €) round to nothing; deposits on them are refused.
    .filter(lambda quote: quote.ttc_cents > 0)
)


def assert_within(deposit, available):
    for line in deposit.per_rate:
        left = available.line_for(line.rate_bp)
        assert 0 <= line.base_cents <= left.base_cents
        assert 0 <= line.vat_cents <= left.vat_cents


@settings(max_examples=150, deadline=None)
@given(
    quote=quotes,
    fractions=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=4),
)
def test_deposits_by_amount_sum_exactly_and_never_overshoot(quote, fractions):
    deposits = []
    already = Totals.empty()
    for fraction in fractions:
        left = quote.ttc_cents - already.ttc_cents
        amount = left * fraction // 10_000
        assume(amount > 0)
        deposit = deposit_by_amount(quote, amount, already=already)
        assert deposit.ttc_cents == amount  # the parts sum exactly
        assert_within(deposit, quote - already)
        deposits.append(deposit)
        already = already + deposit
    final = final_balance(quote, deposits)
    assert final.ttc_cents == quote.ttc_cents - sum(d.ttc_cents for d in deposits)
    assert all(line.base_cents >= 0 and line.vat_cents >= 0 for line in final.per_rate)
    for rate in {line.rate_bp for line in quote.per_rate}:
        q, f = quote.line_for(rate), final.line_for(rate)
        assert f.base_cents == q.base_cents - sum(d.line_for(rate).base_cents for d in deposits)
        assert f.vat_cents == q.vat_cents - sum(d.line_for(rate).vat_cents for d in deposits)


@settings(max_examples=150, deadline=None)
@given(
    quote=quotes,
    percents=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=4),
)
def test_deposits_by_percent_never_negative_and_balance_exact(quote, percents):
    # Keep the cumulated percentage at or under 100 %.
    kept, total = [], 0
    for percent in percents:
        if total + percent <= 10_000:
            kept.append(percent)
            total += percent
    deposits = []
    already = Totals.empty()
    for percent in kept:
        try:
            deposit = deposit_by_percent(quote, percent, already=already)
        except MoneyError as error:
            # Only legitimate when rounding already consumed everything.
            assert (quote - already).ttc_cents <= 0 or "supérieur à zéro" in str(error)
            continue
        assert deposit.ttc_cents > 0
        assert_within(deposit, quote - already)
        # Each rate's VAT is its base x rate, half-up, unless the deposit settles the rate.
        for line in deposit.per_rate:
            left = (quote - already).line_for(line.rate_bp)
            if line.base_cents != left.base_cents:
                expected = round_half_up(Fraction(line.base_cents * line.rate_bp, 10_000))
                assert line.vat_cents == min(expected, left.vat_cents)
        deposits.append(deposit)
        already = already + deposit
    final = final_balance(quote, deposits)
    assert final.ttc_cents == quote.ttc_cents - sum(d.ttc_cents for d in deposits)
    assert final.ttc_cents >= 0
    assert all(line.base_cents >= 0 and line.vat_cents >= 0 for line in final.per_rate)
    if total == 10_000 and deposits:
        assert final.ttc_cents <= 2 * len(quote.per_rate)


@settings(max_examples=100, deadline=None)
@given(quote=quotes, percent=st.integers(min_value=1, max_value=10_000))
def test_single_percent_deposit_is_the_documented_formula(quote, percent):
    bases = [round_half_up(Fraction(q.base_cents * percent, 10_000)) for q in quote.per_rate]
    if not any(base > 0 for base in bases):
        with pytest.raises(MoneyError, match="supérieur à zéro"):
            deposit_by_percent(quote, percent)
        return
    deposit = deposit_by_percent(quote, percent)
    for line in deposit.per_rate:
        q = quote.line_for(line.rate_bp)
        assert line.base_cents == round_half_up(Fraction(q.base_cents * percent, 10_000))


@given(cents=st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS))
def test_amount_roundtrip_plain(cents):
    assert parse_amount(format_amount_input(cents), allow_negative=True) == cents


@given(cents=st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS))
def test_amount_roundtrip_babel_fr(cents):
    # What the |money filter shows (Babel fr_FR, narrow no-break spaces) parses back.
    shown = format_decimal(Decimal(cents) / 100, format="#,##0.00", locale="fr_FR")
    assert parse_amount(shown + f"{NBSP}€", allow_negative=True) == cents


@given(milli=st.integers(min_value=1, max_value=MAX_QUANTITY_MILLI))
def test_quantity_roundtrip(milli):
    units, thousandths = divmod(milli, 1000)
    assert parse_quantity(f"{units},{thousandths:03d}") == milli


@given(
    lines=st.lists(
        st.tuples(rates, st.integers(min_value=-10**9, max_value=10**9)), max_size=20
    )
)
def test_totals_are_consistent(lines):
    totals = Totals.from_lines(lines)
    assert totals.ttc_cents == totals.ht_cents + totals.vat_cents
    for line in totals.per_rate:
        assert line.vat_cents == round_half_up(Fraction(line.base_cents * line.rate_bp, 10_000))
    negated = Totals.from_lines((rate, -ht) for rate, ht in lines)
    assert (totals + negated) == Totals.empty()  # a credit note mirrors its invoice exactly
