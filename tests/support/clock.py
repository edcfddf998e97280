"""The suite's clock: noon in Paris on the day the run starts, flowing from there.

Tests work out the company's "today" (`TODAY`) when their module is imported, and the app works
it out again when it answers, many minutes later; a run that went past midnight in Paris
would see two calendar days and fail for no fault of the code. So the run moves its clock once,
before anything is imported, to noon in Paris on the day it starts (time keeps flowing):
a run shorter than twelve hours sees one calendar day, whatever the hour it starts.

The offset goes to the processes the suite starts (the crash server, the two SQLite writers)
through the environment, so they share the run's clock. The local approved platform started
as `python -m platform_local` keeps the real clock: it stands for a service outside.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta

import time_machine

from domain.core.clock import zone

OFFSET_ENV = "ENCAISSE_TEST_CLOCK_OFFSET"


def start() -> time_machine.travel:
    """Move this process's clock (datetime, date, time.time; not the monotonic clock)."""
    real_now = datetime.now(UTC)
    if OFFSET_ENV in os.environ:
        offset = timedelta(seconds=float(os.environ[OFFSET_ENV]))
    else:
        paris = zone("Europe/Paris")
        noon = datetime.combine(real_now.astimezone(paris).date(), time(12), paris)
        offset = noon - real_now
        os.environ[OFFSET_ENV] = repr(offset.total_seconds())
    traveller = time_machine.travel(real_now + offset, tick=True)
    traveller.start()
    return traveller


def pytest_load_initial_conftests(early_config, parser, args):
    """Loaded with `-p tests.support.clock` (pyproject's addopts): the clock moves before the
    conftest and the test modules are imported, so their `TODAY` is the run's today."""
    start()
