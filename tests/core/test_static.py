"""Static files are built with hashed names and gzip/brotli variants, served for a year."""

from __future__ import annotations

import json

from django.core.management import call_command

import config.settings as project_settings


def test_collectstatic_makes_hashed_names_and_compressed_variants(settings, tmp_path):
    # The suite renders with plain storage (no collectstatic needed); put production's back.
    settings.STORAGES = project_settings.STORAGES
    settings.STATIC_ROOT = tmp_path
    # Only the project's own files: compressing every admin and Swagger asset takes minutes.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/shop.css"]
    assert hashed != "css/shop.css"
    assert hashed.startswith("css/shop.")
    assert hashed.endswith(".css")
    for suffix in ("", ".gz", ".br"):
        assert (tmp_path / f"{hashed}{suffix}").exists(), suffix


def test_unhashed_files_are_cached_for_a_year(settings):
    assert settings.WHITENOISE_MAX_AGE == 60 * 60 * 24 * 365
