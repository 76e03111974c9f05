"""Enqueueing Celery tasks from request code, safely."""

from __future__ import annotations

import logging
from functools import partial
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError
from pybreaker import CircuitBreakerError

from apps.core.breaker import broker_breaker

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Send `task` (a task, or its registered name) once the transaction commits.

    Services name their app's tasks rather than import them: the tasks call the services,
    so an import would make the two modules need each other.

    A task sent before commit can run before its rows are visible, or after a rollback
    they never existed. A broker outage at that moment is logged, not raised: the
    request's own work is already committed and must not turn into a 500. Work that must
    never be lost (order e-mails) is kept in a table and swept, not trusted to this. After
    a few failures in a row the broker is not asked for a while (its circuit breaker):
    tasks are then skipped and logged at once instead of each costing a timeout.
    """
    transaction.on_commit(partial(_send, task, args, kwargs))


def _send(task: Task | str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    name = task if isinstance(task, str) else task.name
    try:
        _publish(_registered(task), args, kwargs)
    except CircuitBreakerError:
        # The breaker logged when it opened; no traceback per skipped task.
        logger.error("Broker unreachable (circuit open); task %s was not enqueued", name)
    except (OperationalError, OSError):
        # OSError: the embedded filesystem broker's folder missing or unwritable.
        logger.exception("Broker unreachable; task %s was not enqueued", name)


def _publish(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """apply_async through the broker's breaker: a hung broker holds a request for
    seconds per publish (connect and socket timeouts, the publish retry policy), so after
    a few failures publishing is skipped for a while and then probed again."""
    conf = task.app.conf
    if conf.task_always_eager:
        # No broker: the task runs here, and its own errors are no sign of a broker outage.
        task.apply_async(args=args, kwargs=kwargs)
        return
    broker_breaker(str(conf.broker_url)).call(task.apply_async, args=args, kwargs=kwargs)


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
