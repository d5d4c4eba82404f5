"""/healthz: 200 while database and broker answer, 503 when one is down."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from publishing import services

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _beat(age: timedelta = timedelta(0)) -> None:
    now = timezone.now() - age
    services.scheduler_heartbeat_record(name="sched-1", started_at=now, now=now)


def test_all_ok_answers_200_without_login(client) -> None:
    _beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    scheduler = body["checks"]["scheduler"]
    assert scheduler["stale"] is False
    assert scheduler["age_seconds"] < 5
    assert scheduler["last_tick_at"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_unreachable_broker_answers_503_quickly(client, settings) -> None:
    _beat()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    started = timezone.now()
    response = client.get("/healthz")
    assert (timezone.now() - started).total_seconds() < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["broker"] == {
        "ok": False,
        "transport": "redis",
        "error": body["checks"]["broker"]["error"],
    }
    assert body["checks"]["database"]["ok"] is True


def test_filesystem_broker_is_checked_by_writing_to_its_folders(
    client, settings, tmp_path
) -> None:
    _beat()
    folders = {"data_folder_in": tmp_path / "q", "processed_folder": tmp_path / "p"}
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {k: str(v) for k, v in folders.items()}
    (tmp_path / "q").mkdir()
    # "p" is missing: the transport could not move processed messages there.
    assert client.get("/healthz").status_code == 503
    (tmp_path / "p").mkdir()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["transport"] == "filesystem"
    assert list(tmp_path.rglob("*healthz*")) == []  # the probe files are gone


def test_database_down_answers_503(client, monkeypatch) -> None:
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["scheduler"]["stale"] is True


def test_stale_heartbeat_is_degraded_but_still_200(client, settings) -> None:
    settings.SCHEDULER_STALE_AFTER_SECONDS = 60
    _beat(age=timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["scheduler"]["stale"] is True
    assert body["checks"]["scheduler"]["age_seconds"] >= 600


def test_missing_heartbeat_is_degraded(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    scheduler = response.json()["checks"]["scheduler"]
    assert response.json()["status"] == "degraded"
    assert scheduler == {"last_tick_at": None, "age_seconds": None, "stale": True}


def test_body_names_no_secret_or_broker_address(client, settings) -> None:
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://adloop:s3cret-Pa55@127.0.0.1:{port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    text = response.content.decode()
    assert response.status_code == 503
    for secret in ("s3cret-Pa55", "adloop:", str(port), settings.SECRET_KEY):
        assert secret not in text
