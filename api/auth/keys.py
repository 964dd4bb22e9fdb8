"""Write keys and their roles: creating, listing and revoking keys, and who a presented key is.

Only a hash of each key is stored. A key's role says what it may write (`editor`, `admin`); the routes
declare the role they need with `api.auth.deps`, and `api.edge.writekeys` admits each write before the
route runs.
"""

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session
from sqlmodel import col, select

from api.errors import Conflict, Forbidden, NotFound, Unauthorized
from models import ApiKey
from models.base import utc_now

KEY_PREFIX = "lw_"
KEY_TOKEN_BYTES = 32  # random bytes in a key, written as URL-safe base64 without padding
KEY_PATTERN = re.compile(rf"{re.escape(KEY_PREFIX)}[A-Za-z0-9_-]{{{math.ceil(KEY_TOKEN_BYTES * 4 / 3)}}}")
"""What a laborwatch key looks like, wherever it is written (so that logs can redact it)."""
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Role(StrEnum):
    """What a key may do: read restricted reports (reader); add, replace, correct (editor); all (admin)."""

    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


_RANK = {Role.READER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
_MAY = {Role.READER: "read restricted reports and write nothing", Role.EDITOR: "add, replace and correct"}


def allows(role: str, needed: Role) -> bool:
    """Tell whether a key of `role` may do what needs `needed` (each role may do what those below it may)."""
    held = Role(role) if role in Role._value2member_map_ else None
    return held is not None and _RANK[held] >= _RANK[needed]


@dataclass(frozen=True)
class Principal:
    """The active key a write comes with: its name (what the audit log shows) and its role."""

    name: str
    role: str


def key_digest(key: str) -> str:
    """The SHA-256 of a key, the only form in which keys are stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: Role = Role.ADMIN) -> str:
    """Store a new key under `name` with `role` and return the key itself (it cannot be recovered later)."""
    if session.scalars(select(ApiKey).where(col(ApiKey.name) == name)).first() is not None:
        raise Conflict(f"A key named {name!r} exists already; revoke it or choose another name.")
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_TOKEN_BYTES)
    session.add(ApiKey(name=name, key_sha256=key_digest(key), role=Role(role).value))
    return key


def revoke_key(session: Session, name: str) -> None:
    """Revoke the key named `name`; it stops working at once."""
    api_key = session.scalars(select(ApiKey).where(col(ApiKey.name) == name)).first()
    if api_key is None or api_key.revoked_at is not None:
        raise NotFound(f"No active key named {name!r}.")
    api_key.revoked_at = utc_now()
    # Free the name for a new key while keeping the row (and the audit log's names) intact.
    api_key.name = f"{name}~revoked~{api_key.id}"
    session.add(api_key)


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, active and revoked, oldest first (hashes only)."""
    return list(session.scalars(select(ApiKey).order_by(col(ApiKey.id))))


def principal_for(session: Session, presented: str) -> Principal | None:
    """The active key `presented` is, or None."""
    digest = key_digest(presented)
    api_key = session.scalars(
        select(ApiKey).where(col(ApiKey.key_sha256) == digest, col(ApiKey.revoked_at).is_(None))
    ).first()
    # The lookup is by a hash of a high-entropy key; the constant-time comparison guards the last step.
    if api_key is None or not hmac.compare_digest(api_key.key_sha256, digest):
        return None
    return Principal(api_key.name, api_key.role)


def reader_for(session: Session, header: str) -> Principal:
    """The active key a read presents in its `Authorization` header, or raise `Unauthorized`.

    A read needs no key; one that sends a header must send a valid key, never getting a silent public
    answer for a wrong or revoked one.
    """
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("Send `Authorization: Bearer KEY` with a laborwatch key, or no Authorization.")
    principal = principal_for(session, presented.strip())
    if principal is None:
        raise Unauthorized("The key is not valid (unknown or revoked); send a valid key or none.")
    return principal


def authenticate(session: Session, header: str | None) -> Principal:
    """The key in an `Authorization: Bearer KEY` header, or raise `Unauthorized`."""
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized(
            "This request needs a key: send `Authorization: Bearer KEY` with a laborwatch key."
        )
    principal = principal_for(session, presented.strip())
    if principal is None:
        raise Unauthorized("The key is not valid (unknown or revoked).")
    return principal


def check_role(principal: Principal, needed: Role) -> None:
    """Raise `Forbidden` unless the key's role allows a write that needs `needed`."""
    if not allows(principal.role, needed):
        may = _MAY.get(Role(principal.role), "read") if principal.role in Role._value2member_map_ else "read"
        raise Forbidden(f"This key's role ({principal.role}) may {may}; this request needs an {needed} key.")
