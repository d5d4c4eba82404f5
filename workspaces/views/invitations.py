"""The page an invitation email links to: accept, or sign up and accept.

Four cases, each with its own clear answer: the link is no longer valid; the
invited person is signed in (accept button); someone else is signed in (say
so, offer to sign out); nobody is signed in (sign-up form, or sign in when the
address already has an account).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.errors import ConflictError
from workspaces.forms import InvitationSignUpForm
from workspaces.middleware import SESSION_KEY
from workspaces.models import Invitation, Membership, User
from workspaces.services.invitations import invitation_accept, invitation_by_token

PAGE = "campaigns/invitation_accept.html"


def accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        return render(request, "campaigns/invitation_invalid.html", status=404)
    user = request.user
    context: dict[str, Any] = {
        "invitation": invitation,
        "target": invitation.workspace or invitation.organization,
        "has_account": User.objects.filter(email__iexact=invitation.email).exists(),
    }
    if user.is_authenticated:
        context["email_matches"] = user.email.lower() == invitation.email.lower()
        if request.method != "POST":
            return render(request, PAGE, context)
        try:
            membership = invitation_accept(invitation=invitation, user=user)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            return render(request, PAGE, context, status=403)
        except ConflictError as error:
            context["error"] = str(error)
            return render(request, PAGE, context, status=409)
        return _welcome(request, invitation, membership)

    form = InvitationSignUpForm(request.POST or None, invitation=invitation)
    context["form"] = form
    if request.method == "POST" and not context["has_account"]:
        if form.is_valid():
            try:
                with transaction.atomic():
                    new_user = form.save()
                    membership = invitation_accept(invitation=invitation, user=new_user)
            except (ValidationError, ConflictError) as error:
                messages_ = getattr(error, "messages", None) or [str(error)]
                form.add_error(None, messages_)
            else:
                login(
                    request,
                    new_user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
                return _welcome(request, invitation, membership)
        return render(request, PAGE, context, status=400)
    return render(request, PAGE, context)


def _welcome(
    request: HttpRequest, invitation: Invitation, membership: Membership
) -> HttpResponse:
    """Land in the workspace just joined (org-wide: the middleware picks one)."""
    if membership.workspace_id is not None:
        request.session[SESSION_KEY] = membership.workspace_id
    target = invitation.workspace or invitation.organization
    messages.success(request, f"Welcome to {target}!")
    return redirect("dashboard")
