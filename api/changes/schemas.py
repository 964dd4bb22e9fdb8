"""The public shape of an audit log entry and its page."""

from datetime import datetime
from typing import Any

from pydantic import Field

from api.kit.schemas import Page, Public


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
