"""Two-factor sign-in: a TOTP authenticator app, one-time recovery codes, and
the organization rule that makes them mandatory.

The devices are django-otp's (`TOTPDevice`, `StaticDevice`), so the code check,
its clock drift and its growing delay after wrong codes are a maintained
library's. What AdLoop adds:

- enrolment: an unconfirmed device whose secret the person scans (QR) and
  confirms with a first code; only then does sign-in ask for codes;
- recovery codes stored hashed (django-otp keeps static tokens in clear), shown
  once when made;
- the pending sign-in: after the password, the session holds only who is
  waiting for a code (`login_pending`), never an authenticated user, until a
  code verifies; a few wrong codes discard it, so guessing goes back through
  the password (and its throttle) and the device's own back-off;
- `Organization.require_two_factor`: members without a device may only enrol.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

import segno
from django.contrib.auth import login as auth_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from workspaces.models import Organization, Role, User
from workspaces.permissions import is_api_key, role_in_organization

RECOVERY_CODE_COUNT = 10
# Wrong codes one pending sign-in may try before the password is asked again.
MAX_CODE_ATTEMPTS = 5
# The device's back-off doubles per wrong code up to 2**9 s (about 8 minutes).
MAX_BACKOFF_FAILURES = 10
# How long the password step stays good for the code step.
PENDING_SECONDS = 300

_PENDING = "twofa_pending"


# --- Devices ---------------------------------------------------------------------


def is_enrolled(user: User) -> bool:
    """Has the person a confirmed authenticator app (sign-in asks for a code)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def organizations_requiring(user: User) -> list[Organization]:
    """The person's organizations that require two-factor sign-in."""
    return list(
        Organization.objects.filter(
            require_two_factor=True, memberships__user=user
        ).distinct()
    )


def enrolment_required(user: User) -> bool:
    """Must the person enrol before doing anything else?

    One query for almost everyone (no organization of theirs requires it).
    """
    requiring = Organization.objects.filter(
        require_two_factor=True, memberships__user=user
    )
    return requiring.exists() and not is_enrolled(user)


def enrolment_start(user: User) -> TOTPDevice:
    """The unconfirmed device to scan: the same one until confirmed, so a
    reload does not invalidate a code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    return device


def provisioning_qr_svg(device: TOTPDevice) -> str:
    """The `otpauth://` address as an inline SVG QR code (no image request)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#111827", light="#ffffff"
    )


