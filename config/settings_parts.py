"""Settings too long to read inline in config/settings.py: the API schema's, the logging."""

from __future__ import annotations

from typing import Any

SPECTACULAR_SETTINGS = {
    "TITLE": "Shopfront API",
    "DESCRIPTION": "Catalog, cart, checkout and orders of a Shopfront shop.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from drf-spectacular-sidecar: served locally, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}


def logging_config(*, level: str, json_lines: bool) -> dict[str, Any]:
    """One line per record on stderr, JSON lines in production; bad input at WARNING."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "filters": {"warning_at_most": {"()": "apps.core.logs.Downgrade", "level": "WARNING"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Our middleware writes the one line per request; Django's own would duplicate it.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "ERROR"},
            # A Host not in ALLOWED_HOSTS is a stranger's bad input (400), not our error.
            "django.security.DisallowedHost": {"filters": ["warning_at_most"]},
            # So is a body over DATA_UPLOAD_MAX_MEMORY_SIZE (answered 400).
            "django.security.RequestDataTooBig": {"filters": ["warning_at_most"]},
        },
    }
