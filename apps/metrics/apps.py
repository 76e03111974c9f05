from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """`/metrics` for Prometheus: the processes' counts and the shop's business figures."""

    name = "apps.metrics"
    label = "metrics"
