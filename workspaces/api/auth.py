"""`Authorization: Bearer <api key>` authentication for the REST API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from workspaces import signin_throttle
from workspaces.models import ApiKey
from workspaces.services.api_keys import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The key itself is the request's principal (`request.user` is the ApiKey).

    An unknown or revoked key answers 401; a request without the header falls
    through to session authentication (the UI's own calls). Repeated bad keys
    from one address answer 429 with Retry-After, before any key is looked up
    (workspaces.signin_throttle).
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        # A blank header (only spaces) carries no credentials: fall through.
        if not parts or parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <api key>'."
            )
        wait = signin_throttle.api_key_wait(request)
        if wait:
            raise exceptions.Throttled(
                wait=wait, detail=signin_throttle.api_wait_message(wait)
            )
        key = api_key_authenticate(parts[1])
        if key is None:
            signin_throttle.api_key_failed(request)
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return key, key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "workspaces.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An AdLoop API key: `Authorization: Bearer adl_…`.",
        }
