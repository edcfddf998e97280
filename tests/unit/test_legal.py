"""Unit tests for domain.legal: payment terms, rate tables, late-payment penalties."""

from datetime import date

import pytest

from domain.billing.terms import (
    ECB_MRO_RATES,
    LEGAL_RATES_CONSUMER_CREDITOR,
    LEGAL_RATES_OTHER,
    RECOVERY_INDEMNITY_CENTS,
    LegalError,
    MissingRateError,
    Penalties,
    b2b_max_due_date,
    b2b_penalty_cents,
    b2b_penalty_rate_bp,
    b2c_interest_cents,
    check_contract_rate,
    check_due_date,
    contract_rate_floor_bp,
    days_late,
    due_date_from_terms,
    end_of_month,
    half_year_start,
    late_penalties,
    rate_on,
    validate_rate_table,
)

# --- payment terms ----------------------------------------------------------------------------


def test_due_date_from_terms():
    assert due_date_from_terms(date(2026, 1, 15), 30) == date(2026, 2, 14)
    assert due_date_from_terms(date(2026, 1, 15), 0) == date(2026, 1, 15)
    with pytest.raises(LegalError, match="nombre de jours positif"):
        due_date_from_terms(date(2026, 1, 15), -1)


def test_end_of_month_handles_february():
    assert end_of_month(date(2026, 2, 3)) == date(2026, 2, 28)
    assert end_of_month(date(2024, 2, 3)) == date(2024, 2, 29)
    assert end_of_month(date(2026, 12, 31)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("issue", "cap", "why"),
    [
        # 10 Jan: +60 = 11 Mar; (a) 10 Jan + 45 = 24 Feb -> 28 Feb; (b) 31 Jan + 45 = 17 Mar.
        (date(2026, 1, 10), date(2026, 3, 17), "end of month then 45 days"),
        # 15 Jan: +60 = 16 Mar; (a) 15 Jan + 45 = 1 Mar -> 31 Mar; (b) 31 Jan + 45 = 17 Mar.
        (date(2026, 1, 15), date(2026, 3, 31), "45 days then end of month"),
        # 31 Mar: +60 = 30 May; (a) 15 May -> 31 May; (b) 31 Mar + 45 = 15 May.
        (date(2026, 3, 31), date(2026, 5, 31), "45 days then end of month"),
        # 31 Dec: +60 = 1 Mar 2027; (a) 14 Feb -> 28 Feb; (b) 31 Dec + 45 = 14 Feb.
        (date(2026, 12, 31), date(2027, 3, 1), "60 days"),
        # Leap year: 31 Dec 2023 + 60 = 29 Feb 2024; (a) 14 Feb -> 29 Feb; (b) 14 Feb.
        (date(2023, 12, 31), date(2024, 2, 29), "60 days and (a) agree"),
    ],
)
def test_b2b_max_due_date_takes_the_most_permissive_reading(issue, cap, why):
    assert b2b_max_due_date(issue) == cap, why


def test_check_due_date():
    issue = date(2026, 1, 15)
    check_due_date(issue, issue, professional=True)  # payable on receipt
    check_due_date(issue, date(2026, 3, 31), professional=True)  # exactly the cap
    with pytest.raises(LegalError) as excinfo:
        check_due_date(issue, date(2026, 4, 1), professional=True)
    assert str(excinfo.value) == (
        "Entre professionnels, le délai de paiement ne peut pas dépasser 60 jours après "
        "l'émission de la facture, ou 45 jours fin de mois (article L441-10 du Code de "
        "commerce) : choisissez une échéance au plus tard le 31 mars 2026."
    )
    # A consumer client (particulier) is not capped by L441-10.
    check_due_date(issue, date(2027, 6, 30), professional=False)
    for professional in (True, False):
        with pytest.raises(LegalError, match="antérieure à la date d'émission"):
            check_due_date(issue, date(2026, 1, 14), professional=professional)


# --- rate tables ------------------------------------------------------------------------------


def test_tables_are_well_formed_and_cover_2022_to_2026_h1():
    for table in (ECB_MRO_RATES, LEGAL_RATES_CONSUMER_CREDITOR, LEGAL_RATES_OTHER):
        validate_rate_table(table)
        starts = [start for start, _ in table]
        assert starts[0] == date(2022, 1, 1)
        assert starts[-1] == date(2026, 1, 1)
        assert len(starts) == 9  # every half-year in between


def test_rate_on_picks_the_half_year_value():
    assert rate_on(ECB_MRO_RATES, date(2022, 8, 15)) == 0  # 0,50 % only from 27 July 2022
    assert rate_on(ECB_MRO_RATES, date(2023, 6, 30)) == 250
    assert rate_on(ECB_MRO_RATES, date(2023, 7, 1)) == 400
    assert rate_on(ECB_MRO_RATES, date(2025, 3, 1)) == 315
    assert rate_on(ECB_MRO_RATES, date(2026, 6, 30)) == 215
    assert rate_on(LEGAL_RATES_OTHER, date(2026, 2, 1)) == 262
    assert rate_on(LEGAL_RATES_CONSUMER_CREDITOR, date(2026, 2, 1)) == 667


