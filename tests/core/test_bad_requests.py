"""A request that is itself the problem (bad Host, bad cookie, bad session) is answered 4xx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import DisallowedHost, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import timezone

from apps.core import views as core_views
from config import urls as config_urls

pytestmark = pytest.mark.django_db

BAD_HOST = "evil.example.org"


def _forbidden(request: HttpRequest) -> HttpResponseBase:
    raise PermissionDenied("secret reason")


def _missing(request: HttpRequest) -> HttpResponseBase:
    raise Http404("secret reason")


def _suspicious(request: HttpRequest) -> HttpResponseBase:
    raise SuspiciousOperation("secret reason")


def _boom(request: HttpRequest) -> HttpResponseBase:
    raise RuntimeError("secret reason")


# The site's own routes (the error pages link home) plus views that raise each error.
urlpatterns = [
    path("test/forbidden/", _forbidden),
    path("test/missing/", _missing),
    path("test/suspicious/", _suspicious),
    path("test/boom/", _boom),
    *config_urls.urlpatterns,
]
handler400 = config_urls.handler400
handler403 = config_urls.handler403
handler404 = config_urls.handler404
handler500 = config_urls.handler500


@pytest.fixture
def production(settings) -> None:
    """What matters of DJANGO_ENV=production here (see tests/core/test_security.py)."""
    settings.DEBUG = False
    # The test client's own host stands in for the shop's.
    settings.ALLOWED_HOSTS = ["shop.example.com", "testserver"]


@pytest.fixture
def lenient(client: Client) -> Client:
    client.raise_request_exception = False
    return client


# --- A Host header outside ALLOWED_HOSTS ----------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/no-such-page/", "/cart/", "/accounts/login/"])
def test_a_bad_host_header_answers_400_with_a_short_page(production, lenient, path):
    response = lenient.get(path, HTTP_HOST=BAD_HOST)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Bad request" in body
    assert "Something went wrong" not in body
    assert BAD_HOST not in body


def test_a_bad_host_header_answers_400_when_https_redirects_ask_for_the_host_first(
    production, settings, lenient
):
    settings.SECURE_SSL_REDIRECT = True

    response = lenient.get("/", HTTP_HOST=BAD_HOST)

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_bad_host_header_under_the_api_answers_400_in_the_error_shape(production, lenient):
    response = lenient.post("/api/v1/cart/items/", {}, HTTP_HOST=BAD_HOST)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_a_bad_host_header_is_logged_as_a_warning_without_a_traceback(production, lenient, caplog):
    with caplog.at_level(logging.INFO):
        lenient.get("/", HTTP_HOST=BAD_HOST)

    security = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(security) == 1
    assert security[0].levelno == logging.WARNING
    assert security[0].exc_info is None
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- Every error page, for a request the middleware never finished ---------------------------

# Django's handlers, called as Django calls them when a middleware before the one that
# identifies the visitor refused the request: no `request.user`, a Host that is not allowed.
ERROR_PAGES: dict[str, tuple[Callable[[HttpRequest], HttpResponseBase], int, str]] = {
    "400": (lambda r: core_views.bad_request(r, DisallowedHost(BAD_HOST)), 400, "Bad request"),
    "403": (lambda r: core_views.permission_denied(r, PermissionDenied()), 403, "Not allowed"),
    "404": (lambda r: core_views.page_not_found(r, Http404()), 404, "Page not found"),
    "500": (core_views.server_error, 500, "Something went wrong"),
    "csrf": (lambda r: core_views.csrf_failure(r, "CSRF cookie not set."), 403, "Please try again"),
}


@pytest.mark.parametrize("page", ERROR_PAGES)
def test_every_error_page_renders_for_a_request_refused_before_the_middleware(
    production, page, django_assert_num_queries
):
    handler, status, heading = ERROR_PAGES[page]
    request = RequestFactory().get("/somewhere/", HTTP_HOST=BAD_HOST)

    with django_assert_num_queries(0):
        response = handler(request)

    assert response.status_code == status
    assert heading in response.content.decode()


def test_the_csrf_failure_page_is_the_sites_own(settings):
    assert settings.CSRF_FAILURE_VIEW == "apps.core.views.csrf_failure"


# --- Bad cookies and sessions, through the whole middleware ----------------------------------


@pytest.fixture(params=["garbage session", "corrupted session", "tampered cart", "bad csrf"])
def bad_cookies(request: pytest.FixtureRequest, client: Client) -> Client:
    if request.param == "garbage session":
        client.cookies["sessionid"] = "not-a-session-key!"
    elif request.param == "corrupted session":
        Session.objects.create(
            session_key="corrupted0session0key0corrupted0",
            session_data="!!!not signed, not base64!!!",
            expire_date=timezone.now() + timedelta(days=1),
        )
        client.cookies["sessionid"] = "corrupted0session0key0corrupted0"
    elif request.param == "tampered cart":
        client.cookies["cart"] = "00000000-0000-0000-0000-000000000000:forged:signature"
    else:
        client.cookies["csrftoken"] = "!" * 64
    client.raise_request_exception = False
    return client


SITE_ERRORS = [
    ("/test/suspicious/", 400, "Bad request"),
    ("/test/forbidden/", 403, "Not allowed"),
    ("/test/missing/", 404, "Page not found"),
    ("/no-such-page/", 404, "Page not found"),
    ("/test/boom/", 500, "Something went wrong"),
]


@pytest.mark.urls("tests.core.test_bad_requests")
@pytest.mark.parametrize(("path", "status", "heading"), SITE_ERRORS)
def test_every_error_page_renders_for_a_visitor_with_bad_cookies(
    production, bad_cookies, path, status, heading
):
    response = bad_cookies.get(path)

    assert response.status_code == status
    body = response.content.decode()
    assert heading in body
    assert "secret reason" not in body


def test_a_session_of_a_deleted_user_still_gets_the_404_page(production, client, shopper):
    client.force_login(shopper)
    shopper.delete()

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_form_post_with_a_bad_csrf_cookie_gets_the_csrf_page(production, bad_cookies):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = bad_cookies.cookies

    response = csrf_client.post("/accounts/login/", {"username": "a@b.c", "password": "x"})

    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
