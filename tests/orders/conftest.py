"""Fixtures for the order tests."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import User


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client
