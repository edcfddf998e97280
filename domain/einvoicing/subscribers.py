"""The e-invoicing handlers of billing events, subscribed once at app start (see __init__)."""

from __future__ import annotations

from domain.core import events
from domain.einvoicing import cashin, transmissions


def connect() -> None:
    """Subscribe the e-invoicing handlers to the billing events (idempotent)."""
    events.subscribe("issued", transmissions.on_issued)
    events.subscribe("payment_recorded", cashin.on_payment_recorded)
    events.subscribe("payment_cancelled", cashin.on_payment_cancelled)
