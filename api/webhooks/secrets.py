"""Webhook secrets: made (`whsec_...`), stored encrypted with the settings' key; Standard Webhooks signing.

A secret is `whsec_` and the base64 of 24 random bytes; the HMAC key is those bytes. The database holds the
secret encrypted (Fernet) with a key from `LABORWATCH_WEBHOOK_KEY` or its key file, so a dump of the
database alone does not let anyone sign events.
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from api.settings import Settings

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """A fresh webhook secret, as shown once to whoever registered the webhook."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key_text(settings: Settings) -> str:
    if settings.webhook_key:
        return settings.webhook_key
    path: Path = settings.webhook_key_file
    if not path.exists():
        # Created readable by its owner only, and never overwritten: a second process finds the first's.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="utf-8").strip()


def _fernet(settings: Settings) -> Fernet:
    # Any text makes a key: its SHA-256, as Fernet wants 32 bytes in URL-safe base64.
    digest = hashlib.sha256(_key_text(settings).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(settings: Settings, secret: str) -> str:
    """The secret as the database keeps it: encrypted with the settings' webhook key."""
    return _fernet(settings).encrypt(secret.encode()).decode()


class KeyMismatch(Exception):
    """A stored secret does not open with this key (another `LABORWATCH_WEBHOOK_KEY` sealed it)."""


def unseal(settings: Settings, sealed: str) -> str:
    """The secret a sealed value holds; raises `KeyMismatch` under another key."""
    try:
        return _fernet(settings).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise KeyMismatch("the webhook secret does not open with this LABORWATCH_WEBHOOK_KEY") from exc


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, keyed by the secret's base64 part."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_now: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one signature per valid secret, separated by spaces."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_now)
