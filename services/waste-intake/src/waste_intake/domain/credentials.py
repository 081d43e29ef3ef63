"""Facility API keys: 256 random bits shown once, kept only as their SHA-256.

A fast hash is right here (unlike for passwords): nobody can guess 256 random bits, so a
leaked hash does not help an attacker, and checking a key costs microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac

KEY_PREFIX = "zwk_"


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def matches(api_key: str, expected_sha256: str) -> bool:
    return hmac.compare_digest(key_hash(api_key), expected_sha256)
