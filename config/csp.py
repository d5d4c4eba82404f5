"""The Content-Security-Policy: one strict policy, and the few routes that need
more, named here in one place.

The policy itself is `CONTENT_SECURITY_POLICY` in settings (django-csp): scripts
and styles from this origin only (pages carry no inline code; the script tags
carry the request's nonce), no plugins, no framing, forms to this origin.
Exceptions, each for a reason that cannot be designed away:

- The API docs (Swagger UI from drf-spectacular-sidecar, served locally):
  Swagger UI renders with inline style attributes and its page has an inline
  <style> block, so that page alone allows inline styles.
- Pages with a "Connect with <network>" button: the form posts to AdLoop,
  which redirects to the network's sign-in page (X, LinkedIn, Facebook, or
  whichever Mastodon instance the person named), and browsers apply
  `form-action` to that redirect too. Those pages allow form targets over
  https; the others stay 'self' only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

# url_name -> directives that replace the defaults on that route.
ROUTE_POLICIES: dict[str, dict[str, list[str]]] = {
    "api-docs": {"style-src": [SELF, UNSAFE_INLINE]},
}
# Routes whose pages hold an OAuth start form (see the module docstring).
OAUTH_FORM_ROUTES = frozenset({"dashboard", "channels", "post-editor"})


class AdLoopCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with the per-route exceptions above."""

    def get_policy_parts(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        report_only: bool = False,
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match is not None else None
        extra: dict[str, list[str]] = dict(ROUTE_POLICIES.get(name or "", {}))
        if name in OAUTH_FORM_ROUTES:
            extra["form-action"] = [SELF, "https:"]
        if extra:
            parts.replace = {**extra, **(parts.replace or {})}
        return parts
