"""Write keys: creating, listing and revoking them, and checking `Authorization: Bearer KEY`."""

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.db import read_session
from api.errors import Conflict, NotFound, Unauthorized, problem
from models import ApiKey
from models.base import utc_now

KEY_PREFIX = "lw_"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


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


def authenticate(session: Session, header: str | None) -> str:
    """The name of the key in an `Authorization: Bearer KEY` header, or raise `Unauthorized`."""
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("This request writes: send `Authorization: Bearer KEY` with a laborwatch key.")
    name = key_name_for(session, presented.strip())
    if name is None:
        raise Unauthorized("The key is not valid (unknown or revoked).")
    return name


def require_key(request: Request) -> str:
    """Authenticate a write: the key's name, as `WriteKeyMiddleware` found it (or checked here), or 401."""
    checked = getattr(request.state, "key_name", None)
    if isinstance(checked, str):
        return checked
    with read_session(request.app.state.engine) as session:
        return authenticate(session, request.headers.get("authorization"))


class WriteKeyMiddleware:
    """Check the key of a write before anything reads the request, so a keyless write is always a 401.

    Only requests that reach a write route are checked (an unknown path stays a 404, a wrong method a
    405); the key's name is left in the request state for the route.
    """

    def __init__(
        self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]], engine: Callable[[], Engine]
    ) -> None:
        self.app = app
        self.routes = routes
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or not self._is_write(scope):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization")
        try:
            name = await anyio.to_thread.run_sync(self._authenticate, header)
        except Unauthorized as exc:
            response = problem(401, exc.detail)
            response.headers["WWW-Authenticate"] = 'Bearer realm="laborwatch"'
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["key_name"] = name
        await self.app(scope, receive, send)

    def _is_write(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is Match.FULL for route in self.routes())

    def _authenticate(self, header: str | None) -> str:
        with read_session(self.engine()) as session:
            return authenticate(session, header)


KeyNameDep = Annotated[str, Depends(require_key)]
