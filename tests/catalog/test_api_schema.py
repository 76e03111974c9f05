"""The catalog API's OpenAPI schema and its Swagger UI docs page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.catalog.support import CATEGORIES, PRODUCTS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def test_schema_endpoint_serves_openapi_3_listing_every_endpoint(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= {CATEGORIES, PRODUCTS, "/api/v1/products/{slug}/"}
    listing = schema["paths"][PRODUCTS]["get"]
    documented = {parameter["name"] for parameter in listing["parameters"]}
    assert documented == {
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "q",
        "ordering",
        "option",
        "cursor",
    }
    assert all(parameter.get("description") for parameter in listing["parameters"])
    # 429: the per-client rate limits apply to every read (apps.core.api.ShopAutoSchema).
    assert set(listing["responses"]) == {"200", "400", "429"}


def test_schema_passes_drf_spectacular_validation_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "openapi: 3." in result.stdout


def test_docs_page_loads_swagger_ui_from_local_files_without_inline_script(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r"(https?:)?//[^\"'\s]*(cdn|unpkg|jsdelivr|cloudflare)", html, re.I)
    assert "://" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in html  # the CSP allows no inline style either
    assert "/static/css/api-docs.css" in html
    sources = [re.search(r'src="([^"]+)"', attributes).group(1) for attributes, _ in scripts]
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in sources
    assert finders.find(bundle.removeprefix("/static/"))

    init = client.get(sources[-1].replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in init.content.decode()
