"""`Authorization: Bearer adp_…`: personal access tokens authenticate as their
person (`request.user` is the `User`, `request.auth` the token).

Apart from `workspaces.api.tokens` because DRF imports authentication classes
while `rest_framework.views` loads: this module must not import view code.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from workspaces import signin_throttle
from workspaces.models import PersonalAccessToken, User
from workspaces.services import personal_tokens
from workspaces.token_models import attach_token


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer adp_…`: the request is the token's person's.

    Any other bearer value is left to `ApiKeyAuthentication` (workspace keys).
    Bad tokens count towards the same per-address limit as bad keys.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, PersonalAccessToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            return None
        if not personal_tokens.is_token_secret(parts[1]):
            return None
        wait = signin_throttle.api_key_wait(request)
        if wait:
            raise exceptions.Throttled(
                wait=wait,
                detail="Too many invalid tokens from this address. "
                f"Try again in {wait} seconds.",
            )
        check = personal_tokens.token_authenticate(parts[1])
        if check.token is None:
            if check.problem != personal_tokens.ENROL_FIRST:
                signin_throttle.api_key_failed(request)
            raise exceptions.AuthenticationFailed(check.problem)
        user = check.token.user
        attach_token(user, check.token)
        return user, check.token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "workspaces.api.token_auth.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A person's own token: `Authorization: Bearer adp_…`. "
            "It acts as that person (their roles; a reviewer approves with it) "
            "and the history names them. Workspace API keys (`adl_…`) never "
            "approve.",
        }
