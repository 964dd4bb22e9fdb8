"""What `laborwatch extract` proposes, as the extract tests compare it: (place, value, approximate)."""

from api.extract.draft import propose_claims


def placed_figures(body: str) -> list[tuple[str | None, int, bool]]:
    """The draft's claims as (place, value, approximate): city, else region, else country code."""
    facilities, claims = propose_claims(body)
    by_id = {facility.id: facility for facility in facilities}
    placed = []
    for claim in claims:
        facility = by_id.get(claim.facility or "")
        where = (facility.city or facility.region or facility.country) if facility else None
        assert isinstance(claim.value, int)
        placed.append((where, claim.value, claim.approximate))
    return placed
