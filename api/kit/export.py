"""Streaming exports of any list: CSV, NDJSON and GeoJSON, a keyset batch at a time (flat memory)."""

import csv
import io
import json
import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from enum import StrEnum
from types import UnionType
from typing import Any, Union, get_args, get_origin

import anyio
import anyio.to_thread
from pydantic import BaseModel
from sqlalchemy import Connection
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from api.kit.paging import Keyset, iter_batches
from api.kit.responses import dumps

log = logging.getLogger("laborwatch")
CHUNK_BYTES = 64 * 1024
# A resource's shaping: rows of its query, read on `db`, into the dicts its JSON, CSV and NDJSON carry.
Shaper = Callable[[Connection, Sequence[Any]], list[dict[str, Any]]]


class Format(StrEnum):
    """Output formats of list endpoints (`geojson` on facilities only)."""

    json = "json"
    csv = "csv"
    ndjson = "ndjson"
    geojson = "geojson"


MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.ndjson: "application/x-ndjson",
    Format.geojson: "application/geo+json",
}
EXPORT_CONTENT: dict[str, dict[str, Any]] = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
}
GEOJSON_CONTENT: dict[str, dict[str, Any]] = {"application/geo+json": {"schema": {"type": "object"}}}


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside `Model`, `Model | None` or `Optional[Model]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, UnionType):
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


def csv_columns(model: type[BaseModel]) -> list[str]:
    """The CSV header of a resource: its fields, nested objects as dotted columns (`location.lat`)."""
    columns: list[str] = []
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        if nested is None:
            columns.append(name)
        else:
            columns.extend(f"{name}.{inner}" for inner in csv_columns(nested))
    return columns


# What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection"): such text cells get a `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):  # numbers stay numbers, a negative longitude included
        return str(value)
    if isinstance(value, list):
        text = ";".join(_list_item(item) for item in value)
    elif isinstance(value, dict):  # free-form objects (an audit entry's before/after) as JSON text
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text_cell(text)


def text_cell(text: str) -> str:
    """A text as a CSV cell no spreadsheet runs: one starting like a formula is prefixed with `'`."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _list_item(item: Any) -> str:
    # A list of objects (a report's contributors) reads "first value (other values)", e.g. "Ana (author)".
    if isinstance(item, dict):
        values = [str(v) for v in item.values() if v is not None]
        return f"{values[0]} ({', '.join(values[1:])})" if len(values) > 1 else "".join(values)
    return str(item)


def csv_row(data: dict[str, Any], columns: list[str]) -> list[str]:
    """One CSV row of a serialized item, following `csv_columns`."""
    row = []
    for column in columns:
        value: Any = data
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        row.append(_cell(value))
    return row


def _csv_lines(columns: list[str], items: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for item in items:
        writer.writerow(csv_row(item, columns))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def chunked(pieces: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Group small pieces into chunks of about `size` bytes: one send per chunk, not per row."""
    buffer: list[bytes] = []
    filled = 0
    for piece in pieces:
        buffer.append(piece)
        filled += len(piece)
        if filled >= size:
            yield b"".join(buffer)
            buffer.clear()
            filled = 0
    if buffer:
        yield b"".join(buffer)


def geojson_feature(item: dict[str, Any]) -> dict[str, Any] | None:
    """A facility as a GeoJSON Feature: a Point at its location, its fields in `properties` (or None)."""
    location = item["location"]
    if location is None:
        return None
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [location["lon"], location["lat"]]},
        "properties": item,
    }


class ClientStalled(Exception):
    """An export's client took no chunk within `LABORWATCH_EXPORT_SEND_TIMEOUT_S`: its body is cut short."""


