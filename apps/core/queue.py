"""Enqueueing Celery tasks from request code, safely."""

from __future__ import annotations

import logging
from functools import partial
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Send `task` (a task, or its registered name) once the transaction commits.

    Services name their app's tasks rather than import them: the tasks call the services,
    so an import would make the two modules need each other.

    A task sent before commit can run before its rows are visible, or after a rollback
    they never existed. A broker outage at that moment is logged, not raised: the
    request's own work is already committed and must not turn into a 500. Work that must
    never be lost (order e-mails) is kept in a table and swept, not trusted to this.
    """
    transaction.on_commit(partial(_send, task, args, kwargs))


def _send(task: Task | str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    name = task if isinstance(task, str) else task.name
    try:
        _registered(task).apply_async(args=args, kwargs=kwargs)
    except (OperationalError, OSError):
        # OSError: the embedded filesystem broker's folder missing or unwritable.
        logger.exception("Broker unreachable; task %s was not enqueued", name)


def _registered(task: Task | str) -> Task:
    """The task itself, for a name too: sent through its own apply_async, its options and
    eager mode apply as they do to the task (`send_task` by name would skip both)."""
    if not isinstance(task, str):
        return task
    if task not in current_app.tasks:
        # A web process imports task modules only when asked: the name is the task's
        # module and function (Celery's default naming), so importing the module registers it.
        import_module(task.rpartition(".")[0])
    return current_app.tasks[task]
