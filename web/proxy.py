"""Forwarded headers (X-Forwarded-For, -Proto, -Host) believed only from a configured proxy."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address, ip_network

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    """Werkzeug's ProxyFix, applied only to requests whose direct peer is a trusted proxy.

    ProxyFix alone believes X-Forwarded-For from anyone: with the app also reachable directly
    (gunicorn on 0.0.0.0, a misrouted load balancer), a client could choose a new address for
    every request and never be throttled per IP. Requests from anywhere else keep the address
    the connection came from, and their forwarded headers are ignored.
    """

    def __init__(self, app, *, hops: int, trusted: Iterable[str]) -> None:
        self.direct = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.networks = [ip_network(entry.strip(), strict=False) for entry in trusted]

    def is_trusted(self, remote_addr: str | None) -> bool:
        """True when the connection comes from one of the trusted proxies."""
        try:
            address = ip_address((remote_addr or "").strip())
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)


def install(app, hops: int, trusted: Iterable[str] | str) -> None:
    """Wrap the app's WSGI callable (`hops` = 0: forwarded headers are never believed)."""
    if hops <= 0:
        return
    if isinstance(trusted, str):  # ENCAISSE_TRUSTED_PROXIES="10.0.0.1, 10.0.0.2"
        trusted = [part for part in trusted.split(",") if part.strip()]
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops=hops, trusted=trusted)
