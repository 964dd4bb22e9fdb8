"""FastAPI dependencies: settings, the engine, a read connection, and the check of query parameter names."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from api.errors import InvalidQuery
from api.settings import Settings


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


async def get_db(request: Request) -> AsyncIterator[Connection]:
    """A read connection for the route's body: every query of it sees one snapshot.

    It goes back to the pool as soon as the route returns (`scope="function"` below), before the answer
    is sent: a slow client never holds a connection, and concurrent requests need no more than the pool.
    """
    engine: Engine = request.app.state.engine
    with engine.connect() as db:
        yield db


_allowed_params: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _query_params_of(route: Any) -> frozenset[str]:
    key = id(route)
    if key not in _allowed_params:
        dependant = getattr(route, "dependant", None)
        _allowed_params[key] = frozenset(_query_names(dependant) if dependant is not None else ())
    return _allowed_params[key]


async def check_query(request: Request) -> None:
    """Refuse query parameters the endpoint does not take, and NUL characters in the query or path.

    A misspelt filter (`contry=RU`) would otherwise be ignored silently and answer every row.
    """
    allowed = _query_params_of(request.scope.get("route"))
    for name, value in request.path_params.items():
        if "\x00" in str(value):
            raise InvalidQuery(
                "Paths must not contain NUL characters.",
                [{"loc": ["path", name], "msg": "contains a NUL character"}],
            )
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidQuery(
                "Query parameters must not contain NUL characters.",
                [{"loc": ["query", name.replace("\x00", "")], "msg": "contains a NUL character"}],
            )
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "no query parameters"
            raise InvalidQuery(
                f"Unknown query parameter {name!r}; this endpoint takes: {takes}.",
                [{"loc": ["query", name], "msg": "unknown query parameter"}],
            )


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ReadDep = Annotated[Connection, Depends(get_db, scope="function")]
EngineDep = Annotated[Engine, Depends(get_engine)]
