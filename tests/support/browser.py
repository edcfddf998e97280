"""What browser tests share: logging in, holding a request to look at the page while it waits,
axe-core, and the size of what a gloved finger has to hit.

No sleeps: a held request stays pending until the test releases it, so "while the answer is
on its way" is a state the test waits for, not a moment it hopes to catch.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from tests.support.config import TEST_PASSWORD

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-4.14.1.min.js"
LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
MIN_TARGET = 44  # px, both ways (WCAG 2.5.5, gloves)
MIN_TEXT = 14  # px


def login(page: Page, base_url: str, email: str = "artisan@test.example.fr", password: str = TEST_PASSWORD) -> None:
    """Log in through the login form and wait for the dashboard."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main h1").first).to_be_visible()


class Held:
    """Requests whose URL matches `pattern` wait until `release()`: the page can be looked at
    while the answer is on its way (a slow network, made deterministic)."""

    def __init__(self, page: Page, pattern: str | re.Pattern, method: str | None = None,
                 htmx_only: bool = False) -> None:
        self.page = page
        self.pattern = pattern
        self.method = method
        self.htmx_only = htmx_only
        self.routes: list[Route] = []
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        wanted = not self.method or route.request.method == self.method
        if not wanted or (self.htmx_only and "hx-request" not in route.request.headers):
            route.continue_()
            return
        self.routes.append(route)

    def wait(self, count: int = 1) -> None:
        """Wait until `count` requests are held (the page keeps running meanwhile)."""
        for _ in range(600):  # up to 30 s on a busy machine
            if len(self.routes) >= count:
                return
            self.page.wait_for_timeout(50)  # polling a state, not hoping for a moment
        raise AssertionError(f"{count} request(s) to {self.pattern} expected, {len(self.routes)} held")

    def release(self) -> None:
        """Let every held request go on, and stop holding."""
        routes, self.routes = self.routes, []
        for route in routes:
            route.continue_()
        self.page.unroute(self.pattern, self._hold)

    def fail(self) -> None:
        """Cut every held request (the network dropped), and stop holding."""
        routes, self.routes = self.routes, []
        for route in routes:
            route.abort("internetdisconnected")
        self.page.unroute(self.pattern, self._hold)


def run_axe(page: Page, context: str = "") -> list[dict]:
    """axe-core's violations on the current page (the context needs bypass_csp=True)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [{**v, "page": context} for v in violations]


# Every visible element a finger can hit, with its size; a checkbox or radio counts by its label.
_TARGETS_JS = """(minTarget) => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
        + '[tabindex]:not([tabindex="-1"])';
    const out = [];
    for (const el of document.querySelectorAll(selector)) {
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || style.display === 'none') continue;
        let box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        if (el.closest('[hidden], .sr-only')) continue;
        const label = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label');
        if (label) box = label.getBoundingClientRect();
        if (box.width < minTarget - 0.5 || box.height < minTarget - 0.5) {
            const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '').trim();
            const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
            out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name.slice(0, 40)}" ${size}`);
        }
    }
    return out;
}"""


def small_targets(page: Page) -> list[str]:
    """Visible interactive elements smaller than 44×44 px."""
    return page.evaluate(_TARGETS_JS, MIN_TARGET)


_SMALL_TEXT_JS = """(minText) => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        if (!node.textContent.trim()) continue;
        const el = node.parentElement;
        if (!el || el.closest('.sr-only, [hidden], script, style')) continue;
        const style = getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden') continue;
        const rects = el.getClientRects();
        if (!rects.length) continue;
        const size = parseFloat(style.fontSize);
        const text = node.textContent.trim().slice(0, 30);
        if (size < minText - 0.01) out.push(`${el.tagName.toLowerCase()}.${el.className} "${text}" ${size}px`);
    }
    return out;
}"""


def small_text(page: Page) -> list[str]:
    """Visible text set below 14 px."""
    return page.evaluate(_SMALL_TEXT_JS, MIN_TEXT)


class Draining:
    """The app behind the live server, counting the requests under way. At the end of a test
    the browser may still be talking to it (the service worker refreshing its copies): new
    requests are then answered 503 without the database, and the ones under way are waited
    for, so that none holds a database connection when the test's database goes."""

    def __init__(self, app) -> None:
        self.app = app
        self.closing = False
        self.running = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            if self.closing:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Connection", "close")])
                return [b"closing"]
            self.running += 1
        try:
            result = self.app(environ, start_response)
            try:
                return list(result)  # the whole answer, inside the count
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self.idle:
                self.running -= 1
                self.idle.notify_all()

    def drain(self, timeout: float) -> None:
        with self.idle:
            self.closing = True
            self.idle.wait_for(lambda: self.running == 0, timeout=timeout)
