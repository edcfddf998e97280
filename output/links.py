"""Absolute links to put in e-mails."""


def client_link(doc) -> str:
    """Link to the document's page for the client (filled in by the client portal)."""
    return ""
