"""Guards on the library internals laborwatch still relies on: each fails loudly, naming the internal.

The one left is uvicorn's httptools protocol, which `laborwatch serve` subclasses (api/edge/protocol.py) to
refuse oversized heads (414, 431) and slow ones (408) while it reads them: uvicorn has no public hook for
that. uvicorn is pinned in the lock file and bounded in pyproject.toml; an upgrade that changes what the
subclass overrides or calls fails here first, before the behaviour tests (tests/test_serve_transport.py).
Everything else is read through public APIs: Starlette's `Route.matches` and `add_middleware`, the
`Query`/`Depends` markers of our own signatures, the pool size from our settings.
"""

import inspect

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.edge.protocol import LaborwatchProtocol
from api.kit.params import query_names

# What LaborwatchProtocol overrides and calls of uvicorn's HttpToolsProtocol.
OVERRIDDEN = (
    "connection_made",
    "connection_lost",
    "data_received",
    "on_message_begin",
    "on_url",
    "on_header",
    "on_headers_complete",
    "on_body",
    "send_400_response",
)
CONSTRUCTOR = ["self", "config", "server_state", "app_state", "_loop"]


def test_uvicorn_httptools_protocol_keeps_the_constructor_the_subclass_calls() -> None:
    found = list(inspect.signature(HttpToolsProtocol.__init__).parameters)
    assert found == CONSTRUCTOR, (
        f"uvicorn's HttpToolsProtocol.__init__ now takes {found}, not {CONSTRUCTOR}: update "
        "api/edge/protocol.py (LaborwatchProtocol.__init__) before upgrading uvicorn"
    )


@pytest.mark.parametrize("name", OVERRIDDEN)
def test_uvicorn_httptools_protocol_keeps_each_method_the_subclass_overrides(name: str) -> None:
    method = getattr(HttpToolsProtocol, name, None)
    assert callable(method), (
        f"uvicorn's HttpToolsProtocol has no {name}() any more: LaborwatchProtocol.{name} would never run "
        "and the head limits or timeouts of `laborwatch serve` would silently stop; see api/edge/protocol.py"
    )
    ours = list(inspect.signature(getattr(LaborwatchProtocol, name)).parameters)
    theirs = list(inspect.signature(method).parameters)
    assert ours == theirs, f"HttpToolsProtocol.{name}{theirs} differs from LaborwatchProtocol.{name}{ours}"


def test_uvicorn_protocol_instances_keep_the_attributes_the_subclass_reads() -> None:
    source = inspect.getsource(HttpToolsProtocol.__init__) + inspect.getsource(
        HttpToolsProtocol.connection_made
    )
    for attribute in ("self.server_state", "self.transport", "self.loop", "self.client", "self.headers"):
        assert attribute in source, (
            f"uvicorn's HttpToolsProtocol no longer sets {attribute}: see api/edge/protocol.py"
        )


def test_query_names_are_read_from_the_markers_of_our_own_signatures() -> None:
    from api.facilities.routes import list_facilities

    names = query_names(list_facilities)
    assert {"country", "limit", "cursor", "sort", "format", "as_of"} <= names.allowed
    assert "country" in names.repeatable
    assert "limit" not in names.repeatable
