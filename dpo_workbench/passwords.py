"""Password hashes of the installation's users (PBKDF2-SHA256, salted).

The format is ``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>``, the one the demo
installation writes into its configuration database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 310_000


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """Return a salted PBKDF2-SHA256 hash of ``password``.

    Examples
    --------
    >>> h = hash_password("secret", iterations=1000, salt=b"0123456789abcdef")
    >>> h.startswith("pbkdf2_sha256$1000$")
    True
    >>> verify_password("secret", h), verify_password("Secret", h)
    (True, False)
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "$".join((ALGORITHM, str(iterations), _b64(salt), _b64(digest)))


def verify_password(password: str, encoded: str | None) -> bool:
    """Return True when ``password`` matches the stored hash ``encoded``."""
    if not encoded:
        return False
    try:
        algorithm, iterations, salt, digest = encoded.split("$")
        if algorithm != ALGORITHM:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                     base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
