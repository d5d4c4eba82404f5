"""The Celery application. Configuration comes from Django settings (CELERY_*)."""

from __future__ import annotations

import os
from contextvars import Token
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

from config.logging import task_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("adloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _reuse_database_connections(task: Any = None, **_: Any) -> None:
    """Keep a worker thread's database connection across tasks.

    Celery's Django fixup closes every connection before and after each task
    unless `CELERY_DB_REUSE_MAX` is set (it is, in settings), so each
    publication paid a new PostgreSQL connection: a backend process forked,
    authenticated and its caches cold (measured: about a tenth of a publishing
    worker's time in `connect` alone). Instead, treat a task like a request:
    close only what is unusable or older than CONN_MAX_AGE, with Django's health
    check. Eager tasks (tests) run inside the caller's transaction: untouched.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# Each task's log lines carry its id (config.logging.ContextFilter). A worker
# thread runs one task at a time, so prerun sets and postrun clears.
_task_tokens: dict[str, Token[str]] = {}


@task_prerun.connect
def _log_task_id(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _task_tokens[task_id] = task_id_var.set(task_id)


@task_postrun.connect
def _forget_task_id(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        task_id_var.reset(token)