def test_rate_on_refuses_a_missing_half_year():
    with pytest.raises(MissingRateError) as excinfo:
        rate_on(ECB_MRO_RATES, date(2026, 7, 1))
    assert str(excinfo.value) == (
        "Le taux du second semestre 2026 n'est pas encore renseigné : "
        "ajoutez-le dans les réglages pour calculer les intérêts de retard."
    )
    with pytest.raises(MissingRateError, match="premier semestre 2021"):
        rate_on(LEGAL_RATES_OTHER, date(2021, 3, 1))
    # A table from the database extends the defaults.
    extended = (*ECB_MRO_RATES, (date(2026, 7, 1), 200))
    assert rate_on(extended, date(2026, 11, 23)) == 200


def test_validate_rate_table():
    with pytest.raises(ValueError):
        validate_rate_table(((date(2026, 2, 1), 100),))
    with pytest.raises(ValueError):
        validate_rate_table(((date(2026, 1, 1), 100), (date(2026, 1, 1), 200)))
    with pytest.raises(ValueError):
        validate_rate_table(((date(2026, 1, 1), "2,15"),))


def test_half_year_start():
    assert half_year_start(date(2025, 6, 30)) == date(2025, 1, 1)
    assert half_year_start(date(2025, 7, 1)) == date(2025, 7, 1)
    assert half_year_start(date(2025, 12, 31)) == date(2025, 7, 1)


# --- days late --------------------------------------------------------------------------------


def test_days_late():
    assert days_late(date(2025, 6, 20), date(2025, 6, 20)) == 0  # due today: not late
    assert days_late(date(2025, 6, 20), date(2025, 6, 1)) == 0  # not due yet
    assert days_late(date(2025, 6, 20), date(2025, 6, 21)) == 1
    assert days_late(date(2024, 2, 28), date(2024, 3, 1)) == 2  # 29 Feb counts


# --- B2B penalties ----------------------------------------------------------------------------


def test_b2b_penalty_rate():
    # ECB 3,15 % on 1 Jan 2025 + 10 points; 2,15 % on 1 Jul 2025 + 10 points.
    assert b2b_penalty_rate_bp(date(2025, 6, 30)) == 1315
    assert b2b_penalty_rate_bp(date(2025, 7, 1)) == 1215
    assert b2b_penalty_rate_bp(date(2025, 7, 1), contract_rate_bp=1500) == 1500


def test_b2b_penalty_across_a_half_year_boundary():
    # 1 000,00 € TTC due 20 June 2025, still unpaid on 10 July 2025.
    # 21-30 June: 10 days at 13,15 % (ECB 3,15 % + 10); 1-10 July: 10 days at 12,15 %.
    # 100 000 ct x (10 x 1315 + 10 x 1215) bp / (10 000 x 365)
    #   = 100 000 x 25 300 / 3 650 000 = 693,15... -> 693 ct = 6,93 €.
    assert b2b_penalty_cents(100_000, date(2025, 6, 20), date(2025, 7, 10)) == 693


def test_b2b_penalty_over_a_leap_year():
    # 1 000,00 € due 31 Dec 2023, paid 31 Dec 2024: 366 days late, still over 365.
    # 1 Jan-30 Jun 2024: 182 days at 14,50 % (ECB 4,50 + 10) -> 182 x 1450 = 263 900
    # 1 Jul-31 Dec 2024: 184 days at 14,25 % (ECB 4,25 + 10) -> 184 x 1425 = 262 200
    # 100 000 x 526 100 / 3 650 000 = 14 413,69... -> 14 414 ct = 144,14 €.
    due, today = date(2023, 12, 31), date(2024, 12, 31)
    assert days_late(due, today) == 366
    assert b2b_penalty_cents(100_000, due, today) == 14_414


def test_b2b_penalty_with_contract_rate():
    # 1 000,00 € due 31 Jan 2026, at a contract rate of 15 %, on 2 Mar 2026: 28 + 2 = 30 days.
    # 100 000 x 1500 x 30 / 3 650 000 = 1 232,87... -> 1 233 ct.
    penalty = b2b_penalty_cents(
        100_000, date(2026, 1, 31), date(2026, 3, 2), contract_rate_bp=1500
    )
    assert penalty == 1233


def test_b2b_penalty_zero_when_not_late():
    assert b2b_penalty_cents(100_000, date(2026, 1, 31), date(2026, 1, 31)) == 0
    assert b2b_penalty_cents(100_000, date(2026, 1, 31), date(2026, 1, 1)) == 0
    assert b2b_penalty_cents(0, date(2025, 1, 31), date(2025, 3, 1)) == 0


