from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Sales reports for staff: figures per day, week or month, charts and CSV downloads."""

    name = "apps.reports"
    label = "reports"
