"""JSON answers serialized once, with orjson: the shaped dicts of every resource go out as they are."""

from typing import Any

import orjson
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"


def dumps(data: Any) -> bytes:
    """Serialize JSON-ready data (dicts, lists, str, int, float, bool, None) compactly as UTF-8."""
    return orjson.dumps(data)


def json_response(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An `application/json` answer of already shaped data (no model validation on the way out)."""
    return Response(dumps(data), status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)
