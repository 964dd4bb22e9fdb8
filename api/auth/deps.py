"""What a route says about keys: the bearer scheme in OpenAPI, the role it needs, the key's name it gets.

A write route takes `EditorKeyDep` or `AdminKeyDep`; that one declaration gives OpenAPI its security
requirement and the write-key middleware (`api.edge.writekeys`) the role to check, read from the route's
signature by `write_routes`.
"""

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Security, params
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.keys import WRITE_METHODS, Principal, Role, authenticate, check_role
from api.db.engine import read_session
from api.errors import problem_responses
from api.kit.params import markers

BEARER = HTTPBearer(
    scheme_name="writeKey",
    bearerFormat="lw_...",
    description="A laborwatch key, made with `laborwatch keys create NAME [--role admin|editor|reader]`. "
    "Writes need one: an editor adds, replaces and corrects; an admin also deletes and merges (the "
    "operations whose security lists `admin`); a reader writes nothing (403). Reads may send one of any "
    "role to see restricted reports whole; a wrong or revoked key on a read is a 401.",
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


def _needs(call: Callable[..., Any], dependency: Callable[..., Any], seen: set[int]) -> bool:
    """Whether `call` declares `dependency` (a `Depends` or `Security` marker), directly or through others."""
    if id(call) in seen:
        return False
    seen.add(id(call))
    for parameter in inspect.signature(call).parameters.values():
        annotation, found = markers(parameter.annotation, parameter.default)
        for marker in found:
            if isinstance(marker, params.Depends):
                inner = marker.dependency or annotation
                if inner is dependency or _needs(inner, dependency, seen):
                    return True
    return False


def required_role(route: APIRoute) -> Role:
    """The role a write route needs: admin if it takes `AdminKeyDep`, else editor (any key)."""
    declared = [route.endpoint, *(d.dependency for d in route.dependencies if d.dependency is not None)]
    admin = any(_needs(call, require_admin, set()) for call in declared)
    return Role.ADMIN if admin else Role.EDITOR


def write_routes(routers: Iterable[APIRouter]) -> list[tuple[APIRoute, Role]]:
    """Every write route of `routers` (POST, PUT, PATCH, DELETE) with the role it needs, read once."""
    found: list[tuple[APIRoute, Role]] = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and set(route.methods or ()) & set(WRITE_METHODS):
                found.append((route, required_role(route)))
    return found


def declare_key_errors(operation: dict[str, Any]) -> None:
    """Declare in an OpenAPI operation that takes a key its 401 and 429, and on a write 403."""
    requirements = operation.get("security", [])
    if not requirements:
        return
    # A key of a role without the right is a 403 on every write (a reader key on an editor's write too);
    # a read takes any role's key, so it answers only 401 and 429.
    reads_only = requirements == [{}, {BEARER.scheme_name: []}]
    statuses = (401, 429) if reads_only else (401, 403, 429)
    for status, response in problem_responses(*statuses).items():
        operation["responses"].setdefault(str(status), response)
