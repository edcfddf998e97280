"""French legal rules for payment terms and late payment, as pure functions.

Amounts are integer cents, rates are basis points (1 % = 100 bp), dates are datetime.date.
Rate tables are plain tuples of (half-year start date, rate_bp) so the app can later load them
from the database and pass them in; every function that needs a rate takes its table as an
argument, with the sourced table below as the default.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from domain.billing.models import RateEntry
from domain.core.errors import UserError
from extensions import db
from output.formatting import format_percent_bp

__all__ = [
    "B2B_MAX_DAYS_FROM_ISSUE",
    "B2B_MAX_DAYS_END_OF_MONTH",
    "CONTRACT_RATE_FLOOR_MULTIPLIER",
    "DAY_COUNT_BASIS",
    "ECB_MRO_RATES",
    "ECB_PENALTY_MARGIN_BP",
    "LEGAL_RATES_CONSUMER_CREDITOR",
    "LEGAL_RATES_OTHER",
    "RECOVERY_INDEMNITY_CENTS",
    "LegalError",
    "MissingRateError",
    "Penalties",
    "RateTable",
    "b2b_max_due_date",
    "b2b_penalty_cents",
    "b2b_penalty_rate_bp",
    "b2c_interest_cents",
    "check_contract_rate",
    "check_due_date",
    "contract_rate_floor_bp",
    "days_late",
    "due_date_from_terms",
    "end_of_month",
    "half_year_start",
    "late_penalties",
    "rate_on",
    "validate_rate_table",
]

RateTable = Sequence[tuple[date, int]]


class LegalError(UserError):
    """A rule of law is not met; str(error) is a French sentence for the user."""


class MissingRateError(LegalError):
    """The rate table has no value for a half-year we need."""


_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def _date_fr(day: date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {_MONTHS_FR[day.month - 1]} {day.year}"


def _half_year_fr(start: date) -> str:
    return f"{'premier' if start.month == 1 else 'second'} semestre {start.year}"


# --------------------------------------------------------------------------------------------
# Payment terms (Code de commerce L441-10, I)
# --------------------------------------------------------------------------------------------
# Between professionals: 30 days after delivery/performance when nothing is agreed; at most
# 60 days after the invoice date when agreed; or, by derogation, at most "45 jours fin de mois"
# after the invoice date when expressly stipulated and not manifestly abusive. Some sectors
# have shorter caps (transport, perishable food...): out of scope for artisans' invoices.
# Consumers (particuliers): L441-10 does not apply; the parties agree the term freely.

B2B_MAX_DAYS_FROM_ISSUE = 60
B2B_MAX_DAYS_END_OF_MONTH = 45


def end_of_month(day: date) -> date:
    """Last day of the month containing day."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_date_from_terms(issue_date: date, days: int) -> date:
    """Due date = issue date + a number of calendar days."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise LegalError("Le délai de paiement doit être un nombre de jours positif ou nul.")
    return issue_date + timedelta(days=days)


def b2b_max_due_date(issue_date: date) -> date:
    """Latest due date allowed between professionals (60 days, or 45 days end of month)."""
    sixty_days = issue_date + timedelta(days=B2B_MAX_DAYS_FROM_ISSUE)
    # "45 jours fin de mois" has two readings, both admitted by the DGCCRF (see
    # https://solon.law/actualites/2023/10/27/dlais-de-paiement-comment-calculer-la-fin-de-mois-c-com-l-441-10-
    # and https://finyear.com/Sur-le-sens-de-l-expression-45-jours-fins-de-mois-dans-la-reforme-des-delais-de-paiement_a8020.amp.html):
    #   (a) issue + 45 days, then to the end of that month (15 Jan -> 1 Mar -> 31 Mar);
    #   (b) end of the issue month, then + 45 days (the Senate report's reading;
    #       10 Jan -> 31 Jan -> 17 Mar).
    # Neither always comes later than the other, nor than 60 days. This function is a
    # guard, not advice: we take the latest of the three so we never block a term that one
    # admitted reading makes legal.
    reading_a = end_of_month(issue_date + timedelta(days=B2B_MAX_DAYS_END_OF_MONTH))
    reading_b = end_of_month(issue_date) + timedelta(days=B2B_MAX_DAYS_END_OF_MONTH)
    return max(sixty_days, reading_a, reading_b)


def check_due_date(issue_date: date, due_date: date, professional: bool) -> None:
    """Raise LegalError if the due date precedes the issue date or exceeds the B2B cap."""
    if due_date < issue_date:
        raise LegalError(
            "La date d'échéance ne peut pas être antérieure à la date d'émission."
        )
    if professional:
        cap = b2b_max_due_date(issue_date)
        if due_date > cap:
            raise LegalError(
                "Entre professionnels, le délai de paiement ne peut pas dépasser 60 jours après "
                "l'émission de la facture, ou 45 jours fin de mois (article L441-10 du Code de "
                f"commerce) : choisissez une échéance au plus tard le {_date_fr(cap)}."
            )


# --------------------------------------------------------------------------------------------
# Rate tables
# --------------------------------------------------------------------------------------------
# Each entry: (first day of the half-year, rate in basis points). Entries start on 1 January
# or 1 July. A half-year missing from the table raises MissingRateError rather than silently
# reusing an older rate: a wrong rate printed on a formal notice is worse than asking for it.

# ECB main refinancing operations (MRO) rate in force on 1 January / 1 July. Code de commerce
# L441-10, II: without a contract rate, B2B late penalties run at this rate + 10 points; the
# rate for the first half-year is the one in force on 1 January, for the second the one in
# force on 1 July.
# Sources (MRO changes by value date):
#   https://retout.fr/?p=12408 (table of MRO changes 2014-04/2025): 0,00 % from 10/03/2016;
#     0,50 % 27/07/2022; 1,25 % 14/09/2022; 2,00 % 02/11/2022; 2,50 % 21/12/2022;
#     3,00 % 08/02/2023; 3,50 % 22/03/2023; 3,75 % 10/05/2023; 4,00 % 21/06/2023;
#     4,25 % 02/08/2023; 4,50 % 20/09/2023; 4,25 % 12/06/2024; 3,65 % 18/09/2024;
#     3,40 % 23/10/2024; 3,15 % 18/12/2024; 2,90 % 05/02/2025; 2,65 % 12/03/2025;
#     2,40 % 23/04/2025.
#   https://www.esperio.net/analytics/market-analysis/market-news/4051132 and
#   http://www.alpacavista.com/en/economy/european-central-bank-lowers-rates-by-25-basis-points-in-line-with-forecasts/3589857
#     (decision of 5 June 2025: MRO 2,15 % from 11 June 2025).
#   https://www.devizu.news/?p=12233 and
#   https://www.brusselstimes.com/eu-affairs/1955847/ecb-freezes-interest-rates-as-inflation-risks-linger-amid-economic-uncertainty/
#     (5 February 2026: MRO unchanged at 2,15 %, fifth hold in a row since June 2025, so
#     2,15 % on 1 January 2026); https://lecomptablefrancais.fr/blog/comptabilite-social-et-juridique/penalites-de-retard
#     gives 12,15 % (2,15 + 10) for the first half of 2026.
# The table stops at 2026-H1: no source found for the rate in force on 1 July 2026. Add it
# (from the Banque de France or service-public.fr page on pénalités de retard) before
# computing penalties for days after 30 June 2026.
ECB_MRO_RATES: tuple[tuple[date, int], ...] = (
    (date(2022, 1, 1), 0),
    (date(2022, 7, 1), 0),  # the first hike (0,50 %) took effect on 27 July 2022
    (date(2023, 1, 1), 250),
    (date(2023, 7, 1), 400),
    (date(2024, 1, 1), 450),
    (date(2024, 7, 1), 425),
    (date(2025, 1, 1), 315),
    (date(2025, 7, 1), 215),
    (date(2026, 1, 1), 215),
)

# Taux de l'intérêt légal (Code monétaire et financier L313-2 and D313-1-A), fixed each
# half-year by arrêté, in two categories:
#   - claims of natural persons not acting for professional needs (a consumer creditor);
#   - all other cases.
# An artisan creditor acts for professional needs, so its claims, including those on
# consumers, use the "other cases" rate: LEGAL_RATES_OTHER is the default everywhere here.
# Sources:
#   https://bpifrance-creation.fr/boiteaoutils/taux-linteret-legal (2022-H1 to 2025-H1);
#   https://www.laclef.eu/index.php/actualites/banque/taux-de-l-interet-legal-au-1er-semestre-2026
#     (2022-H1 to 2025-H2);
#   https://www.cna2c.fr/nos-actualites-juridiques/taux-de-linteret-legal-a-compter-du-1er-juillet-2025
#     (2025-H2, arrêté ECOT2516925A of 19 June 2025);
#   https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136 (2026-H1, arrêté of
#     15 December 2025, JORF of 26 December 2025); confirmed by
#     https://www.legifiscal.fr/actualites-fiscales/4371-taux-interet-legal-1er-semestre-2026.html
# The table stops at 2026-H1: no source found for the arrêté fixing the second half of 2026.
# Each arrêté fixes both categories: (first day of the half-year, consumer creditor, other cases).
_LEGAL_RATES: tuple[tuple[date, int, int], ...] = (
    (date(2022, 1, 1), 313, 76),
    (date(2022, 7, 1), 315, 77),
    (date(2023, 1, 1), 447, 206),
    (date(2023, 7, 1), 682, 422),
    (date(2024, 1, 1), 801, 507),
    (date(2024, 7, 1), 816, 492),
    (date(2025, 1, 1), 721, 371),
    (date(2025, 7, 1), 665, 276),
    (date(2026, 1, 1), 667, 262),
)
LEGAL_RATES_CONSUMER_CREDITOR: tuple[tuple[date, int], ...] = tuple((start, rate) for start, rate, _ in _LEGAL_RATES)
LEGAL_RATES_OTHER: tuple[tuple[date, int], ...] = tuple((start, rate) for start, _, rate in _LEGAL_RATES)


def half_year_start(day: date) -> date:
    """1 January or 1 July of the half-year containing day."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half_year(start: date) -> date:
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def validate_rate_table(table: RateTable) -> None:
    """Raise ValueError unless every entry starts a half-year, once, with an int rate."""
    seen: set[date] = set()
    for start, rate_bp in table:
        if not isinstance(start, date) or (start.month, start.day) not in ((1, 1), (7, 1)):
            raise ValueError(f"rate entries must start on 1 January or 1 July, got {start!r}")
        if isinstance(rate_bp, bool) or not isinstance(rate_bp, int):
            raise ValueError(f"rate must be an int number of basis points, got {rate_bp!r}")
        if start in seen:
            raise ValueError(f"two rates for the half-year starting {start}")
        seen.add(start)


