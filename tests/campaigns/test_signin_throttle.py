"""Failed sign-ins slow the guesser down (per account and address), never the owner:
/login/, /admin/ and the API's key check; nothing raw is kept in the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from workspaces import signin_throttle

pytestmark = pytest.mark.usefixtures("static_files")

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.7"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _login(client, email: str, password: str, address: str = ATTACKER):
    return client.post(
        reverse("login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _stored_keys() -> list[str]:
    """Every key in the cache as stored: local memory (the suite) or Redis."""
    store = cache._cache  # type: ignore[attr-defined]
    if isinstance(store, dict):
        return list(store)
    client = store.get_client(None, write=False)
    return [k.decode() for k in client.keys("*")]


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_wrong_passwords_then_the_right_one_is_refused_while_throttled(
    client, tenant, frozen, settings
):
    settings.SIGNIN_FREE_FAILURES = 5
    email = tenant.owner.email
    for _ in range(5):
        response = _login(client, email, "guess")
        assert response.status_code == 200
        assert "Please enter a correct email address" in response.content.decode()
    response = _login(client, email, PASSWORD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too many failed sign-ins from here for this account" in body
    assert "Try again in 2 seconds." in body
    assert not _signed_in(client)


def test_the_owner_signs_in_from_another_address_while_the_attacker_waits(
    client, tenant, frozen, settings
):
    settings.SIGNIN_FREE_FAILURES = 3
    email = tenant.owner.email
    for _ in range(10):
        _login(client, email, "guess")
    assert "Too many failed" in _login(client, email, "x").content.decode()
    response = _login(client, email, PASSWORD, address=OWNER_HOME)
    assert response.status_code == 302
    assert _signed_in(client)


def test_back_off_grows_and_a_success_clears_it(client, tenant, frozen, settings):
    settings.SIGNIN_FREE_FAILURES = 2
    settings.SIGNIN_BACKOFF_BASE_SECONDS = 2
    email = tenant.owner.email
    for _ in range(2):
        _login(client, email, "guess")
    # 2 failures: wait 2 s; a third: 4 s; a fourth: 8 s.
    assert "Try again in 2 seconds" in _login(client, email, "g").content.decode()
    frozen.shift(2)
    assert "correct email address" in _login(client, email, "g").content.decode()
    assert "Try again in 4 seconds" in _login(client, email, "g").content.decode()
    frozen.shift(4)
    _login(client, email, "g")
    assert "Try again in 8 seconds" in _login(client, email, "g").content.decode()
    frozen.shift(8)
    assert _login(client, email, PASSWORD).status_code == 302
    client.logout()
    # The success forgot the failures: a wrong password is an ordinary error again.
    assert "correct email address" in _login(client, email, "g").content.decode()


def test_the_wait_is_capped_and_said_in_minutes(client, tenant, frozen, settings):
    settings.SIGNIN_FREE_FAILURES = 1
    settings.SIGNIN_BACKOFF_MAX_SECONDS = 120
    email = tenant.owner.email
    for _ in range(12):
        frozen.shift(200)  # past the cap: each of these is tried
        _login(client, email, "guess")
    body = _login(client, email, PASSWORD).content.decode()
    assert "Try again in 2 minutes." in body


def test_one_address_cannot_try_every_account(client, db, frozen, settings):
    settings.SIGNIN_ADDRESS_FREE_FAILURES = 4
    people = UserFactory.create_batch(6)
    for person in people[:4]:
        _login(client, person.email, "guess")
    response = _login(client, people[5].email, PASSWORD)
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(client)
    # Someone else's address is not affected.
    response = _login(client, people[5].email, PASSWORD, address=OWNER_HOME)
    assert response.status_code == 302


def test_unknown_accounts_are_throttled_the_same(client, db, frozen, settings):
    settings.SIGNIN_FREE_FAILURES = 2
    for _ in range(2):
        _login(client, "nobody@example.test", "guess")
    body = _login(client, "NOBODY@example.test", "guess").content.decode()
    assert "Too many failed sign-ins" in body


def test_admin_sign_in_is_throttled(client, db, frozen, settings):
    settings.SIGNIN_FREE_FAILURES = 3
    staff = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(3):
        response = client.post(
            url, {"username": staff.email, "password": "guess"}, REMOTE_ADDR=ATTACKER
        )
        assert response.status_code == 200
    response = client.post(
        url, {"username": staff.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(client)
    response = client.post(
        url, {"username": staff.email, "password": PASSWORD}, REMOTE_ADDR=OWNER_HOME
    )
    assert response.status_code == 302
    assert _signed_in(client)


def test_repeated_bad_api_keys_answer_429_with_retry_after(
    api_client, tenant, key_client, frozen, settings
):
    settings.API_KEY_FREE_FAILURES = 3
    url = "/api/v1/workspaces/"
    bad = {"HTTP_AUTHORIZATION": "Bearer adl_nope_0123456789", "REMOTE_ADDR": ATTACKER}
    for _ in range(3):
        assert api_client.get(url, **bad).status_code == 401
    response = api_client.get(url, **bad)
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert "Too many invalid API keys" in response.json()["error"]["message"]
    # A good key from the same address waits too (no key is looked at)...
    good = key_client(tenant.workspace)
    response = good.get(url, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    # ...but not from anywhere else, and not once the wait is over.
    assert good.get(url, REMOTE_ADDR=OWNER_HOME).status_code == 200
    frozen.shift(2)
    assert good.get(url, REMOTE_ADDR=ATTACKER).status_code == 200


def test_no_raw_address_or_email_is_kept_in_the_cache(client, tenant, frozen):
    email = tenant.owner.email
    _login(client, email, "guess")
    api_headers = {"HTTP_AUTHORIZATION": "Bearer adl_x_y", "REMOTE_ADDR": ATTACKER}
    client.get("/api/v1/workspaces/", **api_headers)
    keys = [k for k in _stored_keys() if signin_throttle.PREFIX in k]
    assert len(keys) >= 3  # pair, address, API key (and their timestamps)
    for key in keys:
        assert ATTACKER not in key
        assert email not in key and email.split("@")[0] not in key
    for value in (cache.get(k.split(":", 2)[2]) for k in keys):
        assert ATTACKER not in str(value)


def test_the_wait_message_reads_well() -> None:
    assert signin_throttle.wait_message(1).endswith("Try again in 1 second.")
    assert signin_throttle.wait_message(45).endswith("Try again in 45 seconds.")
    assert signin_throttle.wait_message(61).endswith("Try again in 2 minutes.")
    assert signin_throttle.wait_message(900).endswith("Try again in 15 minutes.")
    assert signin_throttle.api_wait_message(900).endswith("Try again in 15 minutes.")


def test_a_password_reset_lets_the_owner_in_from_the_throttled_address(
    client, db, frozen, settings
):
    settings.SIGNIN_FREE_FAILURES = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = UserFactory(email="ann@example.test")
    for _ in range(3):
        _login(client, person.email, "guess")
    assert "Too many failed" in _login(client, person.email, "g").content.decode()
    client.post(
        reverse("password_reset"), {"email": person.email}, REMOTE_ADDR=ATTACKER
    )
    link = re.search(
        r"http://testserver(/password-reset/\S+/\S+/)", mail.outbox[0].body
    )
    assert link
    page = client.get(link.group(1), follow=True, REMOTE_ADDR=ATTACKER)
    new = "brand-New-passw0rd"
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": new, "new_password2": new},
        REMOTE_ADDR=ATTACKER,
    )
    assert _login(client, person.email, new).status_code == 302


def _reset(client, email: str, address: str = ATTACKER):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_reset_mails_are_limited_per_email(client, db, frozen, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = 3
    person = UserFactory(email="ann@example.test")
    for number in range(3):
        address = f"198.51.100.{number + 10}"  # spread over addresses: still 3
        assert _reset(client, person.email, address).status_code == 302
    response = _reset(client, person.email, "198.51.100.99")
    assert response.status_code == 200
    assert "Too many password reset requests. Try again in 60 minutes." in (
        response.content.decode()
    )
    assert len(mail.outbox) == 3
    # An email without an account gets the very same answers (nothing leaks).
    for _ in range(3):
        assert _reset(client, "nobody@example.test").status_code == 302
    assert (
        "Too many password reset"
        in _reset(client, "nobody@example.test", OWNER_HOME).content.decode()
    )
    frozen.shift(3600)
    assert _reset(client, person.email, "198.51.100.99").status_code == 302
    assert len(mail.outbox) == 4


def test_password_reset_mails_are_limited_per_source_address(
    client, db, frozen, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 4
    people = UserFactory.create_batch(5)
    for person in people[:4]:
        assert _reset(client, person.email).status_code == 302
    assert _reset(client, people[4].email).status_code == 200
    assert len(mail.outbox) == 4
    assert _reset(client, people[4].email, OWNER_HOME).status_code == 302
