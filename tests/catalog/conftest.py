"""Fixtures for the catalog tests."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff_client(client: Client, staff) -> Client:
    client.force_login(staff)
    return client
