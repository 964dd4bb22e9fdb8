"""The webhook's request body, its public shape, the shape of one delivery attempt, and their pages."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.changes.listing import ACTION_PATTERN, COUNTRY_PATTERN
from api.kit.params import MAX_FILTER_VALUES
from api.kit.schemas import Page, Public
from api.kit.types import Text

Action = Annotated[str, StringConstraints(pattern=ACTION_PATTERN)]


class WebhookFilters(BaseModel):
    """Which changes a webhook is sent: the filters of `GET /v1/changes` (all optional, combined with AND)."""

    model_config = ConfigDict(extra="forbid")

    facility_id: Annotated[Text, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, examples=["irkutsk-dprk-garment-factory"]
    )
    report_id: Annotated[Text, StringConstraints(min_length=1, max_length=128)] | None = None
    country: Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)] | None = Field(
        default=None, examples=["RU"]
    )
    action: list[Action] = Field(default=[], max_length=MAX_FILTER_VALUES, examples=[["report.create"]])


class WebhookCreate(BaseModel):
    """A webhook to register: where to POST events, for which changes, and a note for its admins."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[Text, StringConstraints(min_length=1, max_length=2000)] = Field(
        examples=["https://hooks.example.org/laborwatch"]
    )
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: Annotated[Text, StringConstraints(max_length=500)] | None = None


class FiltersPublic(Public):
    """A webhook's filters as stored (a country in upper case)."""

    facility_id: str | None
    report_id: str | None
    country: str | None
    action: list[str]


class WebhookPublic(Public):
    """A registered webhook (its secret is shown only when made or rotated)."""

    id: str = Field(examples=["wh_3f9a..."])
    url: str
    filters: FiltersPublic
    description: str | None
    active: bool = Field(description="False once its receiver answered 410 Gone: no more deliveries.")
    created_at: datetime


class WebhookWithSecret(WebhookPublic):
    """A webhook just made (or its secret just rotated), with the secret to verify signatures with."""

    secret: str = Field(description="Shown this once: `whsec_` and base64.", examples=["whsec_..."])


class WebhookPage(Page[WebhookPublic]):
    """Every registered webhook."""


class DeliveryPublic(Public):
    """One attempt to deliver an event to a webhook."""

    id: int
    event: dict[str, object] = Field(description="The event sent: type, change_id, at and the ids.")
    at: datetime = Field(description="When the attempt ended (UTC).")
    attempt: int = Field(description="1 for the first try of this event, 2 for its first retry, ...")
    status: int | None = Field(description="The receiver's HTTP status; null when it gave none.")
    error: str | None = Field(description="What went wrong (null on a 2xx answer).")
    duration_ms: int


class DeliveryPage(Page[DeliveryPublic]):
    """One page of a webhook's delivery attempts, newest first."""
