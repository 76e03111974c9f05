"""Enqueueing Celery tasks from request code, safely."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task` once the surrounding transaction commits (at once outside one).

    A task sent before commit can run before its rows are visible, or after a rollback
    they never existed. A broker outage at that moment is logged, not raised: the
    request's own work is already committed and must not turn into a 500. Work that must
    never be lost (order e-mails) is kept in a table and swept, not trusted to this.
    """
    transaction.on_commit(partial(_send, task, args, kwargs))


def _send(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except (OperationalError, OSError):
        # OSError: the embedded filesystem broker's folder missing or unwritable.
        logger.exception("Broker unreachable; task %s was not enqueued", task.name)
