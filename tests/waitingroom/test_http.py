"""The waiting room's page and its API answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from drf_spectacular.generators import SchemaGenerator

from apps.core.api import ErrorDetailSerializer
from apps.waitingroom.api.serializers import WaitingRoomSerializer
from apps.waitingroom.http import TICKET_COOKIE, TICKET_HEADER, wait_text
from apps.waitingroom.tickets import ticket_parse
from tests.waitingroom import urls as test_urls
from tests.waitingroom.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_urls(settings) -> None:
    settings.ROOT_URLCONF = "tests.waitingroom.urls"


def test_the_page_shows_the_place_and_wait_and_refreshes_itself(client):
    response = client.get("/wr-test/sale/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "number <strong>12</strong>" in html
    assert "about 3 minutes" in html
    assert '<meta http-equiv="refresh" content="20;url=/sale/?x=1&amp;y=2">' in html
    assert 'data-refresh-seconds="20"' in html


def test_the_page_is_never_cached(client):
    response = client.get("/wr-test/sale/")
    assert "no-store" in response["Cache-Control"]


def test_the_page_has_no_inline_script_only_the_static_file(client):
    response = client.get("/wr-test/sale/")
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all(body.strip() == "" for body in scripts)
    assert re.search(r'<script src="[^"]*js/waitingroom\.js" defer>', html)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert (Path(django_settings.BASE_DIR) / "static/js/waitingroom.js").is_file()


def test_the_page_hands_the_ticket_to_the_browser_in_an_http_only_cookie(client):
    response = client.get("/wr-test/sale/")
    cookie = response.cookies[TICKET_COOKIE]
    assert cookie["httponly"]
    assert ticket_parse(test_urls.ROOM, "visitor", cookie.value, now=T0)


def test_the_api_answers_429_with_retry_after_in_the_error_shape(client):
    response = client.get("/api/v1/wr-test/sale/")
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    body = response.json()
    assert body["error"] == {
        "code": "waiting_room",
        "message": "The sale is busy: you are number 12 in line.",
        "fields": {},
    }
    assert (body["position"], body["estimated_wait_seconds"]) == (12, 180)
    assert ticket_parse(test_urls.ROOM, "visitor", body["ticket"], now=T0)


def test_the_api_body_keeps_the_projects_error_shape():
    assert set(WaitingRoomSerializer().fields["error"].fields) == set(
        ErrorDetailSerializer().fields
    )


def test_a_retry_presents_the_ticket_in_the_header_or_the_cookie(client):
    by_header = client.get("/api/v1/wr-test/sale/?echo=1", headers={TICKET_HEADER: "from-header"})
    assert by_header.json() == {"ticket": "from-header"}
    client.cookies[TICKET_COOKIE] = "from-cookie"
    assert client.get("/api/v1/wr-test/sale/?echo=1").json() == {"ticket": "from-cookie"}
    both = client.get("/api/v1/wr-test/sale/?echo=1", headers={TICKET_HEADER: "from-header"})
    assert both.json() == {"ticket": "from-header"}


def test_the_openapi_schema_documents_the_429_and_its_headers():
    schema = SchemaGenerator(patterns=test_urls.urlpatterns[1:2]).get_schema(public=True)
    operation = schema["paths"]["/api/v1/wr-test/sale/"]["get"]
    assert operation["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WaitingRoom"
    }
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert TICKET_HEADER in {p["name"] for p in operation["parameters"]}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "less than a minute"), (80, "about 1 minute"), (600, "about 10 minutes")],
)
def test_the_wait_reads_as_a_sentence(seconds, text):
    assert wait_text(seconds) == text
