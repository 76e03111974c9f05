from __future__ import annotations

import pytest
from django.test import Client

from tests.metrics.support import samples

TOKEN = "a-metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_open(settings) -> None:
    """/metrics readable from the test client's address (127.0.0.1), figures never kept."""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.METRICS_TOKEN = ""
    settings.METRICS_BUSINESS_SECONDS = 0


@pytest.fixture
def scrape(metrics_open, client: Client):
    """Scrapes /metrics and returns its samples."""

    def read():
        response = client.get("/metrics")
        assert response.status_code == 200, response.content[:500]
        return samples(response.content.decode())

    return read
