"""The dashboard aggregate: counts and sums over the facilities the filters select."""

from fastapi import APIRouter

from api.db.reader import ReadDep
from api.errors import problem_responses
from api.facilities.listing import FacilityFiltersDep
from api.stats.compute import compute_stats
from api.stats.schemas import Stats

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("", responses=problem_responses(400, 422))
async def get_stats(read: ReadDep, filters: FacilityFiltersDep) -> Stats:
    """Totals, facilities and workers by country and by sector, claims by predicate and by month.

    Takes the facility filters (`as_of` included: workers as known on that date). With no filter (or
    `as_of` alone), the report and claim counts cover everything; with filters that narrow the
    facilities, only the claims about matching facilities and the reports they come from.
    """
    return await read(compute_stats, filters)
