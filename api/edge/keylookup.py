"""Looking a presented key up, for a read or a write alike: within its address's refused-key limit."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Receive, Scope, Send

from api.auth.keys import Principal
from api.edge.limits import RateLimits
from api.errors import (
    LaborwatchError,
    TooManyRequests,
    Unauthorized,
    error_problem,
    is_unavailable,
    unavailable_problem,
)

T = TypeVar("T")


async def look_up_key(
    limits: RateLimits, address: str, header: str | None, authenticate: Callable[[str | None], Principal]
) -> Principal:
    """The key `header` presents, looked up in a worker thread; 429 once `address` refused too many.

    A refused key counts against the address (a request without a key guesses nothing); keys being looked
    up count while they are, so concurrent guesses cannot outrun the limit (`RateLimits.start_lookup`).
    """
    wait = limits.start_lookup(address)
    if wait is not None:
        raise TooManyRequests(
            f"Too many refused keys from this address; try again in {wait} s.", retry_after=wait
        )
    failed = False
    try:
        return await anyio.to_thread.run_sync(authenticate, header)
    except Unauthorized:
        failed = header is not None
        raise
    finally:
        limits.end_lookup(address, failed=failed)


async def admitted(admission: Awaitable[T], scope: Scope, receive: Receive, send: Send) -> T | None:
    """What `admission` gives, or None once its refusal (a problem, or 503 for the database) is answered."""
    try:
        return await admission
    except LaborwatchError as exc:
        await error_problem(exc)(scope, receive, send)
    except SQLAlchemyError as exc:
        if not is_unavailable(exc):
            raise
        await unavailable_problem(exc)(scope, receive, send)
    return None
