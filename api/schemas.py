"""Public read models: the documented JSON schema of the contract's resources and the list envelope.

Answers are shaped as plain dicts by each resource's one shaping function (`api.resources.*`), and a
test checks every answer against these models; FastAPI shows them in OpenAPI.
"""

from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.vocabulary import Evidence, Precision, Role, Status


class Public(BaseModel):
    """Base of response models (they describe output; input models live in `api.ingest.bundle`)."""

    model_config = ConfigDict(from_attributes=False)


def as_number(value: float | None) -> int | float | None:
    """Give whole numbers as integers (70, not 70.0), as the report wrote them."""
    if value is not None and value.is_integer():
        return int(value)
    return value


def iso(day: date | None) -> str | None:
    """A date as JSON gives it (ISO 8601), or None."""
    return day.isoformat() if day is not None else None


def iso_moment(moment: datetime) -> str:
    """A time as JSON gives it: ISO 8601 in UTC with `Z` (a naive time is taken to be UTC)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat().replace("+00:00", "Z")


class Contributor(Public):
    """A person credited on a report."""

    name: str
    role: Role


class ReportPublic(Public):
    """A source document, without its body."""

    id: str = Field(examples=["dailynk-garment-orders-russia"])
    title: str
    publisher: str = Field(examples=["Daily NK"])
    url: str | None
    published_on: date | None
    language: str = Field(examples=["en"])
    contributors: list[Contributor]
    source: str | None = Field(description="Who the information came from, as the report describes it.")
    sha256: str = Field(description="SHA-256 of the body, UTF-8 encoded.")
    claim_count: int
    facility_ids: list[str]


class ReportDetail(ReportPublic):
    """A source document with its full body, exactly as ingested."""

    body: str


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


class Period(Public):
    """The time a claim speaks of."""

    start: date | None
    end: date | None


class Span(Public):
    """Character offsets into the report body: `body[start:end] == quote`."""

    start: int
    end: int


class ClaimPublic(Public):
    """One statement a report makes, with its evidence."""

    id: str
    report_id: str
    facility_id: str | None
    subject: str | None
    predicate: str = Field(examples=["worker_count"])
    value: int | float | str | None
    unit: str | None = Field(examples=["workers"])
    approximate: bool
    period: Period | None
    quote: str
    span: Span
    attributed_to: str | None
    evidence: Evidence
    status: Status
    notes: str | None


Item = TypeVar("Item", bound=Public)


class Page(BaseModel, Generic[Item]):
    """The list envelope: one page of items, the total of matches and the link to the next page."""

    items: list[Item]
    total: int = Field(description="How many items match the filters, over all pages.")
    limit: int
    offset: int = Field(description="Position of the first item of this page among all matches.")
    next: str | None = Field(description="URL of the next page (an opaque cursor), or null on the last page.")


# One concrete model per listed resource, so that OpenAPI and generated clients name them `FacilityPage`
# (not `Page_FacilityPublic_`).
class ReportPage(Page[ReportPublic]):
    """One page of reports (without bodies)."""


class FacilityPage(Page[FacilityPublic]):
    """One page of facilities."""


class ClaimPage(Page[ClaimPublic]):
    """One page of claims."""


class Health(BaseModel):
    """Liveness and database reachability."""

    status: str = Field(examples=["ok"])
    database: str = Field(examples=["sqlite"])
    reports: int


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
    quote: str


class WorkerHistory(Public):
    """Every worker figure a facility has had, oldest first (undated claims last, in ingest order)."""

    facility_id: str
    items: list[WorkerFigure]
    total: int


class CountryCount(Public):
    """Facilities and their summed current worker figures in one country."""

    country: str | None
    facilities: int
    workers: int | float


class SectorCount(Public):
    """Facilities and their summed current worker figures in one sector."""

    sector: str | None
    facilities: int
    workers: int | float


class PredicateCount(Public):
    """How many claims use one predicate."""

    predicate: str
    claims: int


class MonthCount(Public):
    """How many claims are dated in one month (`YYYY-MM`)."""

    month: str
    claims: int


class Stats(Public):
    """Counts and sums for dashboards, over the facilities matching the filters given."""

    reports: int
    facilities: int
    claims: int
    workers_total: int | float = Field(description="Sum of the matching facilities' current worker figures.")
    by_country: list[CountryCount]
    by_sector: list[SectorCount]
    by_predicate: list[PredicateCount]
    claims_by_month: list[MonthCount]


class WriteResult(Public):
    """What a report write stored (or, on a dry run, would store): the report, its facilities and claims."""

    status: Literal["added", "unchanged", "replaced"] = Field(
        description="`added` (201), `unchanged` (the same bundle again, 200) or `replaced` (PUT, 200)."
    )
    dry_run: bool
    report: ReportDetail
    facilities: list[FacilityPublic]
    claims: list[ClaimPublic]


class ChangePublic(Public):
    """One write in the audit log: who made it, when, and the values before and after."""

    id: int
    at: datetime = Field(description="When the write was committed (UTC).")
    key_name: str = Field(description="The name of the key that made the write (`cli` for the CLI).")
    action: str = Field(examples=["report.create"])
    entity_type: str = Field(examples=["report"])
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangePage(Page[ChangePublic]):
    """One page of the audit log."""
