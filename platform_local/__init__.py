"""A local approved e-invoicing platform (PA) speaking the AFNOR XP Z12-013 Flow and Directory APIs.

Standalone: Flask, openapi-core, lxml, factur-x and requests; nothing of the Encaisse app. It
validates every request and answer against the official definitions (spec/), plays lifecycle
statuses, pushes signed webhooks and takes injected faults. See README.md.
"""

from .app import create_platform_app, store_of
from .config import PlatformConfig
from .server import serve_in_thread

__all__ = ["PlatformConfig", "create_platform_app", "serve_in_thread", "store_of"]
