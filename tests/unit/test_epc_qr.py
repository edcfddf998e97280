"""EPC069-12 payload and QR encoding (decoded back with zxing-cpp)."""

import base64
import io
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image

from output.epc_qr import (
    creditor_reference,
    epc_payload,
    epc_qr_png_data_uri,
    epc_qr_svg_data_uri,
    normalize_iban,
)

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_COMPACT = "FR7630006000011234567890189"


def test_payload_fields_in_order():
    payload = epc_payload("Martin Plomberie", IBAN, "AGRIFRPP", 334293, "F-2026-0042")
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "AGRIFRPP",
        "Martin Plomberie",
        IBAN_COMPACT,
        "EUR3342.93",
        "",
        "",
        "F-2026-0042",
    ]


def test_an_rf_reference_goes_in_the_structured_field_and_the_number_beside_it():
    """EPC069-12: structured (field 10) or unstructured (field 11) remittance, never both; field 12
    is shown to the payer only."""
    payload = epc_payload("Martin Plomberie", IBAN, "AGRIFRPP", 334293, "RF69F20260042", note="Facture F-2026-0042")
    assert payload.split("\n")[8:] == ["", "RF69F20260042", "", "Facture F-2026-0042"]
    # Printed with spaces or in lower case, it is still the reference, sent compact.
    assert epc_payload("X", IBAN, None, 100, "rf69 f202 6004 2").split("\n")[9:] == ["RF69F20260042"]


def test_text_that_is_not_a_valid_rf_reference_stays_free_text():
    # Wrong check digits, or a word that merely starts with RF: the unstructured field, as typed.
    for text in ("RF70F20260042", "RFACTURE 12", "F-2026-0042"):
        fields = epc_payload("X", IBAN, None, 100, text, note="ignored without a structured reference").split("\n")
        assert fields[9:] == ["", text]
    assert creditor_reference("RF18 5390 0754 7034") == "RF18539007547034"
    assert creditor_reference("RF18 5390 0754 7035") is None
    assert creditor_reference(None) is None


def test_note_is_one_line_and_cut_to_70_characters():
    fields = epc_payload("X", IBAN, None, 100, "RF69F20260042", note="N" * 80 + "\nFR00EVIL").split("\n")
    assert len(fields) == 12 and fields[11] == "N" * 70


def test_bic_is_optional_in_version_002():
    payload = epc_payload("Martin Plomberie", IBAN, None, 100, "F-1")
    assert payload.split("\n")[4] == ""
    assert "EUR1.00" in payload


@pytest.mark.parametrize(
    ("cents", "field"),
    [(1, "EUR0.01"), (10, "EUR0.10"), (123456, "EUR1234.56"), (99_999_999_999, "EUR999999999.99")],
)
def test_amount_format(cents, field):
    assert epc_payload("X", IBAN, None, cents, "F-1").split("\n")[7] == field


@pytest.mark.parametrize("cents", [0, -1, 100_000_000_000])
def test_amount_out_of_range(cents):
    with pytest.raises(ValueError):
        epc_payload("X", IBAN, None, cents, "F-1")


def test_amount_must_be_int_cents():
    with pytest.raises(TypeError):
        epc_payload("X", IBAN, None, 12.5, "F-1")


def test_iban_checksum_and_normalization():
    assert normalize_iban("fr76 3000 6000 0112 3456 7890 189") == IBAN_COMPACT
    with pytest.raises(ValueError):
        normalize_iban("FR76 3000 6000 0112 3456 7890 188")
    with pytest.raises(ValueError):
        epc_payload("X", "not an iban", None, 100, "F-1")


def test_invalid_bic():
    with pytest.raises(ValueError):
        epc_payload("X", IBAN, "AGRI", 100, "F-1")


def test_lengths_are_capped_and_newlines_cannot_shift_fields():
    payload = epc_payload("A" * 90 + "\nFR00EVIL", IBAN, None, 100, "R" * 200 + "\r\nX")
    fields = payload.split("\n")
    assert len(fields) == 11
    assert fields[5] == "A" * 70
    assert fields[6] == IBAN_COMPACT
    assert fields[10] == "R" * 140


def test_utf8_name_fits_331_bytes():
    payload = epc_payload("Électricité Générale Rhône-Alpes", IBAN, "AGRIFRPP", 100, "F-1")
    assert "Électricité" in payload
    assert len(payload.encode("utf-8")) <= 331


def _decode(image: Image.Image):
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0]


def test_png_qr_decodes_to_payload_with_level_m():
    payload = epc_payload("Martin Plomberie", IBAN, "AGRIFRPP", 334293, "F-2026-0042")
    uri = epc_qr_png_data_uri(payload)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    result = _decode(image)
    assert result.text == payload
    assert result.ec_level == "M"


def test_svg_qr_is_sized_for_print():
    payload = epc_payload("Martin Plomberie", IBAN, "AGRIFRPP", 334293, "F-2026-0042")
    uri = epc_qr_svg_data_uri(payload)
    assert uri.startswith("data:image/svg+xml")
    svg = unquote(uri.split(",", 1)[1])
    assert "width='30.0mm'" in svg or 'width="30.0mm"' in svg