def rate_on(table: RateTable, day: date) -> int:
    """Rate (bp) of the half-year containing day, i.e. the value in force on 1 Jan / 1 Jul."""
    start = half_year_start(day)
    for entry_start, rate_bp in table:
        if entry_start == start:
            return rate_bp
    raise MissingRateError(
        f"Le taux du {_half_year_fr(start)} n'est pas encore renseigné : "
        "ajoutez-le dans les réglages pour calculer les intérêts de retard."
    )


# --------------------------------------------------------------------------------------------
# Late payment
# --------------------------------------------------------------------------------------------

# L441-10, II: without a contract rate, ECB MRO rate + 10 percentage points.
ECB_PENALTY_MARGIN_BP = 1000
# L441-10, II: a contract rate may not be lower than three times the legal interest rate.
CONTRACT_RATE_FLOOR_MULTIPLIER = 3
# Code de commerce D441-5: fixed indemnity for recovery costs, 40 EUR, owed by a professional
# debtor once per late invoice (L441-10, II), never by a consumer.
RECOVERY_INDEMNITY_CENTS = 4000

# Interest is simple and counted ACT/365: days actually late, over a 365-day year, also in
# leap years. This is the formula French practice publishes for late-payment penalties
# ("montant x taux x nombre de jours de retard / 365", Bpifrance Création,
# https://bpifrance-creation.fr/boiteaoutils/taux-penalites-retard) and what a client or their
# accountant will redo by hand. ACT/366 in leap years is also seen; the difference is at most
# 0,27 % of the interest, and one fixed basis keeps our figures reproducible.
DAY_COUNT_BASIS = 365


