"""The public shape of a facility (its location, its figure), its worker history, and the merge request."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.kit.schemas import Page, Public
from api.kit.types import Slug
from api.vocabulary import Precision, Status


class Location(Public):
    """Coordinates and how exact they are."""

    lat: float
    lon: float
    precision: Precision


class Workers(Public):
    """A facility's current best worker figure and the claim it comes from."""

    value: int | float
    approximate: bool
    as_of: date | None = Field(description="The claim's period end, else its report's publication date.")
    claim_id: str
    sources: int = Field(description="Independent sources (distinct origins) supporting the figure's claim.")
    conflicting_sources: int = Field(description="Distinct origins of the claims that conflict with it.")


class FacilityPublic(Public):
    """A workplace the reports speak of, with figures derived from their claims."""

    id: str = Field(examples=["irkutsk-dprk-garment-factory"])
    name: str
    aliases: list[str]
    kind: str | None = Field(examples=["factory"])
    sector: str | None = Field(examples=["garment"])
    operator: str | None
    operator_country: str | None = Field(examples=["KP"])
    city: str | None = Field(examples=["Irkutsk"])
    region: str | None
    country: str | None = Field(examples=["RU"])
    location: Location | None
    workers: Workers | None
    claim_count: int
    report_count: int
    first_reported: date | None
    last_reported: date | None


class FacilityPage(Page[FacilityPublic]):
    """One page of facilities."""


class WorkerFigure(Public):
    """One `worker_count` claim of a facility, as a point in its figure's history."""

    as_of: date | None = Field(description="The claim's period end, else its report's publication date.")
    value: int | float
    approximate: bool
    status: Status
    counts: bool = Field(description="False for disputed or retracted claims, which give no figure.")
    current: bool = Field(description="True for the claim that gives the facility's `workers` now.")
    claim_id: str
    report_id: str
    quote: str | None = Field(description="The claim's verbatim quote; null only when withheld.")
    withheld: list[str] = Field(
        description="The fields kept back (null) because the claim's report is restricted and the read has "
        "no key that may see them; empty when nothing is withheld (docs/security.md).",
        examples=[[]],
    )


class WorkerHistory(Public):
    """One page of the worker figures a facility has had, oldest first (undated last, in ingest order)."""

    facility_id: str
    items: list[WorkerFigure]
    total: int = Field(description="How many worker figures the facility has, over all pages.")
    limit: int
    offset: int = Field(description="Position of the first figure of this page among all of them.")
    next: str | None = Field(description="URL of the next page (an opaque cursor), or null on the last page.")


class MergeRequest(BaseModel):
    """Which facility the merged one becomes an alias of."""

    model_config = ConfigDict(extra="forbid")

    into: Slug
