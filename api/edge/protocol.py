"""The HTTP/1.1 protocol `laborwatch serve` runs: uvicorn's httptools one, with head limits and timeouts.

uvicorn itself limits neither the URL nor the headers on httptools (llhttp keeps whatever it is sent)
and has no header timeout: a client may send a request line and never finish its headers. This
protocol refuses a URL or header block over the limits as soon as it is read, with the 414 / 431
problem documents the app gives (`api.headlimits`), answers a request whose head is not complete
within the header timeout with 408, and closes a connection that sends nothing for as long.
"""

import asyncio
import functools
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from api.edge.clients import client_address
from api.edge.headers import security_headers
from api.edge.headlimits import HeadLimits, header_line_bytes
from api.edge.requestlog import REQUEST_ID_HEADER, log_request, new_request_id
from api.errors import PROBLEM_MEDIA_TYPE, problem
from api.settings import Settings

# Seconds a refused connection keeps reading (and dropping) what the client still sends, so that it
# reads the answer instead of a reset caused by unread bytes.
LINGER_S = 5.0
# Bytes of a request head beyond its URL and header limits: the method, the version, the line ends.
HEAD_FRAMING_BYTES = 1024


@dataclass(frozen=True)
class ProtocolLimits:
    """What the protocol enforces (picklable, so worker processes receive it with uvicorn's config)."""

    head: HeadLimits
    header_timeout_s: float
    trusted_proxies: tuple[str, ...]

    @classmethod
    def of(cls, settings: Settings) -> "ProtocolLimits":
        """The limits the settings give."""
        return cls(HeadLimits.of(settings), settings.header_timeout_s, tuple(settings.trusted_proxies))


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that is refused."""


class LaborwatchProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that enforces `ProtocolLimits` while it reads each request's head."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ProtocolLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self.header_timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0  # bytes of the current request's head read so far
        self.chunk_other_bytes = 0  # bytes of the chunk being parsed known to be no unfinished head
        self.url_size = 0
        self.header_size = 0
        self.in_head = False
        self.refusal: tuple[int, str] | None = None
        self.lingering = False

    # Connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the connection; it must send a request head within the header timeout."""
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the timer of a connection that is gone."""
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse `data`, refusing the request once its head grows past what the limits allow."""
        if self.lingering:
            return  # read and dropped: the answer is sent, the connection closes soon
        self.chunk_other_bytes = 0
        super().data_received(data)
        if self.in_head and self.refusal is None and not self.lingering:
            # Only a head still being read is counted: the chunk less the bodies and the finished heads
            # in it (a body left unread after an early answer, a pipelined request), so at most their
            # framing lines are counted with it.
            self.head_bytes += max(0, len(data) - self.chunk_other_bytes)
            head = self.limits.head
            if self.head_bytes > head.max_url_bytes + head.max_header_bytes + HEAD_FRAMING_BYTES:
                # The URL is within its limit (on_url checks it), so a header httptools is still
                # collecting (it hands each one over only when complete) is too large.
                self._refuse(431, head.header_detail())

    # Parser callbacks

    def on_message_begin(self) -> None:
        """A new request starts: its head is counted and timed from here."""
        super().on_message_begin()
        self.in_head = True
        self.head_bytes = self.url_size = self.header_size = 0
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        """Collect the URL, refusing it (414) once it is over the limit."""
        self.url_size += len(url)
        if self.url_size > self.limits.head.max_url_bytes:
            self.refusal = (414, self.limits.head.url_detail())
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect a header, refusing the request (431) once the headers are over the limit."""
        self.header_size += header_line_bytes(name, value)
        if self.header_size > self.limits.head.max_header_bytes:
            self.refusal = (431, self.limits.head.header_detail())
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is complete in time: the app takes the request from here."""
        self.in_head = False
        self.head_bytes = 0
        self.chunk_other_bytes += self.url_size + self.header_size
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Body bytes, read (or dropped after an early answer), are never counted as a head."""
        self.chunk_other_bytes += len(body)
        super().on_body(body)

    # Answers written by the protocol itself

    def send_400_response(self, msg: str) -> None:
        """Answer what the parser refused: a limit's 414 / 431, else a 400, as problem documents."""
        if self.refusal is not None:
            self._refuse(*self.refusal)
        else:
            self._refuse(400, "The request is not valid HTTP/1.1.")

    def _refuse(self, status: int, detail: str) -> None:
        self.refusal = (status, detail)
        self._cancel_header_timer()
        request_id = new_request_id()
        body = problem(status, detail).body
        headers = [
            *self.server_state.default_headers,
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
            *security_headers(""),
        ]
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        head += [name + b": " + value + b"\r\n" for name, value in headers]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        self._linger()
        log_request(
            {
                "request_id": request_id,
                "method": None,
                "path": None,
                "query": None,
                "status": status,
                "latency_ms": None,
                "client": client_address(
                    {"client": self.client, "headers": self.headers or []}, list(self.limits.trusted_proxies)
                ),
            }
        )

    def _linger(self) -> None:
        """Stop answering: send the end of the stream, drop what still comes, close after a while."""
        self.lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    # The header timeout

    def _arm_header_timer(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(self.limits.header_timeout_s, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_timed_out(self) -> None:
        self.header_timer = None
        if self.transport.is_closing() or self.lingering:
            return
        if self.in_head:
            self._refuse(408, f"The request head was not complete within {self.limits.header_timeout_s} s.")
            self.transport.close()
        else:
            self.transport.close()  # connected, and sent nothing in time


def protocol_for(settings: Settings) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn (`http=`), bound to the settings' limits."""
    bound = functools.partial(LaborwatchProtocol, limits=ProtocolLimits.of(settings))
    return cast("type[asyncio.Protocol]", bound)
