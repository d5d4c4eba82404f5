"""drf-spectacular post-processing: the error statuses every operation shares,
and links from each create to the new object's operations.

Each view declares the errors of its own (`core.api.docs.errors`), but
some answers come from the machinery every endpoint runs through, whatever
the view: a malformed query or body (400), credentials (401), the role or key
scope (403), an id out of reach (404), a query string too long (414),
throttling (429); and for writes a state conflict (409), a body too large
(413) or not JSON (415). This hook adds those that a view did not declare, so
the published schema names every status a client can meet (schemathesis
checks that in tests/api_fuzz).
"""

from __future__ import annotations

from typing import Any

from core.api.docs import _DESCRIPTIONS

EVERY_OPERATION = (400, 401, 403, 404, 414, 429)
WRITES = (409, 413, 415)
WRITE_METHODS = {"post", "put", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def declare_common_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the shared error responses to each operation that lacks them."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            codes = EVERY_OPERATION + (WRITES if method in WRITE_METHODS else ())
            for code in codes:
                responses.setdefault(
                    str(code),
                    {
                        "content": {"application/json": {"schema": ERROR_REF}},
                        "description": _DESCRIPTIONS[code],
                    },
                )
            operation["responses"] = dict(
                sorted(responses.items(), key=lambda kv: kv[0])
            )
    return result


def link_created_objects(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """OpenAPI links from each create (a POST on a collection answering 201
    with an `id`) to every operation on that object (`<collection>{id}/…`).

    A client generator can follow them, and schemathesis's stateful phase
    chains them into scenarios (create, then read, change, act on, delete the
    new object) instead of guessing ids.
    """
    paths: dict[str, Any] = result.get("paths", {})
    for collection, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created or not _has_id(created, result):
            continue
        links = {}
        for path, target in paths.items():
            if not path.startswith(f"{collection}{{id}}/"):
                continue
            for method, operation in target.items():
                if method in WRITE_METHODS | {"get"} and "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {"path.id": "$response.body#/id"},
                    }
        if links:
            created["links"] = dict(sorted(links.items()))
    return result


def _has_id(response: dict[str, Any], result: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    ref = (schema or {}).get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = result["components"]["schemas"].get(ref.rsplit("/", 1)[1])
    return "id" in (schema or {}).get("properties", {})
