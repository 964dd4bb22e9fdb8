"""Query parameters every route shares: the check of unknown and repeated names, filters of several values."""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import Request, params

from api.errors import InvalidQuery

T = TypeVar("T")


# How many values a filter that takes several (`country=RU&country=CN`: any of them) is given at most.
MAX_FILTER_VALUES = 50
ANY_OF = (
    f"Repeat the parameter to match any of several values (`?{{name}}={{a}}&{{name}}={{b}}`), at most "
    f"{MAX_FILTER_VALUES}; values are not split on commas."
)


def any_of_text(name: str, first: str, second: str) -> str:
    """The OpenAPI sentence of a filter that takes several values, with an example of its repetition."""
    return ANY_OF.format(name=name, a=first, b=second)


def distinct(values: Sequence[T] | None, normal: Callable[[T], T] = lambda value: value) -> tuple[T, ...]:
    """The values a filter was given, each once (normalised first), in the order given; none: ()."""
    return tuple(dict.fromkeys(normal(value) for value in values or ()))


@dataclass(frozen=True)
class QueryNames:
    """The query parameters a route takes, and those of them that take several values (lists)."""

    allowed: frozenset[str]
    repeatable: frozenset[str]


def markers(annotation: Any, default: Any) -> tuple[Any, tuple[Any, ...]]:
    """A parameter's type and its FastAPI markers (`Query(...)`, `Depends(...)`): `Annotated` or default."""
    found: tuple[Any, ...] = ()
    if get_origin(annotation) is Annotated:
        annotation, *rest = get_args(annotation)
        found = tuple(rest)
    if isinstance(default, params.Depends | params.Param):
        found += (default,)
    return annotation, found


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter's type is a list (or set, tuple), possibly optional: it may be repeated."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_takes_several(arm) for arm in get_args(annotation) if arm is not type(None))
    return get_origin(annotation) in (list, set, frozenset, tuple, Sequence)


# Types FastAPI reads from the query string when a parameter carries no marker (lists of them too).
_SCALARS = (str, int, float, bool, date, datetime, Enum)


def _scalar(annotation: Any) -> bool:
    """Whether an unmarked parameter of this type is a query parameter, as FastAPI decides it."""
    if get_origin(annotation) in (Union, UnionType):
        arms = [arm for arm in get_args(annotation) if arm is not type(None)]
        return bool(arms) and all(_scalar(arm) for arm in arms)
    if get_origin(annotation) in (list, set, frozenset, tuple, Sequence):
        return all(_scalar(arm) for arm in get_args(annotation) if arm is not Ellipsis)
    return isinstance(annotation, type) and issubclass(annotation, _SCALARS)


def _collect(call: Callable[..., Any], allowed: set[str], repeatable: set[str], seen: set[int]) -> None:
    """Add the query parameters `call` declares, and those of the dependencies it declares, to the sets.

    Read from the signatures of our own endpoints and dependencies (the `Query` and `Depends` markers
    they are written with), as FastAPI reads them, so that no FastAPI internals are walked.
    """
    if id(call) in seen:
        return
    seen.add(id(call))
    for name, parameter in inspect.signature(call).parameters.items():
        annotation, found = markers(parameter.annotation, parameter.default)
        if not found and _scalar(annotation):  # `kind: str | None = None`: a query parameter (or a path one)
            allowed.add(name)
            if _takes_several(annotation):
                repeatable.add(name)
        for marker in found:
            if isinstance(marker, params.Depends):
                _collect(marker.dependency or annotation, allowed, repeatable, seen)
            elif isinstance(marker, params.Query):
                alias = marker.alias or name
                allowed.add(alias)
                if _takes_several(annotation):
                    repeatable.add(alias)


_NAMES: dict[Callable[..., Any], QueryNames] = {}


def query_names(endpoint: Callable[..., Any] | None) -> QueryNames:
    """The query parameter names an endpoint takes (through all its dependencies), read once per endpoint."""
    if endpoint is None:
        return QueryNames(frozenset(), frozenset())
    names = _NAMES.get(endpoint)
    if names is None:
        allowed: set[str] = set()
        repeatable: set[str] = set()
        _collect(endpoint, allowed, repeatable, set())
        names = _NAMES[endpoint] = QueryNames(frozenset(allowed), frozenset(repeatable))
    return names


async def check_query(request: Request) -> None:
    """Refuse unknown query parameters, a scalar parameter given twice, and NUL in the query or path.

    A misspelt filter (`contry=RU`) would otherwise be ignored silently and answer every row, and of
    `dry_run=true&dry_run=false` the last would win. Only list parameters may be repeated (OpenAPI
    shows them as arrays).
    """
    names = query_names(request.scope.get("endpoint"))
    path_names = set(request.path_params)
    for name, value in request.path_params.items():
        if "\x00" in str(value):
            raise InvalidQuery(
                "Paths must not contain NUL characters.",
                [{"loc": ["path", name], "msg": "contains a NUL character"}],
            )
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidQuery(
                "Query parameters must not contain NUL characters.",
                [{"loc": ["query", name.replace("\x00", "")], "msg": "contains a NUL character"}],
            )
        if name not in names.allowed or name in path_names:
            takes = ", ".join(sorted(names.allowed - path_names)) or "no query parameters"
            raise InvalidQuery(
                f"Unknown query parameter {name!r}; this endpoint takes: {takes}.",
                [{"loc": ["query", name], "msg": "unknown query parameter"}],
            )
        if name in seen and name not in names.repeatable:
            raise InvalidQuery(
                f"Query parameter {name!r} is given more than once; it takes one value.",
                [{"loc": ["query", name], "msg": "given more than once; give it once"}],
            )
        seen.add(name)
