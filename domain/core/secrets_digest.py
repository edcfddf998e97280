"""Random secrets handed to a browser or an e-mail, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 32  # 256 bits: secrets.token_urlsafe(32), 43 characters of [A-Za-z0-9_-]


def new_secret() -> str:
    """A fresh URL-safe secret (never contains a dot)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    """SHA-256 (hex) of a secret: what the database stores and is searched by. A copy of the
    database (a backup) gives no usable session or link: the secret itself is nowhere."""
    return hashlib.sha256(secret.encode()).hexdigest()
