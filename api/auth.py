"""Write keys: creating, listing and revoking them, and checking `Authorization: Bearer KEY`."""

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from sqlmodel import col, select

from api.deps import SessionDep
from api.errors import Conflict, NotFound, Unauthorized
from models import ApiKey
from models.base import utc_now

KEY_PREFIX = "lw_"


def key_digest(key: str) -> str:
    """The SHA-256 of a key, the only form in which keys are stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str) -> str:
    """Store a new key under `name` and return the key itself (it cannot be recovered later)."""
    if session.scalars(select(ApiKey).where(col(ApiKey.name) == name)).first() is not None:
        raise Conflict(f"A key named {name!r} exists already; revoke it or choose another name.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_sha256=key_digest(key)))
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


def key_name_for(session: Session, presented: str) -> str | None:
    """The name of the active key `presented` is, or None."""
    digest = key_digest(presented)
    api_key = session.scalars(
        select(ApiKey).where(col(ApiKey.key_sha256) == digest, col(ApiKey.revoked_at).is_(None))
    ).first()
    # The lookup is by a hash of a high-entropy key; the constant-time comparison guards the last step.
    if api_key is None or not hmac.compare_digest(api_key.key_sha256, digest):
        return None
    return api_key.name


def require_key(request: Request, session: SessionDep) -> str:
    """Authenticate a write: the name of the key in `Authorization: Bearer KEY`, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("This request writes: send `Authorization: Bearer KEY` with a laborwatch key.")
    name = key_name_for(session, presented.strip())
    if name is None:
        raise Unauthorized("The key is not valid (unknown or revoked).")
    return name


KeyNameDep = Annotated[str, Depends(require_key)]
