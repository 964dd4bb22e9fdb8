"""Webhooks (admin keys): register, list, read, delete, rotate the secret, and read the delivery attempts."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api.auth.deps import AdminKeyDep
from api.db.engine import read_session, write_session
from api.db.reader import EngineDep, ReadDep
from api.errors import problem_responses
from api.kit.bodies import require_json
from api.kit.listing import ListRequest, answer_list
from api.kit.responses import json_response
from api.kit.urls import location
from api.settings import MAX_PAGE_SIZE
from api.webhooks import registry
from api.webhooks.registry import DELIVERIES, DeliveryFilters
from api.webhooks.schemas import DeliveryPage, WebhookCreate, WebhookPage, WebhookPublic, WebhookWithSecret

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WebhookId = Path(description="The webhook's id.", examples=["wh_3f9a0c1d2e4b5a6978877665"], max_length=40)
KEY_ERRORS = problem_responses(401, 403)
NEW_WEBHOOK: dict[str, Any] = {
    "Location": {"description": "The new webhook's URL.", "schema": {"type": "string"}},
}


@router.post(
    "",
    status_code=201,
    responses={**problem_responses(400, 401, 403, 413, 415, 422), 201: {"headers": NEW_WEBHOOK}},
    dependencies=[Depends(require_json)],
    response_model=WebhookWithSecret,
)
def create_webhook(request: Request, engine: EngineDep, _actor: AdminKeyDep, body: WebhookCreate) -> Response:
    """Register a webhook: each change matching `filters` is POSTed to `url` as a small signed event.

    Only an admin key may. The answer holds the `secret` (`whsec_...`) to verify signatures with: it is
    shown this once. A URL whose host resolves to a loopback, private, link-local or multicast address
    is refused (422) unless the server allows it.
    """
    with write_session(engine) as session:
        made = registry.create_webhook(session, request.app.state.settings, body)
    return json_response(made, status_code=201, headers={"Location": location(request, made["id"])})


@router.get("", responses=KEY_ERRORS, response_model=WebhookPage)
def list_webhooks(engine: EngineDep, _actor: AdminKeyDep) -> Response:
    """Every webhook, oldest first, in one page (admin keys only; secrets are never shown again)."""
    with read_session(engine) as session:
        items = registry.list_webhooks(session.connection())
    page = {"items": items, "total": len(items), "limit": MAX_PAGE_SIZE, "offset": 0, "next": None}
    return json_response(page)


@router.get("/{webhook_id}", responses=problem_responses(401, 403, 404, 422), response_model=WebhookPublic)
def get_webhook(engine: EngineDep, _actor: AdminKeyDep, webhook_id: Annotated[str, WebhookId]) -> Response:
    """One webhook (admin keys only): `active` turns false when its receiver answers 410 Gone."""
    with read_session(engine) as session:
        return json_response(registry.get_webhook(session, webhook_id))


@router.delete("/{webhook_id}", status_code=204, responses=problem_responses(401, 403, 404, 422))
def delete_webhook(engine: EngineDep, _actor: AdminKeyDep, webhook_id: Annotated[str, WebhookId]) -> Response:
    """Delete a webhook: nothing more is sent to it, and its waiting events and delivery record go."""
    with write_session(engine) as session:
        registry.delete_webhook(session, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate",
    responses=problem_responses(401, 403, 404, 422),
    response_model=WebhookWithSecret,
)
def rotate_webhook_secret(
    request: Request, engine: EngineDep, _actor: AdminKeyDep, webhook_id: Annotated[str, WebhookId]
) -> Response:
    """Give the webhook a new secret (shown this once); for a day, events carry both signatures."""
    with write_session(engine) as session:
        return json_response(registry.rotate_secret(session, request.app.state.settings, webhook_id))


@router.get(
    "/{webhook_id}/deliveries",
    responses=DELIVERIES.responses() | KEY_ERRORS | problem_responses(404),
    response_model=DeliveryPage,
)
async def list_webhook_deliveries(
    request: Request,
    read: ReadDep,
    _actor: AdminKeyDep,
    params: Annotated[ListRequest, Depends(DELIVERIES.params)],
    webhook_id: Annotated[str, WebhookId],
) -> Response:
    """Every attempt to deliver an event to this webhook, newest first: the event, when, status, error."""

    def stored(db: Connection) -> None:
        registry.get_webhook(db, webhook_id)

    filters = DeliveryFilters(webhook_id)
    return await answer_list(
        read, request, DELIVERIES, filters, params, f"{webhook_id}-deliveries", check=stored
    )
