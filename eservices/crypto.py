"""Encryption at rest for personal identifiers (PESEL), with a blind index for exact lookups.

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; several keys may be configured so that
old ciphertexts stay readable while a new key is rolled out (the first key encrypts). Equality
search never decrypts the table: it compares an HMAC of the normalised value, keyed separately.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


@cache
def _keys() -> tuple[bytes, ...]:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    if not configured:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is not set.")
    return tuple(k.encode() for k in configured)


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(k, b"fernet"))) for k in _keys()])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Cannot decrypt: wrong key or tampered value.") from exc


def blind_index(value: str) -> str:
    """Keyed hash for equality lookups; always made with the first (current) key."""
    key = _derive(_keys()[0], b"blind-index")
    return hmac.new(key, value.strip().encode(), hashlib.sha256).hexdigest()


def reset_caches() -> None:
    """For tests that change the keys."""
    _keys.cache_clear()
    _fernet.cache_clear()
