"""The audit log: one row per write, with who made it, when, and the values before and after."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, false
from sqlmodel import Field, SQLModel

from models.base import utc_now


class Change(SQLModel, table=True):
    """One write: `action` on `entity_type`/`entity_id` by the key named `key_name` at `at`."""

    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    key_name: str = Field(max_length=100)
    action: str = Field(max_length=50, index=True)  # `action=` filters of the change feed
    entity_type: str = Field(max_length=20)
    entity_id: str = Field(max_length=128, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # About a restricted report or its claims (then or since): `before` and `after` are shown withheld.
    restricted: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
