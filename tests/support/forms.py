"""Form data for the document pages, as the lines editor posts it."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

# The example, typed the way people type: "9,5", "38.40", "52".
EXAMPLE_ROWS = [
    {"label": "Tableau électrique", "quantity": "1", "unit": "u", "unit_price": "890,00", "vat_rate": "1000"},
    {"label": "Prises 16 A", "quantity": "12", "unit": "u", "unit_price": "38.40", "vat_rate": "1000"},
    {"label": "Main d'oeuvre", "quantity": "9,5", "unit": "h", "unit_price": "52", "vat_rate": "1000"},
    {"label": "Diagnostic", "quantity": "1", "unit": "forfait", "unit_price": "120,00", "vat_rate": "2000"},
]


def document_form(client_id, /, rows=EXAMPLE_ROWS, **fields) -> MultiDict:
    """POST data of the quote/invoice editor: header fields, then one block per row."""
    data = MultiDict()
    defaults = {"client_id": str(client_id), "subject": "Rénovation électrique", "vat_regime": "normal", "notes": ""}
    defaults.update({k: v for k, v in fields.items()})
    for key, value in defaults.items():
        if value is not None:
            data.add(key, value)
    for index, row in enumerate(rows):
        key = f"k{index}"
        data.add("row", key)
        data.add(f"line-{key}-kind", row.get("kind", "item"))
        for name, value in row.items():
            if name != "kind":
                data.add(f"line-{key}-{name}", value)
    return data


def settings_data(**overrides):
    """The settings form as an owner fills it, with `overrides`."""
    data = {
        "name": "Plomberie Martin", "trade_name": "", "legal_form": "SARL", "share_capital": "7 500",
        "siret": "732 829 320 00074", "rcs_rm": "RCS Lyon 732 829 320", "vat_regime": "normal",
        "vat_number": "FR44732829320", "address_line1": "5 rue Garibaldi", "address_line2": "",
        "postal_code": "69006", "city": "Lyon", "country": "France", "email": "contact@martin.example.fr",
        "phone": "04 78 00 00 00", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP",
        "payment_terms_days": "30", "late_penalty_rate": "", "early_payment_discount": "",
        "quote_validity_days": "60", "insurer_name": "MAAF Pro", "insurer_address": "", "insurance_policy": "D-1234",
        "insurance_coverage_area": "France métropolitaine", "timezone": "Europe/Paris",
    }
    data.update(overrides)
    return data
