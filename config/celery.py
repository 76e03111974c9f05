"""The Celery app: its settings are the CELERY_* names in config.settings.

Task metrics are counted from Celery's signals, in the pool process that runs the task,
into the worker's PROMETHEUS_MULTIPROC_DIR (the Procfile sets it to METRICS_DIR/worker),
which the web's `/metrics` reads on the same host (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery, signals

from apps.core.metrics import (
    CELERY_TASK_SECONDS,
    CELERY_TASKS,
    multiprocess_dir,
    multiprocess_reset,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shopfront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
# When each running task started, by task id (a pool process runs one task at a time,
# a threaded pool a few): popped when it ends, so it never grows.
_started: dict[str, float] = {}


def _task_name(sender: Any) -> str:
    # Registered tasks only reach these signals, so the label is bounded by the code.
    return str(getattr(sender, "name", None) or "unknown")


@signals.worker_init.connect
def _metrics_folder_reset(**_: Any) -> None:
    folder = multiprocess_dir()
    if folder is None:
        logger.warning("PROMETHEUS_MULTIPROC_DIR is not set: task metrics stay unexported")
        return
    multiprocess_reset(folder)


@signals.task_prerun.connect
def _task_started(sender: Any = None, task_id: str = "", **_: Any) -> None:
    _started[task_id] = time.perf_counter()
    CELERY_TASKS.labels(task=_task_name(sender), state="started").inc()


@signals.task_success.connect
def _task_succeeded(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(task=_task_name(sender), state="succeeded").inc()


@signals.task_failure.connect
def _task_failed(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(task=_task_name(sender), state="failed").inc()


@signals.task_retry.connect
def _task_retried(sender: Any = None, **_: Any) -> None:
    CELERY_TASKS.labels(task=_task_name(sender), state="retried").inc()


@signals.task_postrun.connect
def _task_ended(sender: Any = None, task_id: str = "", **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        CELERY_TASK_SECONDS.labels(task=_task_name(sender)).observe(time.perf_counter() - started)
