"""The health check: is the service up and its database reachable."""

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, select

from api.db.reader import ReadDep
from api.errors import problem_responses
from models import Report


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str = Field(examples=["ok"])
    database: str = Field(examples=["sqlite"])
    reports: int


router = APIRouter(tags=["health"])


@router.get("/health", responses=problem_responses(503))
async def get_health(read: ReadDep) -> Health:
    """`{"status": "ok"}` when the API and its database answer."""
    return await read(_health)


def _health(db: Connection) -> Health:
    reports = db.execute(select(func.count()).select_from(Report)).scalar() or 0
    return Health(status="ok", database=db.dialect.name, reports=reports)
