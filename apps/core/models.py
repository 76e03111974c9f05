"""Abstract models shared by the apps."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Adds `created_at` and `updated_at`, both set by the database layer."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