class ExportResponse(StreamingResponse):
    """A streamed export that gives back its connection and its export slot however the stream ends.

    Each chunk must be taken by the client within `send_timeout_s`: one that stops reading would
    otherwise hold the slot, the connection and its open read transaction for as long as it likes. When
    it has not, the body ends incomplete (the connection is closed short of the end, as when a statement
    runs past its time limit) and everything is given back. The closing (a cursor's close, a ROLLBACK)
    runs in a worker thread of `cleanup`, never on the event loop.
    """

    def __init__(
        self,
        content: Iterator[bytes],
        finish: Callable[[], None],
        *,
        send_timeout_s: float,
        cleanup: anyio.CapacityLimiter,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, **kwargs)
        self._content = content
        self._finish = finish
        self._send_timeout_s = send_timeout_s
        self._cleanup = cleanup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_in_time(message: Message) -> None:
            with anyio.move_on_after(self._send_timeout_s) as waited:
                await send(message)
            if waited.cancelled_caught:
                raise ClientStalled(f"the client took no data for {self._send_timeout_s} s")

        try:
            await super().__call__(scope, receive, send_in_time)
        except ClientStalled as stalled:
            # Returned without the final chunk: the server closes the connection, the body incomplete.
            log.warning("export cut short: %s", stalled)
        finally:
            # Shielded: on a disconnect the surrounding scope is cancelled, and the slot must still free.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._end, limiter=self._cleanup)

    def _end(self) -> None:
        # No thread iterates the body any more (Starlette waits for the one running), so closing it
        # here, on a disconnect too, ends the statement and returns the connection.
        try:
            close = getattr(self._content, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


def stream(
    db: Connection,
    keyset: Keyset,
    shape: Shaper,
    schema: type[BaseModel],
    fmt: Format,
    name: str,
    *,
    send_timeout_s: float,
    cleanup: anyio.CapacityLimiter,
    release: Callable[[], None] = lambda: None,
) -> ExportResponse:
    """Stream every row of the keyset's query in `fmt` on `db`, one read transaction, a batch at a time.

    The first batch is read here, before any header is sent: a query that runs past the statement time
    limit is then answered 503 like any read, not cut off after a 200. `db` is closed and `release`
    called when the body ends, the client goes or stalls past `send_timeout_s` (the caller closes `db`
    if this raises), in a thread of `cleanup`. Each batch is shaped by the resource's one `shape`
    function, the same dicts the JSON page holds.
    """
    batches = iter_batches(db, keyset)
    first = next(batches, [])

    def items() -> Iterator[dict[str, Any]]:
        yield from shape(db, first)
        for rows in batches:
            yield from shape(db, rows)

    def pieces() -> Iterator[bytes]:
        if fmt is Format.csv:
            columns = csv_columns(schema)
            yield (",".join(columns) + "\r\n").encode()
            for line in _csv_lines(columns, items()):
                yield line.encode()
        elif fmt is Format.ndjson:
            for item in items():
                yield dumps(item) + b"\n"
        else:
            yield b'{"type":"FeatureCollection","features":['
            separator = b""
            for item in items():
                feature = geojson_feature(item)
                if feature is not None:
                    yield separator + dumps(feature)
                    separator = b","
            yield b"]}"

    extension = {Format.csv: "csv", Format.ndjson: "ndjson", Format.geojson: "geojson"}[fmt]
    return export_response(
        db,
        pieces(),
        batches,
        media_type=MEDIA_TYPES[fmt],
        filename=f"laborwatch-{name}.{extension}",
        send_timeout_s=send_timeout_s,
        cleanup=cleanup,
        release=release,
    )


def export_response(
    db: Connection,
    pieces: Iterator[bytes],
    reading: Generator[Any],
    *,
    media_type: str,
    filename: str,
    send_timeout_s: float,
    cleanup: anyio.CapacityLimiter,
    release: Callable[[], None],
) -> ExportResponse:
    """The streamed answer of an export whose first rows are read: `pieces` in chunks, as an attachment.

    When the body ends (or the client goes or stalls), `reading` (the generator that reads the rows) is
    closed, then `db`, and `release` is called, in a thread of `cleanup`.
    """

    def finish() -> None:
        try:
            reading.close()
            db.close()
        finally:
            release()

    return ExportResponse(
        chunked(pieces),
        finish,
        send_timeout_s=send_timeout_s,
        cleanup=cleanup,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
