"""The outbox: each change that matches a webhook's filters becomes an event row in the change's transaction.

A change that commits has its events; one that rolls back has none (they go with it). The event holds
only ids and a type, so no text, restricted or not, waits in the outbox or leaves with a delivery.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert, select

from api.changes.listing import ChangeFilters, Subject, change_matches, merge_family
from api.kit.schemas import iso_moment
from models import Webhook, WebhookEvent

_WEBHOOK: Table = Webhook.__table__  # type: ignore[attr-defined]
_EVENT: Table = WebhookEvent.__table__  # type: ignore[attr-defined]


def stored_filters(filters: dict[str, Any]) -> ChangeFilters:
    """A webhook's stored filters as the change feed reads them."""
    return ChangeFilters(
        facility_id=filters.get("facility_id"),
        report_id=filters.get("report_id"),
        country=filters.get("country"),
        action=tuple(filters.get("action") or ()),
    )


def event_payload(
    change: dict[str, Any], subjects: Sequence[Subject], family: set[str] | None
) -> dict[str, Any]:
    """What a receiver is sent: the change's type, id and time, and the ids it concerns (never text).

    `facility_id` is the facility the change is about, else the one the webhook's filter named, else the
    one facility the change concerns (null when it concerns none or several: read the change itself).
    """
    facilities = sorted({s.facility_id for s in subjects if s.facility_id})
    reports = sorted({s.report_id for s in subjects if s.report_id})
    if change["entity_type"] == "facility":
        facility_id: str | None = change["entity_id"]
    elif family is not None:
        facility_id = next((i for i in facilities if i in family), None)
    else:
        facility_id = facilities[0] if len(facilities) == 1 else None
    return {
        "type": change["action"],
        "change_id": change["id"],
        "at": iso_moment(change["at"]),
        "report_id": reports[0] if len(reports) == 1 else None,
        "facility_id": facility_id,
        "claim_id": change["entity_id"] if change["entity_type"] == "claim" else None,
    }


def queue_events(
    connection: Connection, written: Sequence[dict[str, Any]], subjects: dict[int, list[Subject]]
) -> int:
    """Write an event for each change in `written` and each active webhook it matches; how many."""
    hooks = connection.execute(select(_WEBHOOK.c.id, _WEBHOOK.c.filters).where(_WEBHOOK.c.active)).all()
    if not hooks:
        return 0
    rows: list[dict[str, Any]] = []
    for hook in hooks:
        filters = stored_filters(hook.filters)
        family = merge_family(connection, filters.facility_id) if filters.facility_id else None
        for change in written:
            concerned = subjects.get(change["id"], [])
            if change_matches(filters, change["action"], concerned, family):
                payload = event_payload(change, concerned, family)
                rows.append(
                    {
                        "webhook_id": hook.id,
                        "change_id": change["id"],
                        "payload": payload,
                        "state": "pending",
                        "attempts": 0,
                        "created_at": change["at"],
                        "next_attempt_at": change["at"],
                    }
                )
    rows.sort(key=lambda row: (row["change_id"], row["webhook_id"]))  # ids in change order per webhook
    if rows:
        connection.execute(insert(_EVENT), rows)
    return len(rows)
