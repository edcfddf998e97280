"""Fixtures for the bank statement tests: the sample files and a company's open invoices.

The samples in tests/data/bank are small statements of one fictitious company, Plomberie
Martin (IBAN FR76 3000 4000 0312 3456 7890 143), built from each format's published layout
and each bank's documented column titles (see domain/banking/bank_csv.LAYOUTS).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bank import BANK_DATA as DATA
from tests.support.bank import open_item, read


@pytest.fixture
def bank_data_dir() -> Path:
    """The folder of the sample statements (and of the CAMT.053 schema, in schemas/)."""
    return DATA


@pytest.fixture
def bank_file():
    """Read a sample statement by name."""
    return read




@pytest.fixture
def open_items():
    """Plomberie Martin's open invoices in March 2026 (ids 1 to 6)."""
    return [
        open_item(1, "F-2026-0042", 10, "Jean Dupont", 125000, "2026-02-20", "2026-03-22"),
        open_item(2, "F-2026-0041", 20, "SCI Les Terrasses", 120000, "2026-02-10", "2026-03-12"),
        open_item(3, "F-2026-0045", 20, "SCI Les Terrasses", 84000, "2026-02-25", "2026-03-27"),
        open_item(4, "F-2026-0050", 30, "SARL Bâti Rénov", 84000, "2026-03-01", "2026-03-31"),
        open_item(5, "F-2026-0044", 40, "Élodie Garcia", 90000, "2026-02-15", "2026-03-17"),
        # Stored without its reference (issued before references were printed).
        open_item(6, "F-2026-0047", 50, "Paul Lefèvre", 48000, "2026-02-15", "2026-03-17", rf=False),
    ]


@pytest.fixture
def make_item():
    """Build one OpenItem: make_item(id, number, client_id, name, remaining, issued, due)."""
    return open_item
