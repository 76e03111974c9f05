"""Every answer under /api/v1/ is JSON in the one error shape; OPTIONS and HEAD never fail."""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import APIException
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.cart import views as cart_views
from apps.cart.api import views as cart_api_views
from tests.api.support import assert_error, token_client

pytestmark = pytest.mark.django_db

# What the schema leaves out but the API still serves: the router's root and the docs.
UNDOCUMENTED_PATHS = ["/api/v1/", "/api/v1/schema/", "/api/v1/docs/"]
# Matches no lookup pattern of the API (ids are digits, slugs and numbers are [-A-Za-z0-9_]),
# so the URL resolver itself answers 404, before any view of the API is reached.
GARBAGE = "~no such thing~"
PLAUSIBLE = {"integer": "1", "string": "does-not-exist"}


class _Unavailable(APIException):
    status_code = 503
    default_detail = "Try again in a minute."
    default_code = "unavailable"


@functools.cache
def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _paths(*, garbage: bool) -> list[str]:
    """The documented paths, their parameters filled plausibly or with garbage."""
    filled = []
    for template, item in _schema()["paths"].items():
        if garbage and "{" not in template:
            continue  # the plausible run has these already: garbage cannot change them
        types = {
            parameter["name"]: parameter.get("schema", {}).get("type", "string")
            for operation in item.values()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "path"
        }

        def fill(match: re.Match[str], types: dict[str, str] = types) -> str:
            return GARBAGE if garbage else PLAUSIBLE.get(types.get(match[1], ""), "1")

        filled.append(re.sub(r"\{(\w+)\}", fill, template))
    return filled


def _lenient(client: APIClient) -> APIClient:
    # A view that raises is answered as production answers it, instead of failing the test.
    client.raise_request_exception = False
    return client


def _assert_documented_error(response: Any) -> None:
    """The body is the error shape, as assert_error checks it and as the schema documents it."""
    assert_error(response, response.status_code)
    document = _schema()
    jsonschema.validate(
        response.json(),
        {"$ref": "#/components/schemas/Error", "components": document["components"]},
    )


def _problems(client: APIClient, method: str, paths: list[str]) -> list[str]:
    """What went wrong, per path: a 5xx, or an error that is not JSON in the error shape."""
    problems = []
    for path in paths:
        response = getattr(client, method)(path)
        where = f"{method.upper()} {path} -> {response.status_code}"
        if response.status_code >= 500:
            problems.append(where)
        elif response.status_code >= 400:
            if not response["Content-Type"].startswith("application/json"):
                problems.append(f"{where} {response['Content-Type']}")
            elif method != "head":
                # HEAD answers carry no body to check; their type says what GET's would be.
                try:
                    _assert_documented_error(response)
                except (AssertionError, jsonschema.ValidationError) as error:
                    problems.append(f"{where} {error}")
    return problems


@pytest.fixture(params=["anonymous", "token"])
def caller(request: pytest.FixtureRequest, shopper: User) -> APIClient:
    return _lenient(APIClient() if request.param == "anonymous" else token_client(shopper))


# --- OPTIONS and HEAD ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["options", "head"])
@pytest.mark.parametrize("garbage", [False, True], ids=["plausible", "garbage"])
def test_options_and_head_on_every_api_path_answer_without_a_server_error(caller, method, garbage):
    paths = _paths(garbage=garbage) + ([] if garbage else UNDOCUMENTED_PATHS)

    assert _problems(caller, method, paths) == []


def test_options_on_the_voucher_describes_its_body_to_a_signed_in_shopper(api):
    response = _lenient(api).options("/api/v1/cart/voucher/")

    assert response.status_code == 200
    assert "code" in response.json()["actions"]["PUT"]


def test_options_on_the_voucher_works_for_a_shopper_who_has_a_cart(api, variant):
    api.post("/api/v1/cart/items/", {"variant": variant.pk, "quantity": 1}, format="json")

    response = _lenient(api).options("/api/v1/cart/voucher/")

    assert response.status_code == 200
    assert "PUT" in response.json()["actions"]


# --- 404, 405, 500, 503 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/no-such-thing",
        f"/api/v1/orders/{GARBAGE}/",
        "/api/v1/cart/items/not-a-number/",
    ],
)
def test_an_unknown_api_path_answers_404_in_the_error_shape(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    _assert_documented_error(response)
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_api_path_does_not_list_the_url_patterns_it_tried(anonymous):
    response = anonymous.get("/api/v1/no-such-thing/")

    assert b"orders" not in response.content
    assert b"no-such-thing" not in response.content


def test_an_unknown_page_outside_the_api_keeps_the_site_404_page(client, db):
    response = client.get("/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_the_api_path_does_not_allow_answers_405_in_the_error_shape(api):
    response = api.delete("/api/v1/cart/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    _assert_documented_error(response)
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_crash_inside_an_api_view_answers_500_in_the_error_shape_without_a_traceback(
    api, monkeypatch, settings
):
    settings.DEBUG = False

    def crash(**_: Any) -> None:
        raise RuntimeError("SELECT secret FROM cart_cart")

    monkeypatch.setattr(cart_api_views, "cart_summary", crash)

    response = _lenient(api).get("/api/v1/cart/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    _assert_documented_error(response)
    assert b"SELECT" not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content


def test_an_unavailable_service_inside_an_api_view_answers_503_in_the_error_shape(api, monkeypatch):
    def unavailable(**_: Any) -> None:
        raise _Unavailable()

    monkeypatch.setattr(cart_api_views, "cart_summary", unavailable)

    response = _lenient(api).get("/api/v1/cart/")

    assert response.status_code == 503
    _assert_documented_error(response)
    assert response.json()["error"]["code"] == "unavailable"


def test_a_crash_inside_a_page_outside_the_api_keeps_the_site_500_page(
    client, monkeypatch, settings
):
    settings.DEBUG = False

    def crash(**_: Any) -> None:
        raise RuntimeError("SELECT secret FROM cart_cart")

    monkeypatch.setattr(cart_views, "cart_summary", crash)
    client.raise_request_exception = False

    response = client.get("/cart/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"SELECT" not in response.content
