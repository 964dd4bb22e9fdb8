"""The public shape of a report (list and detail) and of what a report write stored."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.auth.access import Access
from api.claims.schemas import ClaimPublic
from api.facilities.schemas import FacilityPublic
from api.kit.schemas import Page, Public
from api.vocabulary import Relation, Reliability, Role


class Contributor(Public):
    """A person credited on a report."""

    name: str
    role: Role


class DerivedFrom(Public):
    """Where a report's text or information comes from (docs/evidence.md)."""

    report: str
    relation: Relation


class ReportPatch(BaseModel):
    """What an editor may change of a stored report: its grade only (`null` clears it)."""

    model_config = ConfigDict(extra="forbid")

    reliability: Reliability | None


class ReportPublic(Public):
    """A source document, without its body."""

    id: str = Field(examples=["dailynk-garment-orders-russia"])
    access: Access = Field(
        description="`public`, or `restricted`: its words and people are shown only to a read with a key."
    )
    title: str | None = Field(description="Null only when withheld.")
    publisher: str | None = Field(examples=["Daily NK"], description="Null only when withheld.")
    url: str | None
    published_on: date | None
    language: str = Field(examples=["en"])
    contributors: list[Contributor] | None = Field(description="Null only when withheld.")
    source: str | None = Field(description="Who the information came from, as the report describes it.")
    sha256: str | None = Field(description="SHA-256 of the body, UTF-8 encoded (null only when withheld).")
    claim_count: int
    facility_ids: list[str]
    derived_from: DerivedFrom | None = Field(description="The report this one derives from, as declared.")
    origin: str = Field(description="The id at the root of its chain (its own id when it derives from none).")
    reliability: Reliability | None = Field(description="Admiralty source reliability, A..F, or null.")
    withheld: list[str] = Field(
        description="The fields kept back (null) because the report is restricted and the read has no key "
        "that may see them; empty when nothing is withheld (docs/security.md).",
        examples=[[]],
    )


class ReportDetail(ReportPublic):
    """A source document with its full body, exactly as ingested."""

    derivatives: list[str] = Field(description="Ids of the reports that derive from this one directly.")
    body: str | None = Field(description="The full text; null only when withheld.")


# One concrete model per listed resource, so that OpenAPI and generated clients name them `FacilityPage`
# (not `Page_FacilityPublic_`).
class ReportPage(Page[ReportPublic]):
    """One page of reports (without bodies)."""


class WriteResult(Public):
    """What a report write stored (or, on a dry run, would store): the report, its facilities and claims."""

    status: Literal["added", "unchanged", "replaced"] = Field(
        description="`added` (201), `unchanged` (the same bundle again, 200) or `replaced` (PUT, 200)."
    )
    dry_run: bool
    report: ReportDetail
    facilities: list[FacilityPublic]
    claims: list[ClaimPublic]
