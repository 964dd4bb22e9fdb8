"""Shared pieces of the public read models: base model, numbers and dates as JSON gives them, the envelope.

Answers are shaped as plain dicts by each resource's one shaping function (its `listing` module), and a
test checks every answer against the resource's models; FastAPI shows them in OpenAPI.
"""

from datetime import UTC, date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


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


Item = TypeVar("Item", bound=Public)


class Page(BaseModel, Generic[Item]):
    """The list envelope: one page of items, the total of matches and the link to the next page."""

    items: list[Item]
    total: int = Field(description="How many items match the filters, over all pages.")
    limit: int
    offset: int = Field(description="Position of the first item of this page among all matches.")
    next: str | None = Field(description="URL of the next page (an opaque cursor), or null on the last page.")
