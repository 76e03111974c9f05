"""A real Celery worker in the test process, and waiting for what it does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> None:
    """Polls `condition` until it holds, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def real_worker(transactional_db: None) -> Iterator[None]:
    """A worker thread consuming the broker (Redis in CI): tasks leave the process."""
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
