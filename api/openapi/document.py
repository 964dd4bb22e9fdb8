"""The OpenAPI document as clients read it: operation ids, shared schemas, what every operation answers."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.auth.deps import BEARER, declare_key_errors
from api.edge.caching import CACHING_HEADERS
from api.errors import Problem, problem_responses
from api.reports.writes import bundle_schema
from api.settings import Settings


def operation_id(route: APIRoute) -> str:
    """An operation's id: the name of its endpoint function (`list_facilities`, `create_report`).

    What generated clients call their methods, so endpoint functions are named for clients.
    """
    return route.name


# The groups of operations, in the order /docs shows them (generated clients make a module of each).
TAGS = [
    {"name": "reports", "description": "Source documents, with their full text; writes take a bundle."},
    {"name": "facilities", "description": "Workplaces, with worker figures derived from the claims."},
    {"name": "claims", "description": "What a report says, each with its verbatim quote and span."},
    {"name": "stats", "description": "Counts and sums for dashboards."},
    {"name": "changes", "description": "The audit log of every write, for keeping a copy in sync."},
    {"name": "webhooks", "description": "Signed events POSTed for each change matching (admin keys)."},
    {"name": "export", "description": "The corpus in other data models: FollowTheMoney entities."},
    {"name": "health", "description": "Is the service up, and its database reachable."},
]
NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` ETag still matches; no body.",
    "headers": CACHING_HEADERS,
}
# Answers any operation can give: the head limits (api.headlimits) and an unavailable database.
EVERYWHERE = {str(status): response for status, response in problem_responses(414, 431, 503).items()}


def _describe_paging(operation: dict[str, Any], max_offset: int) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "offset":
            parameter["schema"]["maximum"] = max_offset


def _complete_operation(method: str, operation: dict[str, Any], settings: Settings) -> None:
    responses = operation["responses"]
    if method == "get":
        # A read may send a key (any role) to see restricted reports whole: optional, hence `{}` first.
        operation.setdefault("security", [{}, {BEARER.scheme_name: []}])
        responses.setdefault("304", NOT_MODIFIED)
        if "200" in responses:  # the ETag middleware tags every 200 of a GET
            responses["200"]["headers"] = CACHING_HEADERS | responses["200"].get("headers", {})
    for status, response in EVERYWHERE.items():
        responses.setdefault(status, response)
    declare_key_errors(operation)
    _describe_paging(operation, settings.max_offset)


def complete_openapi(app: FastAPI, settings: Settings) -> None:
    """Complete the app's OpenAPI document with what routes do not declare one by one.

    The Problem and Bundle schemas; on every GET the caching headers and 304; 414, 431 and 503
    everywhere; the key errors of every write.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            bundle = bundle_schema()
            schemas.update(bundle.pop("$defs", {}))
            schemas["Bundle"] = bundle
            for path_item in schema.get("paths", {}).values():
                for method, operation in path_item.items():
                    _complete_operation(method, operation, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
