"""The health check: is the service up and its database reachable."""

from fastapi import APIRouter
from sqlalchemy import Connection, func, select

from api.deps import ReadDep
from api.errors import problem_responses
from api.schemas import Health
from models import Report

router = APIRouter(tags=["health"])


@router.get("/health", responses=problem_responses(503))
async def get_health(read: ReadDep) -> Health:
    """`{"status": "ok"}` when the API and its database answer."""
    return await read(_health)


def _health(db: Connection) -> Health:
    reports = db.execute(select(func.count()).select_from(Report)).scalar() or 0
    return Health(status="ok", database=db.dialect.name, reports=reports)
