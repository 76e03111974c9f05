"""The Celery app: its settings are the CELERY_* names in config.settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shopfront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Housekeeping that requests used to do themselves, on every call: deleting Idempotency-Key
# records past their retention and expired API tokens. Hourly is plenty: a request ignores
# what has expired whether or not it was deleted yet.
app.add_periodic_task(
    60 * 60.0,
    app.signature("apps.core.tasks.purge_idempotency_records"),
    name="purge-idempotency-records",
)
app.add_periodic_task(
    60 * 60.0,
    app.signature("apps.accounts.tasks.purge_expired_tokens"),
    name="purge-expired-tokens",
)
