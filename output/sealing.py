"""Sealing a secret with a key the database does not hold (the platform's client secret).

A database copy or a backup must not reveal the secret in clear, so it is stored sealed with a
key derived from the application's SECRET_KEY, which lives in the environment or in
instance/secret_key, never in the database. The machine has no encryption library (no
`cryptography`), so the construction is the standard-library one, encrypt-then-MAC:

- two keys derived from SECRET_KEY with HMAC-SHA256 as an HKDF-Expand step (RFC 5869), one to
  encrypt and one to authenticate, each bound to a `purpose` label;
- the keystream is HMAC-SHA256(enc_key, nonce ‖ counter) — HMAC used as a pseudo-random function
  in counter mode — XORed with the plaintext; a fresh 16-byte random nonce per seal;
- the tag is HMAC-SHA256(mac_key, version ‖ nonce ‖ ciphertext), checked in constant time before
  anything is decrypted.

Changing SECRET_KEY makes the sealed values unreadable (`unseal` raises SealBroken): the company
types its secret again. Nothing here knows the database or Flask.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = b"s1"
NONCE_BYTES = 16
TAG_BYTES = 32


class SealBroken(ValueError):
    """The sealed value was altered, or sealed with another key (SECRET_KEY changed)."""


def _keys(secret_key: str, purpose: str) -> tuple[bytes, bytes]:
    if not secret_key:
        raise ValueError("a secret key is required to seal")
    # HKDF-Extract with a fixed salt, then Expand for two labelled keys (RFC 5869 §2.2-2.3).
    prk = hmac.new(b"encaisse-sealing", secret_key.encode("utf-8"), hashlib.sha256).digest()
    enc = hmac.new(prk, f"enc:{purpose}".encode() + b"\x01", hashlib.sha256).digest()
    mac = hmac.new(prk, f"mac:{purpose}".encode() + b"\x01", hashlib.sha256).digest()
    return enc, mac


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def seal(secret_key: str, purpose: str, plaintext: str) -> str:
    """The text sealed for storage: 's1.' + base64(nonce ‖ ciphertext ‖ tag)."""
    enc, mac = _keys(secret_key, purpose)
    data = plaintext.encode("utf-8")
    nonce = secrets.token_bytes(NONCE_BYTES)
    cipher = bytes(a ^ b for a, b in zip(data, _stream(enc, nonce, len(data)), strict=True))
    tag = hmac.new(mac, VERSION + nonce + cipher, hashlib.sha256).digest()
    return VERSION.decode() + "." + base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii")


def unseal(secret_key: str, purpose: str, sealed: str) -> str:
    """The plaintext of `seal`'s output; SealBroken when altered or sealed under another key."""
    version, _, body = sealed.partition(".")
    if version.encode() != VERSION or not body:
        raise SealBroken("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SealBroken("not a sealed value") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SealBroken("sealed value too short")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    enc, mac = _keys(secret_key, purpose)
    if not hmac.compare_digest(tag, hmac.new(mac, VERSION + nonce + cipher, hashlib.sha256).digest()):
        raise SealBroken("the sealed value does not match this key")
    return bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)), strict=True)).decode("utf-8")
