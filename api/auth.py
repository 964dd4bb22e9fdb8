"""Write keys and their roles: creating, listing and revoking keys, and admitting a write.

A write is admitted in `WriteKeyMiddleware`, before anything reads the request: the client address's
failed-key count, the key (`Authorization: Bearer KEY`), the key's role against the route's, and the
write rate of the key and of the address. The route states its role by the dependency it takes
(`EditorKeyDep` or `AdminKeyDep`), which also declares the bearer scheme in OpenAPI.
"""

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Request, Security
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col, select
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.clients import client_of
from api.db import read_session
from api.errors import (
    Conflict,
    Forbidden,
    LaborwatchError,
    NotFound,
    TooManyRequests,
    Unauthorized,
    error_problem,
    is_unavailable,
    problem_responses,
    unavailable_problem,
)
from api.ratelimit import RateLimits
from models import ApiKey
from models.base import utc_now

KEY_PREFIX = "lw_"
KEY_TOKEN_BYTES = 32  # random bytes in a key, written as URL-safe base64 without padding
KEY_PATTERN = re.compile(rf"{re.escape(KEY_PREFIX)}[A-Za-z0-9_-]{{{math.ceil(KEY_TOKEN_BYTES * 4 / 3)}}}")
"""What a laborwatch key looks like, wherever it is written (so that logs can redact it)."""
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Role(StrEnum):
    """What a key may write: an editor adds, replaces and corrects; an admin also deletes and merges."""

    EDITOR = "editor"
    ADMIN = "admin"


def allows(role: str, needed: Role) -> bool:
    """Tell whether a key of `role` may make a write that needs `needed` (an admin may make every write)."""
    return role == Role.ADMIN or needed is Role.EDITOR


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


def authenticate(session: Session, header: str | None) -> Principal:
    """The key in an `Authorization: Bearer KEY` header, or raise `Unauthorized`."""
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("This request writes: send `Authorization: Bearer KEY` with a laborwatch key.")
    principal = principal_for(session, presented.strip())
    if principal is None:
        raise Unauthorized("The key is not valid (unknown or revoked).")
    return principal


def check_role(principal: Principal, needed: Role) -> None:
    """Raise `Forbidden` unless the key's role allows a write that needs `needed`."""
    if not allows(principal.role, needed):
        raise Forbidden(
            f"This key's role ({principal.role}) may add, replace and correct; "
            f"this write needs an {needed} key."
        )


BEARER = HTTPBearer(
    scheme_name="writeKey",
    bearerFormat="lw_...",
    description="A laborwatch write key, made with `laborwatch keys create NAME [--role admin|editor]`. "
    "An editor adds, replaces and corrects; an admin also deletes and merges (the operations whose "
    "security lists `admin`).",
    auto_error=False,  # the middleware answers a missing or malformed key, as a problem document
)
Credentials = HTTPAuthorizationCredentials | None


def _principal(request: Request) -> Principal:
    checked = request.scope.get("state", {}).get("principal")
    if isinstance(checked, Principal):
        return checked
    with read_session(request.app.state.engine) as session:  # an app without the middleware
        return authenticate(session, request.headers.get("authorization"))


def require_editor(request: Request, _credentials: Annotated[Credentials, Security(BEARER)]) -> str:
    """Admit a write any active key may make (add, replace, correct): the key's name, or 401."""
    return _principal(request).name


def require_admin(
    request: Request, _credentials: Annotated[Credentials, Security(BEARER, scopes=[Role.ADMIN.value])]
) -> str:
    """Admit a write only an admin key may make (delete, merge): the key's name, or 401 / 403."""
    principal = _principal(request)
    check_role(principal, Role.ADMIN)
    return principal.name


EditorKeyDep = Annotated[str, Security(require_editor)]
AdminKeyDep = Annotated[str, Security(require_admin)]


def route_for(routes: Sequence[BaseRoute], scope: Scope) -> BaseRoute | None:
    """The route (as declared, with its dependencies) that a request would reach, or None.

    Routers included in the app are walked down to their routes, as FastAPI itself walks them.
    """
    for context in iter_route_contexts(routes):
        if context.matches(scope)[0] is Match.FULL:
            return context.original_route
    return None


def _calls(dependant: Any, function: Callable[..., Any]) -> bool:
    return dependant.call is function or any(_calls(sub, function) for sub in dependant.dependencies)


def required_role(route: BaseRoute) -> Role:
    """The role a write route needs: admin if it takes `AdminKeyDep`, else editor (any key).

    Read from the route on every write (a walk of a few dependencies), never cached by route identity.
    """
    dependant = getattr(route, "dependant", None)
    admin = dependant is not None and _calls(dependant, require_admin)
    return Role.ADMIN if admin else Role.EDITOR


class WriteKeyMiddleware:
    """Admit or refuse a write before anything reads the request, so a keyless write is always a 401.

    Only requests that reach a write route are checked (an unknown path stays a 404, a wrong method a
    405). In order: an address over the failed-key limit is 429 (its key is not even looked at, so
    guessing cannot go on; keys being looked up count against the limit, so concurrent guesses cannot
    outrun it); a missing, malformed, unknown or revoked key is 401 (counted against the
    address when a key was presented); a role without the right is 403; a key or address over the write
    limit is 429. A database outage meanwhile is 503. The key is left in the request state for the route.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Callable[[], Sequence[BaseRoute]],
        engine: Callable[[], Engine],
        limits: RateLimits,
        trusted_proxies: list[str],
    ) -> None:
        self.app = app
        self.routes = routes
        self.engine = engine
        self.limits = limits
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._write_route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._admit(scope, required_role(route))
        except LaborwatchError as exc:
            await error_problem(exc)(scope, receive, send)
            return
        except SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            await unavailable_problem(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _write_route(self, scope: Scope) -> BaseRoute | None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            return None
        return route_for(self.routes(), scope)

    async def _admit(self, scope: Scope, needed: Role) -> Principal:
        address = client_of(scope, self.trusted_proxies)
        wait = self.limits.start_lookup(address)
        if wait is not None:
            raise TooManyRequests(
                f"Too many refused keys from this address; try again in {wait} s.", retry_after=wait
            )
        header = Headers(scope=scope).get("authorization")
        failed = False
        try:
            principal = await anyio.to_thread.run_sync(self._authenticate, header)
        except Unauthorized:
            failed = header is not None  # a request without a key guesses nothing
            raise
        finally:
            self.limits.end_lookup(address, failed=failed)
        check_role(principal, needed)
        wait = self.limits.take_write(principal.name, address)
        if wait is not None:
            raise TooManyRequests(
                f"Too many writes from this key or address; try again in {wait} s.", retry_after=wait
            )
        return principal

    def _authenticate(self, header: str | None) -> Principal:
        with read_session(self.engine()) as session:
            return authenticate(session, header)


def declare_key_errors(operation: dict[str, Any]) -> None:
    """Declare in an OpenAPI operation that takes a key its 401 and 429, and 403 if it needs an admin."""
    requirements = operation.get("security", [])
    if not requirements:
        return
    admin = any(Role.ADMIN.value in scopes for requirement in requirements for scopes in requirement.values())
    statuses = (401, 403, 429) if admin else (401, 429)
    for status, response in problem_responses(*statuses).items():
        operation["responses"].setdefault(str(status), response)
