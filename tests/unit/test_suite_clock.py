"""The suite runs on one calendar day (tests/support/clock.py): `TODAY`, worked out when a test
module is imported, is still the app's today when a test runs late in the run."""

import os
import subprocess
import sys
from datetime import UTC, datetime, time
from pathlib import Path

from domain.core.clock import today_in, zone
from tests.support.clock import OFFSET_ENV
from tests.support.world import TODAY

ROOT = Path(__file__).resolve().parents[2]


def test_the_run_starts_at_noon_in_paris_and_stays_on_that_day():
    now = datetime.now(UTC).astimezone(zone("Europe/Paris"))
    assert OFFSET_ENV in os.environ  # loaded by `-p tests.support.clock`, before any test module
    assert now.date() == TODAY == today_in("Europe/Paris")
    assert now.time() >= time(12)  # twelve hours before the next midnight when the run began


def test_processes_the_suite_starts_share_its_clock():
    code = ("from tests.support import clock; clock.start(); from datetime import UTC, datetime; "
            "from domain.core.clock import zone; print(datetime.now(UTC).astimezone(zone('Europe/Paris')).isoformat())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    theirs = datetime.fromisoformat(out.stdout.strip())
    assert theirs.date() == TODAY and theirs.time() >= time(12)
