"""Request bodies of the write routes (the bundle itself is `api.ingest.bundle.Bundle`)."""

from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from api.types import Slug, Text
from api.vocabulary import Status


class ClaimPatch(BaseModel):
    """The fields of a claim an analyst may change; give at least one (`notes: null` clears the notes)."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give `status`, `notes` or both")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """The fields given, as stored values."""
        return {
            name: (value.value if isinstance(value, Status) else value)
            for name, value in self.model_dump(include=self.model_fields_set).items()
        }


class MergeRequest(BaseModel):
    """Which facility the merged one becomes an alias of."""

    model_config = ConfigDict(extra="forbid")

    into: Slug
