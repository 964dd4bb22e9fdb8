"""Request ids (`X-Request-ID`) and one structured JSON log line per request, secrets redacted."""

import hashlib
import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth.keys import KEY_PATTERN, KEY_PREFIX
from api.edge.clients import client_of

access_log = logging.getLogger("laborwatch.access")

REQUEST_ID_HEADER = "X-Request-ID"
# An id a client may choose: short, and nothing that could break a log line or a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Query parameters whose values never reach a log: any whose name, decoded, lower-cased and with
# everything but letters and digits removed, contains one of these words (key, api_key, apikey, api-key,
# access_token, Authorization, client_secret, password, ...).
SECRET_NAME_WORDS = ("key", "token", "auth", "secret", "password", "passwd")
_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]")
REDACTED = "[redacted]"
# Attributes every LogRecord has; anything else was passed through `extra=` and goes into the JSON.
# uvicorn passes `color_message` (its message with ANSI colour codes) beside each message: never ours to log.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def new_request_id() -> str:
    """A fresh random request id (128 bits, hex)."""
    return secrets.token_hex(16)


def request_id_of(sent: str | None) -> str:
    """The id of a request: the client's own `X-Request-ID` when it is sane, else a new one.

    An id that holds a laborwatch key, or anything shaped like one (`lw_...`), is replaced: echoed or
    logged, a key sent there by mistake would leak to every log reader and cache on the way.
    """
    if sent is not None and _SANE_REQUEST_ID.fullmatch(sent) and not _looks_like_key(sent):
        return sent
    return new_request_id()


def _looks_like_key(text: str) -> bool:
    return KEY_PATTERN.search(text) is not None or KEY_PREFIX in text.lower()


def secret_name(name: str) -> bool:
    """Tell whether a (decoded) query parameter name says its value is a secret."""
    letters = _NOT_LETTER_OR_DIGIT.sub("", name.lower())
    return any(word in letters for word in SECRET_NAME_WORDS)


def redacted(text: str) -> str:
    """`text` with every laborwatch key in it replaced by a marker."""
    return KEY_PATTERN.sub(REDACTED, text)


def redacted_query(query_string: bytes) -> str:
    """The query string as logged: secret-bearing parameters' values and any key replaced by a marker.

    `;` separates parameters as `&` does (some servers read it so).
    """
    if not query_string:
        return ""
    decoded = query_string.decode("latin-1").replace(";", "&")
    pairs = parse_qsl(decoded, keep_blank_values=True)
    shown = [(redacted(name), _logged_value(name, value)) for name, value in pairs]
    return urlencode(shown)


def _logged_value(name: str, value: str) -> str:
    """A query value as logged: secrets redacted, a cursor as a digest.

    A cursor carries the sort value of a row, which for a read with a key may be a restricted report's
    title (docs/security.md).
    """
    if secret_name(name):
        return REDACTED
    if name == "cursor":
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]
    return redacted(value)


def log_request(fields: dict[str, Any]) -> None:
    """Write one access log line; `fields` become the line's JSON members."""
    access_log.info("request", extra={"request": fields})


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object: time, level, logger, message and the `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES:
                if isinstance(value, dict):
                    line.update(value)
                else:
                    line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_config() -> dict[str, Any]:
    """A `logging.config.dictConfig` for `serve`: every line JSON on stderr, laborwatch's and uvicorn's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "laborwatch": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


class RequestLogMiddleware:
    """Give each request an id, echo it as `X-Request-ID`, and log one line when the answer is sent.

    The line holds the id, method, path, query string (secrets and keys redacted), status, latency in
    milliseconds and the client address; never a header, so never an `Authorization` key.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        client = client_of(scope, self.trusted_proxies)
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500
            raise
        finally:
            log_request(
                {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": redacted(scope.get("path", "")),
                    "query": redacted_query(scope.get("query_string", b"")),
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client,
                }
            )
