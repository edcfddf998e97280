"""Fixtures for the e-invoicing tests: the XML of every case, and the schematrons compiled once."""

from __future__ import annotations

import pytest

from output.einvoice import check as einvoice_check
from output.einvoice.cii import cii_xml

from . import cases


@pytest.fixture(scope="session")
def checker():
    """``output.einvoice.check`` with its stylesheets compiled once for the session (~1 s)."""
    einvoice_check.warm_up()
    return einvoice_check


@pytest.fixture(scope="session")
def case_xml() -> dict[str, bytes]:
    """The XML of every case of ``cases.ALL``, by name."""
    return {name: cii_xml(build()) for name, build in cases.ALL.items()}
