"""Fixtures for the catalog tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
