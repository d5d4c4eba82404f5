"""Authenticated encryption of values at rest, with a list of keys for rotation.

Keys come from `settings.FIELD_ENCRYPTION_KEYS` (parsed from the comma-separated
`FIELD_ENCRYPTION_KEY`, newest first). The newest key encrypts; every configured
key decrypts, so rotating is: put the new key in front, run
`manage.py rotate_encryption_keys`, then drop the old key.

A token reads `enc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`:

- AES-256-GCM (a 96-bit random nonce per value, a 128-bit tag), so a modified
  token fails to decrypt instead of decrypting to garbage;
- the 256-bit AES key is derived from the configured key string with HKDF-SHA256,
  so any long random string works as a key (a Fernet key, `token_urlsafe(32)`);
- the key id is a short fingerprint of the derived key (never the key itself):
  decryption picks the key by id, and a value written with a key that is no
  longer configured says so instead of failing as "corrupt";
- `aad` (associated data: the model field's label) is authenticated but not
  stored, so a token copied into another column does not decrypt there.

Error messages name key ids and lengths, never a value or a key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12
# Shorter strings are too easy to guess for a key; a generated one is ~43+ chars.
MIN_KEY_CHARS = 32
_HKDF_INFO = b"adloop field encryption v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted. The message never holds the value."""


class UnknownKeyError(DecryptionError):
    """The value was encrypted with a key that is no longer configured."""


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM


def _derive(material: str) -> _Key:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        material.encode()
    )
    key_id = hmac.new(raw, b"key id", hashlib.sha256).hexdigest()[:8]
    return _Key(key_id=key_id, aead=AESGCM(raw))


@dataclass(frozen=True)
class Keyring:
    """The derived keys, newest first."""

    keys: tuple[_Key, ...]

    @property
    def current(self) -> _Key:
        return self.keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in self.keys)

    def encrypt(self, plaintext: bytes, *, aad: str) -> str:
        key = self.current
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext, aad.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{key.key_id}:{body}"

    def decrypt(self, token: str, *, aad: str) -> bytes:
        key_id, blob = _split(token)
        candidates = [k for k in self.keys if k.key_id == key_id]
        if not candidates:
            raise UnknownKeyError(
                f"This value was encrypted with key {key_id}, which is not in "
                f"FIELD_ENCRYPTION_KEY (configured: {', '.join(self.key_ids)}). "
                "Add that key back (after the newest) to read it."
            )
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        for key in candidates:  # more than one only on a fingerprint collision
            try:
                return key.aead.decrypt(nonce, sealed, aad.encode())
            except InvalidTag:
                continue
        raise DecryptionError(
            f"A value encrypted with key {key_id} failed authentication for "
            f"{aad}: it was modified, or copied from another field."
        )


def _split(token: str) -> tuple[str, bytes]:
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError(
            f"Not an encrypted value (expected '{PREFIX}:<key id>:<data>')."
        )
    try:
        blob = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("An encrypted value is not valid base64.") from exc
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("An encrypted value is truncated.")
    return parts[1], blob


def token_key_id(token: str) -> str:
    """The key id a token was written with (no decryption)."""
    return _split(token)[0]


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{PREFIX}:")


@lru_cache(maxsize=8)
def _keyring_for(materials: tuple[str, ...]) -> Keyring:
    if not materials:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is empty: set one key (or several, comma "
            "separated, newest first) to store channel credentials."
        )
    for position, material in enumerate(materials, start=1):
        if len(material) < MIN_KEY_CHARS:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY: key #{position} has {len(material)} "
                f"characters; use at least {MIN_KEY_CHARS} random ones, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
    keys = tuple(_derive(m) for m in materials)
    return Keyring(keys=keys)


def keyring() -> Keyring:
    """The keyring for the current settings (cached per key list, so tests that
    override `FIELD_ENCRYPTION_KEYS` see their own keys)."""
    return _keyring_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: bytes, *, aad: str) -> str:
    return keyring().encrypt(plaintext, aad=aad)


def decrypt(token: str, *, aad: str) -> bytes:
    return keyring().decrypt(token, aad=aad)
