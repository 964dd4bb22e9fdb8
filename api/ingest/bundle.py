"""The bundle format (docs/bundles.md) as pydantic models that refuse unknown fields and bad values."""

import math
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

from api.auth.access import Access
from api.kit.types import (
    Count,
    CountryCode,
    IsoDate,
    Label,
    LanguageTag,
    Latitude,
    Longitude,
    Name,
    ShortName,
    Slug,
    Text,
    WebUrl,
)
from api.vocabulary import PREDICATES, UNIT_MAXIMUM, Evidence, Precision, Relation, Reliability, Role, Status

# No figure in this field comes near a billion; a bound keeps sums and conversions safe on every backend.
MAX_VALUE = 1_000_000_000
# Claims one bundle may hold (a report with more is better split); keeps every statement's parameters
# within PostgreSQL's limit.
MAX_CLAIMS = 10_000


class StrictModel(BaseModel):
    """A model that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid")


# What `laborwatch extract` writes where the text gave no value ("UNKNOWN — fill in"); never stored.
FILL_IN = "— fill in"
DRAFT_BY = "laborwatch extract"
# Lines of a claim's notes in which `laborwatch extract` says how it read the text ("extract: place named
# in the figure's clause"): help for the reviewer, not a statement to publish, so a reviewed bundle drops
# them.
EXTRACT_NOTE = "extract:"
REVIEW_HINT = "review it and set `reviewed: true` under `draft:` (or delete the `draft:` block)"


class DraftIn(StrictModel):
    """The mark on a proposed bundle: it is refused until an analyst sets `reviewed: true` (or drops it)."""

    reviewed: StrictBool
    by: ShortName | None = None
    note: Text | None = None


class ContributorIn(StrictModel):
    """A person credited on a report."""

    name: ShortName
    role: Role


class DerivedFromIn(StrictModel):
    """The stored report this one's text or information comes from, and how (docs/evidence.md)."""

    report: Slug
    relation: Relation


# Admiralty information credibility: 1 (confirmed by other sources) .. 6 (cannot be judged).
Credibility = Annotated[StrictInt, Field(ge=1, le=6)]


class ReportIn(StrictModel):
    """The report part of a bundle; exactly one of `body` and `body_file`."""

    id: Slug
    title: Name
    publisher: ShortName
    url: WebUrl | None = None
    published_on: IsoDate | None = None
    language: LanguageTag = "en"
    contributors: list[ContributorIn] = Field(default_factory=list)
    source: Text | None = None
    body: Text | None = None
    body_file: Text | None = None
    derived_from: DerivedFromIn | None = None
    reliability: Reliability | None = None
    # `restricted`: its words and people are withheld from readers without a key (docs/security.md).
    access: Access = Access.PUBLIC

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if (self.body is None) == (self.body_file is None):
            raise ValueError("give exactly one of `body` (the text) and `body_file` (a path)")
        return self


class LocationIn(StrictModel):
    """Coordinates and how exact they are."""

    lat: Latitude
    lon: Longitude
    precision: Precision


class FacilityIn(StrictModel):
    """A facility the bundle's claims name."""

    id: Slug
    name: Name
    aliases: list[Name] = Field(default_factory=list)
    kind: Label | None = None
    sector: Label | None = None
    operator: Name | None = None
    operator_country: CountryCode | None = None
    city: ShortName | None = None
    region: ShortName | None = None
    country: CountryCode | None = None
    location: LocationIn | None = None


class PeriodIn(StrictModel):
    """The time a claim speaks of; either end may be open."""

    start: IsoDate | None = None
    end: IsoDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start and self.end and self.start > self.end:
            raise ValueError("period.start is after period.end")
        return self


