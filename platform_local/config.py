"""Settings of the local platform; `create_platform_app` takes one of these or a plain dict."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEMO_CLIENT_ID = "encaisse-demo"
DEMO_CLIENT_SECRET = "demo-secret-a-changer"  # the local platform only; never a real credential


@dataclass
class PlatformConfig:
    # OAuth2 clients (client_id -> client_secret); each one is a separate account on the platform.
    clients: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    token_ttl: int = 300  # seconds an access token lives
    # None: statuses only move when asked (POST /_control/advance): what tests want.
    # N: the platform integrates each flow at once and plays one status every N seconds (the demo).
    status_interval: float | None = None
    platform_id: str = "0999"  # this platform's registration number (scheme 0238) in the CDAR it writes
    max_upload_bytes: int = 10 * 1024 * 1024  # larger bodies get the definition's 413
    # Invalid responses (against the definitions) become a 500 and are recorded in `violations`.
    strict: bool = True
    state_file: str | None = None  # JSON file the demo keeps its flows in between runs
    # client_id -> {"url": ..., "secret": ...}; also settable with POST /_control/webhooks
    webhooks: dict[str, dict] = field(default_factory=dict)
    webhook_timeout: float = 5.0
    webhook_backoff: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0, 600.0)  # seconds before attempt 2, 3...
    max_hold: float = 30.0  # the longest a "hold" fault keeps an answer back

    @classmethod
    def from_any(cls, value: PlatformConfig | Mapping[str, Any] | None) -> PlatformConfig:
        if value is None:
            return cls()
        if isinstance(value, PlatformConfig):
            return value
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown platform settings: {sorted(unknown)}")
        return cls(**dict(value))
