"""The health checks: liveness (`/health`, from the process alone) and readiness (`/health/ready`)."""

import threading
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from api.db.reader import Reader
from api.errors import problem, problem_responses
from api.kit.responses import json_response
from models import Report


class Health(BaseModel):
    """Liveness: the process answers; which database it uses and how many reports it held when last seen."""

    status: str = Field(examples=["ok"])
    database: str = Field(examples=["sqlite"])
    reports: int | None = Field(
        description="Reports in the database as last counted (recounted when the data changes and a "
        "connection is free at once); null until first counted."
    )


class Ready(BaseModel):
    """Readiness: the database answered a query within `LABORWATCH_READY_TIMEOUT_S`."""

    status: str = Field(examples=["ready"])
    database: str = Field(examples=["sqlite"])


router = APIRouter(tags=["health"])


class ReportCount:
    """The count of reports, kept per data version so that `/health` never waits to read it."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.count: int | None = None

    def read(self, reader: Reader, version: int | None) -> int | None:
        """The count under `version`: the kept one, else counted now if a connection is free at once."""
        if version is not None and version == self.version:
            return self.count
        if not reader.connection_free():
            return self.count  # counting would wait for a connection: the last count will do
        try:
            with reader.engine.connect() as db:
                self.count = db.execute(select(func.count()).select_from(Report)).scalar() or 0
        except SQLAlchemyError:
            return self.count  # liveness says nothing of the database: /health/ready does
        self.version = version
        return self.count


_counts_lock = threading.Lock()


def _report_count(request: Request) -> ReportCount:
    state = request.app.state
    with _counts_lock:
        if not hasattr(state, "report_count"):
            state.report_count = ReportCount()
    counts: ReportCount = state.report_count
    return counts


@router.get("/health", response_model=Health)
async def get_health(request: Request) -> Response:
    """`{"status": "ok"}` while the process answers (liveness); it waits for no queue nor database.

    `reports` is the last count of reports, read afresh only when a connection is free at once. Whether
    the database answers is `GET /health/ready`'s question.
    """
    reader: Reader = request.app.state.reader
    version = getattr(request.state, "data_version", None)
    reports = _report_count(request).read(reader, version if isinstance(version, int) else None)
    name = reader.engine.dialect.name
    return json_response({"status": "ok", "database": name, "reports": reports})


def _ping(engine: Engine) -> None:
    with engine.connect() as db:
        db.execute(text("SELECT 1"))


@router.get("/health/ready", response_model=Ready, responses=problem_responses(503))
async def get_ready(request: Request) -> Response:
    """`{"status": "ready"}` when the database answers a query within `LABORWATCH_READY_TIMEOUT_S`, else 503.

    For a load balancer's readiness check: a 503 takes this process out of rotation until it answers
    again; `GET /health` (liveness) says only that the process runs.
    """
    engine: Engine = request.app.state.engine
    timeout: float = request.app.state.settings.ready_timeout_s
    failure: Any = None
    # A thread that is given up on (abandoned) finishes on its own: the pool's wait and the statement
    # time limit bound it. The check itself never waits longer than the timeout.
    with anyio.move_on_after(timeout) as waited:
        try:
            await anyio.to_thread.run_sync(partial(_ping, engine), abandon_on_cancel=True)
        except SQLAlchemyError as exc:
            failure = exc
    if waited.cancelled_caught:
        return problem(503, f"The database did not answer within {timeout:g} s.")
    if failure is not None:
        return problem(503, "The database is not answering; try again shortly.")
    return json_response({"status": "ready", "database": engine.dialect.name})
