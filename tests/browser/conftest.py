"""Browser tests: the real app on a loopback server, driven by Debian's Chromium."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.support.browser import Draining

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TABLET = {"width": 1024, "height": 768}
# The machine is shared (2 cores, several suites at once): an issue renders a PDF, a page
# may wait on the SQLite write lock. Assertions wait for a state; give it time to arrive.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item, not only this directory's: mark only ours,
    # or `-m "not browser"` deselects the whole suite.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browser here: use Debian's, offline-friendly.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Service workers blocked: once the app's worker controls a page, Chromium may send the page's
    # requests through it, where the tests' request holding (page.route) never sees them. The
    # offline tests, which are about the worker, allow it (tests/browser/test_offline.py).
    return {**browser_context_args, "viewport": TABLET, "locale": "fr-FR", "timezone_id": "Europe/Paris",
            "service_workers": "block"}


@pytest.fixture
def app_config(app_config):
    # The real thing: CSRF on, as in production.
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port for the duration of a test."""
    served = Draining(app)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    # As `make run` does: the public address links are made from (never a request's Host).
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        served.drain(timeout=10)
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
