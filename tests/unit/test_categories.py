"""The category of the operation derived from the lines (domain.billing.categories)."""

from types import SimpleNamespace

import pytest

from domain.billing import categories

CATALOG = {"radiateur fonte 1 200 w": "goods", "recherche de fuite": "services"}


def line(label, unit="u", kind="item"):
    return SimpleNamespace(label=label, unit=unit, kind=kind)


@pytest.mark.parametrize("lines, expected", [
    ([line("Remplacement du chauffe-eau")], "services"),  # work, even counted in units
    ([line("Main-d'œuvre", "h"), line("Déplacement", "forfait")], "services"),
    ([line("Radiateur fonte 1 200 W")], "goods"),  # a catalogue "fourniture"
    ([line("RADIATEUR  fonte 1 200 W")], "goods"),  # matched folded, spaces collapsed
    ([line("Sable de rejointoiement", "kg"), line("Béton", "m³")], "goods"),  # sold by weight or volume
    ([line("Radiateur fonte 1 200 W"), line("Pose", "h")], "mixed"),
    ([line("Recherche de fuite", "kg")], "services"),  # the catalogue says so, whatever the unit
    ([line("Lot 1", kind="section"), line("Radiateur fonte 1 200 W")], "goods"),  # titles say nothing
    ([], "services"),
])
def test_category_from_the_lines(lines, expected):
    assert categories.from_lines(lines, CATALOG) == expected


def test_a_typed_category_is_checked():
    assert categories.check("") is None and categories.check(None) is None
    assert categories.check("mixed") == "mixed"
    with pytest.raises(ValueError):
        categories.check("biens")
