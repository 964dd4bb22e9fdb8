"""Write keys: only a hash of each key is stored, with the name that the audit log shows and its role."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, String
from sqlmodel import Field, SQLModel

from models.base import utc_now


class ApiKey(SQLModel, table=True):
    """A named write key; `key_sha256` is the SHA-256 of the key, which is never stored."""

    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("role = 'admin' OR role = 'editor' OR role = 'reader'", name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    key_sha256: str = Field(max_length=64, unique=True)
    # `reader` reads restricted reports; `editor` also adds, replaces and corrects; `admin` also deletes and
    # merges. Older keys are admins.
    role: str = Field(default="admin", sa_column=Column(String(10), nullable=False, server_default="admin"))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
