"""Bumping the data version inside a write transaction, so every ETag changes when a write lands."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from models import DataVersion
from models.base import utc_now


def bump_data_version(session: Session) -> None:
    """Add one to the data version in the caller's transaction."""
    session.execute(
        update(DataVersion)
        .where(col(DataVersion.id) == 1)
        .values(version=DataVersion.version + 1, changed_at=utc_now())
    )


def current_data_version(session: Session) -> int:
    """The data version as the session sees it (0 before any write)."""
    return session.scalar(select(col(DataVersion.version)).where(col(DataVersion.id) == 1)) or 0