def provisioning_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@transaction.atomic
def enrolment_confirm(user: User, code: str) -> list[str]:
    """Confirm the scanned device with its first code; returns recovery codes.

    Raises ValidationError (field `code`) for a wrong code: the device counts
    it, and its back-off applies here as at sign-in.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError({"code": "Start the set-up again: no app is waiting."})
    if not _clean_totp(code) or not device.verify_token(_clean_totp(code)):
        raise ValidationError(
            {"code": "That code is not right. Check the app's clock and try again."}
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_regenerate(user)


@transaction.atomic
def recovery_codes_regenerate(user: User) -> list[str]:
    """New one-time recovery codes (the old ones stop working); shown once.

    Stored as a hash: a code is 80 random bits, so a fast hash is safe.
    """
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_recovery_hash(code)) for code in codes
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def disable(user: User) -> None:
    """Remove the person's app and recovery codes, unless an organization of
    theirs requires two-factor sign-in."""
    requiring = organizations_requiring(user)
    if requiring:
        names = ", ".join(org.name for org in requiring)
        raise ValidationError(
            f"{names} requires two-factor sign-in; it cannot be turned off."
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    message: str = ""


def verify(user: User, code: str) -> CodeCheck:
    """Check a code from the app (six digits) or a recovery code.

    Each device counts its wrong codes and then refuses for a growing time
    (1, 2, 4… seconds, django-otp's throttle); the answer says so.
    """
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if totp is None:
        return CodeCheck(False, "Two-factor sign-in is not set up.")
    digits = _clean_totp(code)
    device: TOTPDevice | StaticDevice | None = totp
    token = digits
    if not digits:
        device = StaticDevice.objects.filter(user=user).first()
        token = _recovery_hash(code) if _clean_recovery(code) else ""
    if device is None or not token:
        return CodeCheck(False, "Enter the 6-digit code from your app.")
    _cap_backoff(device)
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(False, _wait_message(data))
    if device.verify_token(token):
        return CodeCheck(True)
    return CodeCheck(False, "That code is not right.")


def _cap_backoff(device: TOTPDevice | StaticDevice) -> None:
    """Keep the device's wait at most 2**(MAX_BACKOFF_FAILURES - 1) seconds.

    django-otp doubles it without a useful cap (a century), so someone who
    knows the password could lock the person's codes for days; a few minutes
    is as good against guessing (10**6 codes) and not a lock-out.
    """
    if device.throttling_failure_count > MAX_BACKOFF_FAILURES:
        device.throttling_failure_count = MAX_BACKOFF_FAILURES
        device.save(update_fields=["throttling_failure_count"])


def _wait_message(data: dict[str, Any] | None) -> str:
    until = (data or {}).get("locked_until")
    if until is None:
        return "Too many wrong codes. Wait a moment and try again."
    seconds = max(1, int(until.timestamp() - time.time()) + 1)
    return f"Too many wrong codes. Try again in {seconds} seconds."


def _clean_totp(code: str) -> str:
    digits = "".join((code or "").split())
    return digits if digits.isascii() and digits.isdigit() and len(digits) == 6 else ""


def _clean_recovery(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return cleaned if cleaned.isascii() and len(cleaned) == 16 else ""


def _recovery_hash(code: str) -> str:
    # StaticToken.token holds 16 characters: 64 bits of SHA-256 of an 80-bit code.
    return hashlib.sha256(_clean_recovery(code).encode()).hexdigest()[:16]


def _new_recovery_code() -> str:
    raw = b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


# --- The pending sign-in ----------------------------------------------------------


def login_pending(
    request: HttpRequest, user: User, backend: str, next_url: str
) -> None:
    """The password was right and the person has an app: remember who waits
    for a code (not signed in). A new password step restarts the count."""
    request.session[_PENDING] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": int(time.time()),
        "attempts": 0,
    }


def pending_user(request: HttpRequest) -> User | None:
    """Who is between password and code in this session, if still in time."""
    pending = request.session.get(_PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(_PENDING, None)
        return None
    user_pk = pending.get("user")
    if user_pk is None:  # matches no one
        return None
    return User.objects.filter(pk=user_pk, is_active=True).first()


def login_with_code(request: HttpRequest, code: str) -> tuple[CodeCheck, str]:
    """The code step: sign in on a right code; returns (check, next address).

    A wrong code counts against the pending sign-in; at MAX_CODE_ATTEMPTS it is
    discarded and the answer says to start again with the password.
    """
    user = pending_user(request)
    if user is None:
        return CodeCheck(False, "Sign in again: the sign-in expired."), ""
    pending = request.session[_PENDING]
    check = verify(user, code)
    if not check.ok:
        pending["attempts"] = pending.get("attempts", 0) + 1
        if pending["attempts"] >= MAX_CODE_ATTEMPTS:
            request.session.pop(_PENDING, None)
            return CodeCheck(False, "Too many wrong codes. Sign in again."), ""
        request.session[_PENDING] = pending
        return check, ""
    request.session.pop(_PENDING, None)
    auth_login(request, user, backend=pending["backend"])
    return check, pending.get("next") or ""


# --- The organization rule --------------------------------------------------------


def may_set_requirement(principal: object, organization: Organization) -> bool:
    """Organization-wide owners and admins, signed in (a key may not change how
    people sign in)."""
    if is_api_key(principal) or not isinstance(principal, User):
        return False
    return role_in_organization(principal, organization) in (Role.OWNER, Role.ADMIN)


def organization_set_requirement(
    *, organization: Organization, required: bool, by: object
) -> Organization:
    """Turn the organization's two-factor rule on or off.

    Raises PermissionDenied for anyone but its owners and admins, and
    ValidationError when turning it on without being enrolled oneself (they
    would be sent to enrolment at once; better to do it first, deliberately).
    """
    if not may_set_requirement(by, organization):
        raise PermissionDenied(
            "Only the organization's owners and admins, signed in, can change "
            "its two-factor rule."
        )
    assert isinstance(by, User)  # may_set_requirement lets only people through
    if required and not is_enrolled(by):
        raise ValidationError(
            {
                "require_two_factor": "Set up two-factor sign-in for yourself "
                "first (Settings → Security)."
            }
        )
    if organization.require_two_factor != required:
        organization.require_two_factor = required
        organization.save(update_fields=["require_two_factor"])
    return organization
