"""Following changes: what each change concerns, webhooks, their outbox of events and delivery attempts."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from models.base import SLUG_LENGTH, utc_now


class ChangeSubject(SQLModel, table=True):
    """One facility and/or report a change concerns, written with the change (the filtered feeds' index)."""

    __tablename__ = "change_subject"
    __table_args__ = (
        Index("ix_change_subject_facility", "facility_id", "change_id"),
        Index("ix_change_subject_report", "report_id", "change_id"),
        Index("ix_change_subject_country", "country", "change_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("change.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    facility_id: str | None = Field(default=None, max_length=SLUG_LENGTH)
    report_id: str | None = Field(default=None, max_length=SLUG_LENGTH)
    # The facility's country when the change was recorded (`country=` reads it without a join).
    country: str | None = Field(default=None, max_length=2)


class Webhook(SQLModel, table=True):
    """A URL that is sent an event for each change matching `filters`; its secret is stored encrypted."""

    __tablename__ = "webhook"

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(sa_column=Column(Text, nullable=False))
    filters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    secret: str = Field(sa_column=Column(Text, nullable=False))  # encrypted (api.webhooks.secrets)
    previous_secret: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    previous_secret_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class WebhookEvent(SQLModel, table=True):
    """The outbox: one event per change and matching webhook, written in the change's transaction."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        Index("ix_webhook_event_due", "state", "next_attempt_at"),
        Index("ix_webhook_event_queue", "webhook_id", "state", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    webhook_id: str = Field(
        sa_column=Column(String(40), ForeignKey("webhook.id", ondelete="CASCADE"), nullable=False)
    )
    change_id: int = Field(sa_column=Column(Integer, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # pending (waiting or being tried), delivered (a 2xx answer), failed (given up after the retries)
    state: str = Field(default="pending", sa_column=Column(String(10), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # A deliverer that claims the event holds it until then; a deliverer killed meanwhile lets it go.
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver an event: when, the answer's status (or none) and what went wrong."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_webhook", "webhook_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    webhook_id: str = Field(
        sa_column=Column(String(40), ForeignKey("webhook.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: int = Field(sa_column=Column(Integer, nullable=False))
    change_id: int = Field(sa_column=Column(Integer, nullable=False))
    type: str = Field(sa_column=Column(String(50), nullable=False))
    at: datetime = Field(default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    status: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_ms: int = Field(default=0, sa_column=Column(Integer, nullable=False))
