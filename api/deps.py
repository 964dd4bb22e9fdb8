"""FastAPI dependencies: the database session, settings and the paging parameters every list takes."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.db import read_session
from api.errors import InvalidQuery
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Settings


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


async def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> AsyncIterator[Session]:
    """A read session for the length of one request (it connects lazily, on the first query)."""
    with read_session(engine) as session:
        yield session


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


def dialect_of(session: Session) -> str:
    """The name of the database dialect behind a session: `sqlite` or `postgresql`."""
    return session.get_bind().dialect.name


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
EngineDep = Annotated[Engine, Depends(get_engine)]


@dataclass(frozen=True)
class Paging:
    """The paging parameters of a list request, validated."""

    limit: int
    offset: int
    cursor: str | None
    sort: str | None


async def get_paging(
    settings: SettingsDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page, 1 to 500.", examples=[50])
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[
        int,
        Query(
            ge=0,
            description="Items to skip (at most LABORWATCH_MAX_OFFSET); deeper, follow `next`.",
            examples=[0],
        ),
    ] = 0,
    cursor: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Opaque cursor from a previous page's `next` link (made for the same `sort`).",
            examples=["WyJpZCIsImNsbS0wMDAwMDAwMDAwMDAwMDAwMDAwMCIsImNsbS0wMDAwMDAwMDAwMDAwMDAwMDAwMCIsNTBd"],
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=64,
            description="FIELD or -FIELD from the endpoint's allow-list; default `id`.",
            examples=["-workers"],
        ),
    ] = None,
) -> Paging:
    """Validate limit, offset, cursor and sort (the allow-list is checked by each list)."""
    if offset > settings.max_offset:
        raise InvalidQuery(
            f"offset may be at most {settings.max_offset}; follow the `next` link to go deeper.",
            [{"loc": ["query", "offset"], "msg": f"must be at most {settings.max_offset}"}],
        )
    return Paging(limit, offset, cursor, sort)


PagingDep = Annotated[Paging, Depends(get_paging)]
