"""Security baseline: headers, error pages, admin access, production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import path, reverse

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _assert_security_headers(response):
    for header, value in EXPECTED_HEADERS.items():
        assert response[header] == value, header
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    _assert_security_headers(client.get(reverse("accounts:login")))


@pytest.mark.django_db
def test_a_404_carries_the_security_headers_and_reveals_nothing(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    _assert_security_headers(response)
    body = response.content.decode()
    assert "Page not found" in body
    assert "urlpatterns" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_cookies_are_httponly_and_samesite(client, shopper, password):
    response = client.get(reverse("accounts:login"))
    csrf = response.cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    response = client.post(
        reverse("accounts:login"), {"username": shopper.email, "password": password}
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def _boom(request):
    raise RuntimeError("secret internal detail: DATABASE password=hunter2")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.django_db
@pytest.mark.urls("tests.core.test_security")
def test_a_500_shows_the_custom_page_and_no_internals(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "hunter2" not in body
    assert "RuntimeError" not in body


@pytest.mark.django_db
def test_admin_is_for_staff_only(client, shopper, staff):
    response = client.get("/admin/")
    assert response.status_code == 302
    client.force_login(shopper)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECURE": "true",
    "ALLOWED_HOSTS": "shop.example.com",
    "SECRET_KEY": secrets.token_urlsafe(50),
}


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_only_about_hsts_extras_when_they_are_switched_off():
    result = _manage(
        "check",
        "--deploy",
        **PRODUCTION,
        HSTS_PRELOAD="false",
        HSTS_INCLUDE_SUBDOMAINS="false",
    )
    output = result.stdout + result.stderr
    warnings = sorted(line.split(")")[0] for line in output.splitlines() if line.startswith("?: ("))
    assert warnings == ["?: (security.W005", "?: (security.W021"], output


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
