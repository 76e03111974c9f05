"""Tasks go through a real broker to a real worker; a dead broker never breaks a request."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse

from apps.accounts.services import password_reset_request
from config.celery import app as celery_app


def _wait_for(condition, timeout: float = 20.0) -> None:
    """Polls `condition` until it holds, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def real_worker(transactional_db) -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.redis
def test_password_reset_email_goes_through_redis_to_a_real_worker(real_worker, shopper):
    assert celery_app.conf.broker_url.startswith("redis://")
    password_reset_request(email=shopper.email)
    _wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == [shopper.email]
    assert "/accounts/password/reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_request_whose_task_cannot_be_enqueued_still_succeeds(
    client, shopper, dead_broker, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.ERROR, logger="apps.core.queue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("accounts:password_reset"), {"email": shopper.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
    assert "Broker unreachable" in caplog.text
    assert "send_password_reset_email" in caplog.text


def test_the_hourly_purges_are_scheduled_and_name_real_tasks():
    celery_app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    purges = {
        "apps.core.tasks.purge_idempotency_records",
        "apps.accounts.tasks.purge_expired_tokens",
    }
    assert purges <= scheduled
    assert purges <= set(celery_app.tasks)
