"""Tasks go through a real broker to a real worker; a dead broker never breaks a request."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.services import password_reset_request
from config.celery import app as celery_app
from tests.celery_support import real_worker, wait_for  # noqa: F401 - real_worker: a fixture


@pytest.mark.redis
@pytest.mark.usefixtures("real_worker")
def test_password_reset_email_goes_through_redis_to_a_real_worker(shopper):
    assert celery_app.conf.broker_url.startswith("redis://")
    password_reset_request(email=shopper.email)
    wait_for(lambda: len(mail.outbox) == 1)
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
