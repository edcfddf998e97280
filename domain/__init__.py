"""Business rules of Encaisse, grouped by feature (dependencies point down this list):

- ``core``: the company, its users and clients, the event history, the clock, idempotency;
- ``billing``: money (cents, VAT, rounding), documents, numbering, payments, catalogue,
  payment terms and late-payment rates, legal mentions, and what is printed and frozen at issue;
- ``collections``: reminders and plans, penalties, sending (each e-mail once), message
  templates, the daily run and the dashboard;
- ``portal``: the client link, the client's answers and the lifecycle of a document;
- ``banking``: bank statements read, imported once, and matched to invoices (beside ``portal``:
  it records payments through ``billing`` and nothing below it knows about it).
- ``einvoicing`` (beside portal): the approved platform — transmissions, lifecycle statuses,
  cash-in (212) reports, e-reporting, the directory.

Nothing here reads the request, the session or the current user: callers pass the company,
the actor and "today" in, and any side effect (sending a mail) as a function.
"""

MODEL_MODULES = ("domain.core.models", "domain.billing.models", "domain.collections.models", "domain.portal.models",
                 "domain.banking.models", "domain.einvoicing.models")


def load_models() -> None:
    """Import every table, so the metadata (and Alembic) sees them all."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)


def connect_subscribers() -> None:
    """Let features above billing react to its events in the same transaction (at app start)."""
    from domain.einvoicing import subscribers

    subscribers.connect()
