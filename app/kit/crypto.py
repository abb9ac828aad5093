"""Encryption at rest (AES-GCM) and keyed look-up hashes for personal data (PIPL Art. 51)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"  # bump when the key or scheme changes; old rows stay readable by version


class FieldCipher:
    def __init__(self, key_b64: str, hash_key: str) -> None:
        key = base64.b64decode(key_b64)
        if len(key) != 32:
            raise ValueError("the data encryption key must be 32 bytes, base64-encoded")
        self._aead = AESGCM(key)
        self._hash_key = hash_key.encode()

    def encrypt(self, plaintext: str, *, context: bytes) -> bytes:
        # The context (table and column) is bound as associated data, so a ciphertext copied
        # into another column does not decrypt.
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), context)

    def decrypt(self, blob: bytes, *, context: bytes) -> str:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, ciphertext = blob[1:13], blob[13:]
        return self._aead.decrypt(nonce, ciphertext, context).decode()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
