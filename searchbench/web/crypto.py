"""Encryption at rest for endpoint credentials.

The Fernet key is derived from the Django secret key (HKDF-SHA256 with a fixed, purpose-specific
info string), so there is one secret to manage. Rotating SEARCHBENCH_SECRET_KEY makes stored
credentials unreadable: decrypt() then raises CredentialError and the user re-enters them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"searchbench endpoint credentials v1"


class CredentialError(ValueError):
    """A stored credential cannot be decrypted (wrong or rotated secret key, corrupted value)."""


def _fernet(secret_key: str | None = None) -> Fernet:
    if secret_key is None:
        from django.conf import settings

        secret_key = settings.SECRET_KEY
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(plaintext: str, secret_key: str | None = None) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise CredentialError(
            "stored credential cannot be decrypted (was SEARCHBENCH_SECRET_KEY changed?); "
            "enter the password again"
        ) from None
