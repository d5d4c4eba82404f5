"""Organizations that require two-factor sign-in: members who have not set it
up reach only the set-up page until they have.

Checked on every request of a signed-in person (one query for people whose
organizations do not require it), so switching the rule on takes effect at once
for sessions already open. API calls with a session get a 403 in the API's
error format instead of a redirect; personal access tokens are refused by their
own authentication (`workspaces.api.tokens`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from workspaces import twofactor

ENROL_MESSAGE = "Your organization requires two-factor sign-in. Set it up to continue."
# Reachable while enrolment is required: the set-up itself, signing out, and
# the assets the page needs.
_OPEN_NAMES = ("two-factor-setup", "logout")
_OPEN_PREFIXES = ("/static/", "/favicon")


class TwoFactorEnforcementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not self._open(request.path)
            and twofactor.enrolment_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "two_factor_required",
                            "message": ENROL_MESSAGE,
                            "fields": {},
                        }
                    },
                    status=403,
                )
            return redirect("two-factor-setup")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        if path.startswith(_OPEN_PREFIXES):
            return True
        return path in {reverse(name) for name in _OPEN_NAMES}