def test_b2b_penalty_needs_the_rate_of_every_day():
    with pytest.raises(MissingRateError):
        b2b_penalty_cents(100_000, date(2026, 6, 20), date(2026, 7, 10))
    # A contract rate needs no ECB table: 20 days at 15 %.
    # 100 000 x 1500 x 20 / 3 650 000 = 821,91... -> 822 ct.
    assert b2b_penalty_cents(
        100_000, date(2026, 6, 20), date(2026, 7, 10), contract_rate_bp=1500
    ) == 822


# --- contract rate floor ----------------------------------------------------------------------


def test_contract_rate_floor_is_three_times_the_legal_rate():
    # Legal rate "autres cas" 2,62 % in 2026-H1 -> floor 7,86 %; 2,76 % in 2025-H2 -> 8,28 %.
    assert contract_rate_floor_bp(date(2026, 3, 1)) == 786
    assert contract_rate_floor_bp(date(2025, 9, 1)) == 828
    check_contract_rate(786, date(2026, 3, 1))
    check_contract_rate(1215, date(2026, 3, 1))
    with pytest.raises(LegalError) as excinfo:
        check_contract_rate(785, date(2026, 3, 1))
    assert str(excinfo.value) == (
        "Le taux des pénalités de retard ne peut pas être inférieur à trois fois le taux "
        "de l'intérêt légal (article L441-10 du Code de commerce), soit 7,86\u00a0% "
        "au premier semestre 2026."
    )
    # Valid in 2026-H1, too low for 2025-H2.
    with pytest.raises(LegalError, match="8,28"):
        check_contract_rate(800, date(2025, 12, 31))


# --- B2C interest -----------------------------------------------------------------------------


def test_b2c_interest_only_from_the_formal_notice():
    # No notice, no interest, however late.
    assert b2c_interest_cents(250_000, None, date(2025, 1, 14)) == 0
    # Notice received today: nothing has run yet.
    assert b2c_interest_cents(250_000, date(2025, 1, 14), date(2025, 1, 14)) == 0


def test_b2c_interest_across_a_half_year_boundary():
    # 2 500,00 € owed by a consumer; formal notice on 15 Dec 2024; today 14 Jan 2025.
    # The artisan creditor acts for professional needs: "autres cas" legal rate.
    # 16-31 Dec 2024: 16 days at 4,92 % -> 16 x 492 = 7 872
    # 1-14 Jan 2025:  14 days at 3,71 % -> 14 x 371 = 5 194
    # 250 000 x 13 066 / 3 650 000 = 894,93... -> 895 ct = 8,95 €.
    assert b2c_interest_cents(250_000, date(2024, 12, 15), date(2025, 1, 14)) == 895


def test_b2c_interest_with_the_consumer_creditor_table():
    # Same case with the other category's table (not ours, but the function takes any table):
    # 16 x 816 + 14 x 721 = 13 056 + 10 094 = 23 150;
    # 250 000 x 23 150 / 3 650 000 = 1 585,6 -> 1 586.
    assert b2c_interest_cents(
        250_000, date(2024, 12, 15), date(2025, 1, 14), legal_table=LEGAL_RATES_CONSUMER_CREDITOR
    ) == 1586


# --- late_penalties ---------------------------------------------------------------------------


def test_late_penalties_professional():
    result = late_penalties(100_000, date(2025, 6, 20), date(2025, 7, 10), professional=True)
    assert result == Penalties(
        interest_cents=693,
        indemnity_cents=RECOVERY_INDEMNITY_CENTS,
        total_cents=693 + 4000,
        days_late=20,
        rate_bp=1215,  # the rate of the last day counted
    )
    assert RECOVERY_INDEMNITY_CENTS == 4000


def test_late_penalties_due_today_is_nothing():
    for professional in (True, False):
        result = late_penalties(
            100_000, date(2025, 6, 20), date(2025, 6, 20), professional=professional,
            formal_notice_date=date(2025, 6, 1),
        )
        assert result == Penalties(0, 0, 0, 0, None)


def test_late_penalties_consumer_gets_no_indemnity():
    no_notice = late_penalties(250_000, date(2024, 11, 30), date(2025, 1, 14), professional=False)
    assert no_notice == Penalties(0, 0, 0, 45, None)

    with_notice = late_penalties(
        250_000,
        date(2024, 11, 30),
        date(2025, 1, 14),
        professional=False,
        formal_notice_date=date(2024, 12, 15),
    )
    assert with_notice == Penalties(895, 0, 895, 45, 371)


def test_late_penalties_consumer_notice_before_due_date_runs_from_due_date():
    # A notice sent before the due date cannot make interest run before the debt is due.
    # Due 15 Dec 2024, today 14 Jan 2025: same 30 days as above -> 895 ct.
    result = late_penalties(
        250_000,
        date(2024, 12, 15),
        date(2025, 1, 14),
        professional=False,
        formal_notice_date=date(2024, 12, 1),
    )
    assert result.interest_cents == 895
    assert result.indemnity_cents == 0


def test_late_penalties_contract_rate():
    result = late_penalties(
        100_000, date(2026, 1, 31), date(2026, 3, 2), professional=True, contract_rate_bp=1500
    )
    assert result == Penalties(1233, 4000, 5233, 30, 1500)
