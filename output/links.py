"""Absolute links to put in e-mails."""


def client_link(doc) -> str:
    """Link to the document's page for the client (filled in by the client portal)."""
    return ""


def tracking_pixel_html(company, send) -> str:
    """The open-tracking pixel for an e-mail's HTML part ("" when the company switched it off).

    The client-portal feature serves it (endpoint "portal.pixel"); until then, nothing.
    """
    from flask import current_app, url_for

    if not company.open_tracking_enabled or not send.tracking_token or "portal.pixel" not in current_app.view_functions:
        return ""
    url = url_for("portal.pixel", token=send.tracking_token, _external=True)
    return f'<img src="{url}" width="1" height="1" alt="" style="display:none">'
