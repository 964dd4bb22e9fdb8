"""Registering webhooks: making one (its secret sealed), reading, deleting, rotating; its deliveries."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Select, Table, delete, select
from sqlalchemy.orm import Session

from api.errors import LaborwatchError, NotFound
from api.kit.listing import Listing
from api.kit.paging import SortKey
from api.kit.schemas import iso_moment
from api.settings import Settings
from api.webhooks.guard import RefusedUrl, check_url
from api.webhooks.schemas import DeliveryPublic, WebhookCreate
from api.webhooks.secrets import new_secret, seal
from models import Webhook, WebhookDelivery, WebhookEvent
from models.base import utc_now

_WEBHOOK: Table = Webhook.__table__  # type: ignore[attr-defined]
_EVENT: Table = WebhookEvent.__table__  # type: ignore[attr-defined]
_DELIVERY: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]

PREVIOUS_SECRET_VALID = timedelta(days=1)  # after a rotation, both secrets sign for a day


class RefusedWebhook(LaborwatchError):
    """A webhook URL that may not be called (it resolves inside the network, or does not resolve)."""

    status = 422


def webhook_record(row: Any) -> dict[str, Any]:
    """A webhook as JSON gives it: the one shaping of a webhook (never its secret)."""
    filters = row.filters or {}
    return {
        "id": row.id,
        "url": row.url,
        "filters": {
            "facility_id": filters.get("facility_id"),
            "report_id": filters.get("report_id"),
            "country": filters.get("country"),
            "action": list(filters.get("action") or []),
        },
        "description": row.description,
        "active": row.active,
        "created_at": iso_moment(row.created_at),
    }


def create_webhook(session: Session, settings: Settings, body: WebhookCreate) -> dict[str, Any]:
    """Register a webhook; its record with the secret, shown this once."""
    try:
        check_url(body.url, allow_private=settings.webhook_allow_private)
    except RefusedUrl as exc:
        raise RefusedWebhook(
            f"Refused webhook URL: {exc}.", [{"loc": ["body", "url"], "msg": str(exc)}]
        ) from None
    secret = new_secret()
    filters = body.filters.model_dump()
    filters["country"] = filters["country"].upper() if filters["country"] else None
    filters["action"] = list(dict.fromkeys(filters["action"]))
    webhook = Webhook(
        id="wh_" + secrets.token_hex(12),
        url=body.url,
        filters=filters,
        description=body.description,
        active=True,
        created_at=utc_now(),
        secret=seal(settings, secret),
    )
    session.add(webhook)
    session.flush()
    return webhook_record(webhook) | {"secret": secret}


def get_webhook(db: Session | Connection, webhook_id: str) -> dict[str, Any]:
    """One webhook's record, or `NotFound`."""
    row = db.execute(select(_WEBHOOK).where(_WEBHOOK.c.id == webhook_id)).first()
    if row is None:
        raise NotFound(f"No webhook with id {webhook_id!r}.")
    return webhook_record(row)


def list_webhooks(db: Connection) -> list[dict[str, Any]]:
    """Every webhook, oldest first."""
    rows = db.execute(select(_WEBHOOK).order_by(_WEBHOOK.c.created_at, _WEBHOOK.c.id)).all()
    return [webhook_record(row) for row in rows]


def delete_webhook(session: Session, webhook_id: str) -> None:
    """Remove a webhook, its waiting events and its delivery record."""
    get_webhook(session, webhook_id)
    session.execute(delete(_DELIVERY).where(_DELIVERY.c.webhook_id == webhook_id))
    session.execute(delete(_EVENT).where(_EVENT.c.webhook_id == webhook_id))
    session.execute(delete(_WEBHOOK).where(_WEBHOOK.c.id == webhook_id))


def rotate_secret(session: Session, settings: Settings, webhook_id: str) -> dict[str, Any]:
    """Give a webhook a new secret; the old one keeps signing beside it for a day. The new one, shown once."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"No webhook with id {webhook_id!r}.")
    secret = new_secret()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = utc_now() + PREVIOUS_SECRET_VALID
    webhook.secret = seal(settings, secret)
    session.add(webhook)
    session.flush()
    return webhook_record(webhook) | {"secret": secret}


@dataclass(frozen=True)
class DeliveryFilters:
    """The deliveries of one webhook."""

    webhook_id: str


def delivery_query(filters: DeliveryFilters, _db: Connection) -> Select[Any]:
    """Select one webhook's delivery attempts, with the event each sent (unordered)."""
    return (
        select(*_DELIVERY.c, _EVENT.c.payload)
        .join(_EVENT, _EVENT.c.id == _DELIVERY.c.event_id, isouter=True)
        .where(_DELIVERY.c.webhook_id == filters.webhook_id)
    )


def delivery_record(row: Any) -> dict[str, Any]:
    """A delivery attempt as JSON gives it."""
    return {
        "id": row.id,
        "event": row.payload or {"type": row.type, "change_id": row.change_id},
        "at": iso_moment(row.at),
        "attempt": row.attempt,
        "status": row.status,
        "error": row.error,
        "duration_ms": row.duration_ms,
    }


def shape_deliveries(_db: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Shape rows of `delivery_query`."""
    return [delivery_record(row) for row in rows]


DELIVERIES: Listing[DeliveryFilters] = Listing(
    name="deliveries",
    item=DeliveryPublic,
    query=delivery_query,
    shape=shape_deliveries,
    sorts={"id": SortKey("id", "int")},
    id_kind="int",
    default_sort="-id",
)
