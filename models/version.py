"""The data version: one counter bumped by every write, behind the API's ETags."""

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from models.base import utc_now


class DataVersion(SQLModel, table=True):
    """A single row whose `version` grows by one in every transaction that changes data."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    changed_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
