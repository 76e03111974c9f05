"""Tasks for the real Celery worker of test_processes: one succeeds, one fails, one retries."""

from __future__ import annotations

import os
from typing import Any

from config.celery import app as celery_app


@celery_app.task(name="tests.metrics.succeeds")
def succeeds() -> str:
    return "done"


@celery_app.task(name="tests.metrics.fails")
def fails() -> None:
    raise ValueError("fails on purpose (tests/metrics)")


@celery_app.task(name="tests.metrics.retries_once", bind=True, max_retries=1)
def retries_once(self: Any) -> str:
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return "done on the second try"


def worker_main() -> None:
    """The worker subprocess: the project's app with a prefork pool of two processes."""
    celery_app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=metrics-{os.getpid()}@%h",
        ]
    )