def days_late(due_date: date, today: date) -> int:
    """Calendar days after the due date up to today (0 when not late)."""
    return max((today - due_date).days, 0)


def _rate_days(first_day: date, last_day: date, rate_for_start) -> tuple[int, int]:
    """Sum of rate_bp x days over [first_day, last_day], split at half-year boundaries.

    Returns (sum of rate-days, rate of the last day).
    """
    total = 0
    last_rate = 0
    start = first_day
    while start <= last_day:
        half_start = half_year_start(start)
        segment_end = min(_next_half_year(half_start) - timedelta(days=1), last_day)
        last_rate = rate_for_start(start)
        total += last_rate * ((segment_end - start).days + 1)
        start = segment_end + timedelta(days=1)
    return total, last_rate


def _interest(amount_cents: int, rate_days: int) -> int:
    # amount x sum(rate_bp x days) / (10 000 x 365), exact in integers, rounded half-up once.
    numerator = amount_cents * rate_days
    denominator = 10_000 * DAY_COUNT_BASIS
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def _check_amount(amount_cents: int) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amount must be an int number of cents")
    if amount_cents < 0:
        raise ValueError("amount must not be negative")
    return amount_cents


def b2b_penalty_rate_bp(
    day: date,
    *,
    contract_rate_bp: int | None = None,
    ecb_table: RateTable = ECB_MRO_RATES,
) -> int:
    """B2B penalty rate on a day: the contract rate, or its half-year's ECB rate + 10 points."""
    if contract_rate_bp is not None:
        return contract_rate_bp
    return rate_on(ecb_table, day) + ECB_PENALTY_MARGIN_BP