class ClaimIn(StrictModel):
    """One statement of the report, with the quote that carries it."""

    facility: Slug | None = None
    subject: Text | None = None
    predicate: str
    value: StrictInt | StrictFloat | Text | None = None
    high: StrictInt | StrictFloat | None = None
    unit: str | None = None
    approximate: StrictBool = False
    period: PeriodIn | None = None
    quote: Text = Field(min_length=1)
    occurrence: Count | None = None
    attributed_to: Text | None = None
    evidence: Evidence = Evidence.source_statement
    status: Status = Status.reported
    notes: Text | None = None
    credibility: Credibility | None = None

    @model_validator(mode="after")
    def _value_fits_predicate(self) -> Self:
        spec = PREDICATES.get(self.predicate)
        if spec is None:
            known = ", ".join(sorted(PREDICATES))
            raise ValueError(f"unknown predicate {self.predicate!r}; known predicates: {known}")
        if self.facility is None and not self.subject:
            raise ValueError("a claim needs a `facility` id or a `subject` in words")
        if not self.quote.strip():
            raise ValueError("quote is blank")
        if spec.numeric:
            if not isinstance(self.value, int | float):
                raise ValueError(f"{self.predicate} needs a number as value")
            if isinstance(self.value, int) and self.value > MAX_VALUE:
                raise ValueError(f"value must be at most {MAX_VALUE:g}")
            if not math.isfinite(self.value) or self.value < 0:
                raise ValueError("value must be a finite number >= 0")
            if self.value > MAX_VALUE:
                raise ValueError(f"value must be at most {MAX_VALUE:g}")
            if self.unit != spec.unit:
                raise ValueError(f"{self.predicate} is counted in {spec.unit!r}, not {self.unit!r}")
            maximum = UNIT_MAXIMUM.get(spec.unit or "")
            if maximum is not None and self.value > maximum:
                raise ValueError(f"a value in {spec.unit} is at most {maximum:g}")
            if self.high is not None:
                if not math.isfinite(self.high) or self.high < self.value:
                    raise ValueError("high (the top of the range) must be a finite number >= value")
                if self.high > min(MAX_VALUE, maximum if maximum is not None else MAX_VALUE):
                    raise ValueError("high is out of range for the unit")
        else:
            if self.high is not None:
                raise ValueError(f"{self.predicate} takes no high (ranges are for numbers)")
            if self.value is not None and not isinstance(self.value, str):
                raise ValueError(f"{self.predicate} takes text or null as value")
            if self.unit is not None:
                raise ValueError(f"{self.predicate} takes no unit")
        return self


class Bundle(StrictModel):
    """One report with the facilities and claims drawn from it; `draft` marks a proposal not yet reviewed."""

    draft: DraftIn | None = None
    report: ReportIn
    facilities: list[FacilityIn] = Field(default_factory=list, max_length=MAX_CLAIMS)
    claims: list[ClaimIn] = Field(default_factory=list, max_length=MAX_CLAIMS)

    @model_validator(mode="after")
    def _unique_facilities(self) -> Self:
        seen: set[str] = set()
        for facility in self.facilities:
            if facility.id in seen:
                raise ValueError(f"facility {facility.id!r} is listed twice")
            seen.add(facility.id)
        return self

    @model_validator(mode="after")
    def _extract_notes_dropped_after_review(self) -> Self:
        """Drop the `extract:` lines of claim notes once the draft is reviewed (or has no draft mark).

        An analyst who forgets them would otherwise publish the tool's working notes as the claim's notes.
        """
        if self.draft is not None and not self.draft.reviewed:
            return self
        for claim in self.claims:
            if claim.notes is not None:
                claim.notes = without_extract_notes(claim.notes)
        return self


def without_extract_notes(notes: str) -> str | None:
    """`notes` without its lines that start with `extract:`; None when nothing else is left.

    Notes with no such line are returned exactly as written.
    """
    lines = notes.splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(EXTRACT_NOTE)]
    if len(kept) == len(lines):
        return notes
    text = "".join(kept).rstrip("\r\n")
    return text if text.strip() else None


def review_errors(bundle: Bundle) -> list[dict[str, Any]]:
    """Why a bundle is not ready to store: an unreviewed draft mark, or a placeholder left in a field."""
    if bundle.draft is not None and not bundle.draft.reviewed:
        by = bundle.draft.by or DRAFT_BY
        msg = f"this is an unreviewed draft from {by}; {REVIEW_HINT}"
        return [{"loc": ["draft", "reviewed"], "msg": msg}]
    # Walking every field of every claim in Python took a quarter of preparing a bundle: the serialized
    # bundle (C code) says at once whether the placeholder is anywhere, and it almost never is.
    if FILL_IN not in bundle.model_dump_json():
        return []
    parts: list[tuple[list[str | int], BaseModel]] = [(["report"], bundle.report)]
    parts += [(["report", "contributors", i], item) for i, item in enumerate(bundle.report.contributors)]
    parts += [(["facilities", i], item) for i, item in enumerate(bundle.facilities)]
    parts += [(["claims", i], item) for i, item in enumerate(bundle.claims)]
    errors: list[dict[str, Any]] = []
    for loc, model in parts:
        for name in type(model).model_fields:
            if name in _VERBATIM_FIELDS:
                continue
            value = getattr(model, name)
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(text, str) and FILL_IN in text for text in texts):
                msg = f"still holds the placeholder {value!r} of the draft; fill in the value"
                errors.append({"loc": [*loc, name], "msg": msg})
    return errors


# Text copied from the report as it stands, where the placeholder's words could really occur.
_VERBATIM_FIELDS = frozenset({"body", "quote"})
