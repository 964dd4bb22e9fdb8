"""FastAPI dependencies: the database session, settings and the paging parameters every list takes."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.db import read_session
from api.errors import InvalidQuery
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Settings


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A read session for the length of one request."""
    with read_session(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Paging:
    """The paging parameters of a list request, validated."""

    limit: int
    offset: int
    cursor: str | None
    sort: str | None


def get_paging(
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
        Query(max_length=2000, description="Opaque cursor from a previous page's `next` link."),
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