def b2b_penalty_cents(
    amount_ttc_cents: int,
    due_date: date,
    today: date,
    *,
    contract_rate_bp: int | None = None,
    ecb_table: RateTable = ECB_MRO_RATES,
) -> int:
    """B2B late penalties (L441-10): simple interest on the TTC, day after due date to today."""
    amount = _check_amount(amount_ttc_cents)
    if days_late(due_date, today) == 0:
        return 0
    # Penalties run from the day after the due date, with no reminder needed (L441-10, II),
    # each day at the rate of its own half-year: a delay across 1 July uses two rates.
    rate_days, _ = _rate_days(
        due_date + timedelta(days=1),
        today,
        lambda day: b2b_penalty_rate_bp(
            day, contract_rate_bp=contract_rate_bp, ecb_table=ecb_table
        ),
    )
    return _interest(amount, rate_days)


def contract_rate_floor_bp(day: date, legal_table: RateTable = LEGAL_RATES_OTHER) -> int:
    """Lowest contract penalty rate allowed on a day: 3 x the legal interest rate (L441-10)."""
    return CONTRACT_RATE_FLOOR_MULTIPLIER * rate_on(legal_table, day)


def check_contract_rate(
    rate_bp: int, day: date, legal_table: RateTable = LEGAL_RATES_OTHER
) -> None:
    """Raise LegalError if a contract penalty rate is below 3 x the legal rate on that day."""
    # The creditor is a professional, hence the "autres cas" legal rate. The floor moves every
    # half-year: a rate valid when written into the terms can fall below it later, so callers
    # should check on the day the rate is printed on an invoice, not only when it is set.
    floor = contract_rate_floor_bp(day, legal_table)
    if rate_bp < floor:
        raise LegalError(
            "Le taux des pénalités de retard ne peut pas être inférieur à trois fois le taux "
            f"de l'intérêt légal (article L441-10 du Code de commerce), soit {format_percent_bp(floor, fixed=True)} "
            f"au {_half_year_fr(half_year_start(day))}."
        )


def b2c_interest_cents(
    amount_cents: int,
    formal_notice_date: date | None,
    today: date,
    *,
    legal_table: RateTable = LEGAL_RATES_OTHER,
) -> int:
    """Interest owed by a consumer: legal rate from the formal notice to today, 0 without one."""
    amount = _check_amount(amount_cents)
    # Code civil 1344-1: the formal notice (mise en demeure) makes moratory interest run at the
    # legal rate; 1231-6: those damages are the legal-rate interest, owed without proof of
    # loss. Before a notice, nothing runs. Days count from the day after the notice, the same
    # convention as B2B penalties (the notice day itself is not a day of delay).
    if formal_notice_date is None or today <= formal_notice_date:
        return 0
    rate_days, _ = _rate_days(
        formal_notice_date + timedelta(days=1), today, lambda day: rate_on(legal_table, day)
    )
    return _interest(amount, rate_days)


