"""Two-factor test helpers: an enrolled person and the codes their app shows."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from workspaces import twofactor
from workspaces.models import User


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """A confirmed app for `user` and their recovery codes (the real flow)."""
    device = twofactor.enrolment_start(user)
    codes = twofactor.enrolment_confirm(user, app_code(device))
    device.refresh_from_db()
    return device, codes


def app_code(device: TOTPDevice) -> str:
    """The code the app shows now, or for the next step when this one was
    used already (a code verifies once)."""
    device.refresh_from_db()
    step_start = device.t0 + (device.last_t + 1) * device.step
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = max(time.time(), step_start)
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = app_code(device)
    return f"{(int(right) + 1) % 10**device.digits:0{device.digits}d}"


def unthrottle(device: TOTPDevice) -> None:
    """Forget the device's back-off (as if its delay had passed)."""
    device.refresh_from_db()
    device.throttle_reset()
