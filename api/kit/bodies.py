"""Request bodies of the write routes: JSON only, each key once; constraint violations answered 409."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError

from api.errors import Conflict, UnsupportedMediaType


async def require_json(request: Request) -> None:
    """Refuse a write whose body is not JSON (415), or repeats a key in one of its objects (422).

    `curl -d` sends a form by default; JSON parsers silently keep a repeated key's last value. An object
    with more than `MAX_OBJECT_MEMBERS` members is refused here too, before the body is validated.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as JSON with `Content-Type: application/json` (got {media_type or 'none'!r})."
        )
    errors = repeated_keys(await request.body())
    if errors:
        raise RequestValidationError(errors)


# Members one JSON object of a body may have: every object of ours has a few dozen fields at most. Past it
# the body is refused before validation, which would otherwise name each unknown member (300,000 unknown
# keys made a 20 MB answer).
MAX_OBJECT_MEMBERS = 1000


class _TooManyMembers(ValueError):
    """An object of the body has more than `MAX_OBJECT_MEMBERS` members."""


class _Repeats(dict[str, Any]):
    """A JSON object that gave `key` more than once (kept whole, so that its place can be named)."""

    key = ""


def repeated_keys(body: bytes) -> list[dict[str, Any]]:
    """Each key given twice in one object of the JSON `body`, as a validation error at its place.

    A second parse of a body already parsed (by FastAPI, whose parser keeps a repeated key's last value):
    on 2 cores, +2 ms for a 5 MB report body, +30 ms for 5 MB of claims, +160 ms at worst (5 MB of empty
    objects). A body that is not JSON gives no error here (FastAPI has answered it already).
    """
    repeats = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeats
        if len(pairs) > MAX_OBJECT_MEMBERS:
            raise _TooManyMembers(len(pairs))
        found = dict(pairs)
        if len(found) == len(pairs):
            return found
        repeats = True
        marked = _Repeats(found)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.key = key
                break
            seen.add(key)
        return marked

    try:
        tree = json.loads(body, object_pairs_hook=pairs_hook)
    except _TooManyMembers as many:
        message = (
            f"an object of the body has {many.args[0]} members; no object takes more than "
            f"{MAX_OBJECT_MEMBERS}"
        )
        return [{"loc": ["body"], "msg": message, "type": "too_many_members"}]
    except ValueError:
        return []
    if not repeats:
        return []
    errors: list[dict[str, Any]] = []
    stack: list[tuple[list[str | int], Any]] = [(["body"], tree)]
    while stack:  # not recursive: nesting as deep as the parser allows is walked too
        loc, value = stack.pop()
        if isinstance(value, _Repeats):
            message = f"the key {value.key!r} is given more than once; give each key once"
            errors.append({"loc": [*loc, value.key], "msg": message, "type": "repeated_key"})
        if isinstance(value, dict):
            stack.extend(([*loc, key], item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in reversed(list(enumerate(value))))
    return errors


@contextmanager
def integrity_as_conflict() -> Iterator[None]:
    """Turn a constraint violation (two writers racing on one id) into a 409, never a 500."""
    try:
        yield
    except IntegrityError:
        raise Conflict("Another write changed the same data at the same time; try again.") from None
