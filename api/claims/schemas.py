"""The public shape of a claim, and the correction an analyst may send (`PATCH /v1/claims/{id}`)."""

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from api.kit.schemas import Page, Public
from api.kit.types import Text
from api.vocabulary import Evidence, Status


class Period(Public):
    """The time a claim speaks of."""

    start: date | None
    end: date | None


class Span(Public):
    """Character offsets into the report body: `body[start:end] == quote`."""

    start: int
    end: int


class Support(Public):
    """How many independent sources agree with a worker figure (docs/evidence.md)."""

    sources: int = Field(description="Distinct origins of this claim and of the claims agreeing with it.")
    agreeing: list[str] = Field(description="Ids of the agreeing claims, sorted, at most 100.")
    agreeing_count: int
    conflicting: list[str] = Field(description="Ids of the conflicting claims, sorted, at most 100.")
    conflicting_count: int


class ClaimPublic(Public):
    """One statement a report makes, with its evidence."""

    id: str
    report_id: str
    facility_id: str | None
    subject: str | None
    predicate: str = Field(examples=["worker_count"])
    value: int | float | str | None
    high: int | float | None = Field(
        description="The top of a range the report gives; `value` is its low end."
    )
    unit: str | None = Field(examples=["workers"])
    approximate: bool
    period: Period | None
    quote: str | None = Field(description="Verbatim text of the report body; null only when withheld.")
    span: Span | None = Field(description="Where the quote stands in the body; null only when withheld.")
    attributed_to: str | None
    evidence: Evidence
    status: Status
    notes: str | None
    credibility: int | None = Field(
        description="Admiralty credibility, 1 (confirmed) .. 6 (cannot be judged)."
    )
    support: Support | None = Field(description="For `worker_count` claims: the sources that agree.")
    withheld: list[str] = Field(
        description="The fields kept back (null) because its report is restricted and the read has no key "
        "that may see them; empty when nothing is withheld (docs/security.md).",
        examples=[[]],
    )


class ClaimPage(Page[ClaimPublic]):
    """One page of claims."""


class ClaimPatch(BaseModel):
    """The fields of a claim an analyst may change; give at least one (`null` clears notes or credibility)."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    notes: Text | None = None
    credibility: Annotated[StrictInt, Field(ge=1, le=6)] | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give some of `status`, `notes` and `credibility`")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """The fields given, as stored values."""
        return {
            name: (value.value if isinstance(value, Status) else value)
            for name, value in self.model_dump(include=self.model_fields_set).items()
        }
