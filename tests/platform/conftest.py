"""Fixtures for the platform connection: a local PA on loopback, a client, a webhook receiver, invoices.

Real HTTP everywhere: the client talks to `platform_local` served by werkzeug in a thread, and
that server validates every request and answer against the AFNOR definitions. The `pa` fixture
fails the test if any answer broke the definitions, if any request was invalid (unless the test
says it sent invalid ones on purpose), or if a request the client sent escaped validation.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator

import facturx
import pypdf
import pytest
import requests
from werkzeug.serving import make_server

from output.platform import PlatformClient
from tests.support.platform import (
    APPROVING_BUYER,
    CII_TEMPLATE,
    SELLER_SIREN,
    WEBHOOK_SECRET,
    LocalPlatform,
    RequestCounter,
    WebhookReceiver,
    start_local_platform,
)


@pytest.fixture
def make_cii() -> Callable[..., bytes]:
    """An EN 16931 CII invoice of 1 000 € HT + 20 % VAT (it passes the XSD, EN 16931 and BR-FR).

    `extra` is inserted in ExchangedDocument (an unknown element there breaks the schema);
    `grand_total` other than "1200.00" breaks EN 16931 rule BR-CO-15 but not the schema.
    """

    def build(number: str = "F-2027-0042", *, buyer: str = APPROVING_BUYER, seller: str = SELLER_SIREN,
              extra: str = "", grand_total: str = "1200.00") -> bytes:
        return CII_TEMPLATE.format(number=number, buyer=buyer, seller=seller, extra=extra,
                                   grand_total=grand_total).encode("utf-8")

    return build


@pytest.fixture
def make_facturx(make_cii) -> Callable[..., bytes]:
    """The same invoice as a Factur-X PDF (a blank page carrying the CII XML)."""

    def build(number: str = "F-2027-0042", **kwargs) -> bytes:
        writer = pypdf.PdfWriter()
        writer.add_blank_page(595, 842)
        page = io.BytesIO()
        writer.write(page)
        return facturx.generate_from_binary(page.getvalue(), make_cii(number, **kwargs), check_xsd=True)

    return build


@pytest.fixture
def pa_config() -> dict:
    """Settings of the `pa` fixture; override this fixture in a test module to change them."""
    return {}


@pytest.fixture
def pa(pa_config) -> Iterator[LocalPlatform]:
    """A fresh local platform; afterwards, every answer must have matched the definitions."""
    platform, stop = start_local_platform(pa_config)
    try:
        yield platform
    finally:
        platform.http.close()
        stop()
    store = platform.store
    assert store.violations == [], f"answers that broke the AFNOR definitions: {store.violations}"
    if not platform.expect_invalid_requests:
        invalid = [e for e in store.validation_log if e["request_errors"]]
        assert invalid == [], f"requests that broke the AFNOR definitions: {invalid}"


@pytest.fixture
def client(pa) -> Iterator[PlatformClient]:
    """A client of `pa`; afterwards, each AFNOR request it sent must appear in the validation log."""
    session = requests.Session()
    counter = RequestCounter()
    session.hooks["response"].append(counter)
    with PlatformClient(pa.settings(), session=session) as platform_client:
        yield platform_client
    session.close()
    with pa.store.lock:
        validated = len(pa.store.validation_log)
    assert validated >= counter.afnor, "a request of the client escaped validation"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens (bound, never listening: connections are refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(secret=WEBHOOK_SECRET)
    server = make_server("127.0.0.1", 0, hook, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/webhooks/plateforme"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