@dataclass(frozen=True)
class Penalties:
    """What a late invoice adds to its amount, with the figures needed to explain it."""

    interest_cents: int
    indemnity_cents: int
    total_cents: int
    days_late: int
    # Annual rate applied on the last day counted (for display); None when nothing runs yet.
    rate_bp: int | None


def late_penalties(
    amount_cents: int,
    due_date: date,
    today: date,
    *,
    professional: bool,
    formal_notice_date: date | None = None,
    contract_rate_bp: int | None = None,
    ecb_table: RateTable = ECB_MRO_RATES,
    legal_table: RateTable = LEGAL_RATES_OTHER,
) -> Penalties:
    """Late-payment interest and indemnity of one invoice, for a professional or consumer client."""
    amount = _check_amount(amount_cents)
    late = days_late(due_date, today)
    if late == 0:
        return Penalties(0, 0, 0, 0, None)

    if professional:
        interest = b2b_penalty_cents(
            amount, due_date, today, contract_rate_bp=contract_rate_bp, ecb_table=ecb_table
        )
        rate = b2b_penalty_rate_bp(today, contract_rate_bp=contract_rate_bp, ecb_table=ecb_table)
        # D441-5 / L441-10, II: 40 EUR once per late invoice, professional debtors only.
        indemnity = RECOVERY_INDEMNITY_CENTS
    else:
        # A consumer owes no Code de commerce penalty and no 40 EUR indemnity; legal-rate
        # interest runs only from a formal notice, and never before the debt is due.
        indemnity = 0
        if formal_notice_date is None:
            interest, rate = 0, None
        else:
            start = max(formal_notice_date, due_date)
            interest = b2c_interest_cents(amount, start, today, legal_table=legal_table)
            rate = rate_on(legal_table, today) if today > start else None
    return Penalties(interest, indemnity, interest + indemnity, late, rate)


TABLE_KINDS = {
    "ecb": ("Taux de refinancement de la BCE", ECB_MRO_RATES),
    "legal_other": ("Taux de l'intérêt légal (créancier professionnel)", LEGAL_RATES_OTHER),
    "legal_consumer": ("Taux de l'intérêt légal (créancier particulier)", LEGAL_RATES_CONSUMER_CREDITOR),
}


@dataclass(frozen=True)
class RateTables:
    ecb: tuple
    legal_other: tuple
    # Half-years for which no sourced rate exists and the last known one was carried forward.
    provisional_ecb: tuple[date, ...] = ()
    provisional_legal: tuple[date, ...] = ()


def load_tables(up_to: date, company_id: int | None = None) -> RateTables:
    """Code tables plus the rates the company entered; a missing half-year up to `up_to`
    takes the last known rate and is reported as provisional (never silently)."""
    entries: list = []
    if company_id is not None:
        entries = [*db.session.execute(select(RateEntry.kind, RateEntry.start, RateEntry.rate_bp)
                                     .where(RateEntry.company_id == company_id))]
    merged: dict[str, dict[date, int]] = {k: dict(t) for k, (_, t) in TABLE_KINDS.items()}
    for kind, start, rate in entries:
        if kind in merged:
            merged[kind][start] = rate

    def complete(table: dict[date, int]) -> tuple[tuple, tuple]:
        items, carried = sorted(table.items()), []
        start, last = items[-1]
        target = half_year_start(up_to)
        while start < target:
            start = date(start.year + (start.month == 7), 1 if start.month == 7 else 7, 1)
            items.append((start, last))
            carried.append(start)
        return tuple(items), tuple(carried)

    ecb, ecb_carried = complete(merged["ecb"])
    legal_other, legal_carried = complete(merged["legal_other"])
    return RateTables(ecb, legal_other, ecb_carried, legal_carried)
