"""Bad input at volume: every API write operation answers any bad body 4xx, never 5xx.

The operations come from the OpenAPI schema, so a new endpoint is covered the day it is
documented. Each gets a bounded set of bodies (malformed, wrongly typed, oversized, deeply
nested, null bytes), anonymously and with a token; afterwards the API still serves.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.orders import services as order_services
from apps.pricing.models import ShippingMethod
from tests.api.support import assert_error, token_client
from tests.conftest import PASSWORD
from tests.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
JSON = "application/json"
DEEP = 3_000
TOO_BIG = 3 * 1024 * 1024  # past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)

# (body, content type): none of them is anything an endpoint could accept.
MALFORMED: dict[str, tuple[bytes, str]] = {
    "not json": (b"this is not json", JSON),
    "truncated json": (b'{"quantity": 1, "variant": ', JSON),
    "a list": (b"[1, 2, 3]", JSON),
    "a string": (b'"text"', JSON),
    "null": (b"null", JSON),
    "NaN": (b'{"quantity": NaN}', JSON),
    "a number of 5,000 digits": (b'{"quantity": 1' + b"0" * 5_000 + b"}", JSON),
    "lists 3,000 deep": (b"[" * DEEP + b"]" * DEEP, JSON),
    "objects 3,000 deep": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, JSON),
    "objects 100 deep": (b'{"a":' * 100 + b"1" + b"}" * 100, JSON),
    "null bytes": (b"\x00" * 64, JSON),
    "a null byte in a key": (b'{"\\u0000": 1}', JSON),
    "invalid utf-8": (b'{"code": "\xff\xfe"}', JSON),
    "oversized": (b'{"code": "' + b"x" * TOO_BIG + b'"}', JSON),
    "plain text": (b'{"quantity": 1}', "text/plain"),
    "xml": (b"<cart><quantity>1</quantity></cart>", "application/xml"),
    "broken multipart": (b"--x\r\ngarbage", "multipart/form-data; boundary=x"),
    "multipart without a boundary": (b"garbage", "multipart/form-data"),
}

# Put in place of one field of an otherwise plausible body: none is valid for a field of
# that declared type (DRF's CharField takes numbers and booleans take true, so neither is
# tried there).
CONTAINERS: list[Any] = [[], {}, [[[{}]]]]
WRONG_BY_TYPE: dict[str, list[Any]] = {
    "string": [True, "\u0000", *CONTAINERS],
    "integer": [True, 1.5, "not-a-number", "", *CONTAINERS],
    "boolean": ["not-a-bool", 2, *CONTAINERS],
    "object": ["text", 1, [], [[[{}]]]],
    "enum": ["not-a-choice", 1, *CONTAINERS],
}
# Values the schema allows, where the type alone does not make one (a pattern, an enum).
PLAUSIBLE_BY_FIELD: dict[str, Any] = {
    "country": "GB",
    "cvc": "123",
    "card_number": "4242424242424242",
    "exp_month": 12,
}


def _wrong_values(node: dict[str, Any]) -> list[Any]:
    """Values no field of this schema may take."""
    node = _resolve(node)
    kind = "enum" if "enum" in node else node.get("type", "string")
    wrong = list(WRONG_BY_TYPE.get(kind, CONTAINERS))
    if not node.get("nullable"):
        wrong.append(None)
    if "maxLength" in node:
        wrong.append("x" * 100_000)
    if node.get("minLength", 0) >= 1:
        wrong.append("")
    if "maximum" in node:
        wrong.append(2**64)
    if "minimum" in node:
        wrong.append(-(2**64))
    return wrong


@functools.cache
def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with `$ref` and a single `allOf` followed."""
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
    if "$ref" in node:
        return _resolve(_schema()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    return node


def _operations() -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path template, JSON request schema or None) of every documented write."""
    found = []
    for template, item in _schema()["paths"].items():
        for method, operation in item.items():
            if method not in WRITE_METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get(JSON, {}).get("schema")
            found.append((method, template, _resolve(body) if body else None))
    return found


class World:
    """What the plausible bodies and paths refer to: the shopper's cart line and order."""

    def __init__(self, shopper: User, variant: Variant, shipping: ShippingMethod) -> None:
        self.shopper = shopper
        self.variant = variant
        self.shipping = shipping
        cart = CartFactory(user=shopper)
        self.line = CartLineFactory(cart=cart, variant=variant, quantity=1)
        order_cart = CartFactory()
        CartLineFactory(cart=order_cart, variant=variant, quantity=1)
        self.order = order_services.order_place(
            cart=order_cart,
            email=shopper.email,
            address=order_services.ShippingAddress(
                full_name="Ada Lovelace",
                line1="1 Analytical Way",
                city="London",
                postal_code="N1",
                country="GB",
            ),
            shipping_method_id=shipping.pk,
            user=shopper,
        )

    def path(self, template: str) -> str:
        values = {"id": str(self.line.pk), "number": str(self.order.number)}
        return re.sub(r"\{(\w+)\}", lambda match: values.get(match[1], "1"), template)

    def plausible(self, name: str, node: dict[str, Any]) -> Any:
        """A value the schema allows for the property `name`, pointing at this world."""
        node = _resolve(node)
        by_name = {
            "variant": self.variant.pk,
            "shipping_method": self.shipping.pk,
            "email": self.shopper.email,
            "password": PASSWORD,
            "exp_year": timezone.now().year + 2,
            **PLAUSIBLE_BY_FIELD,
        }
        if name in by_name:
            return by_name[name]
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type")
        if kind == "object":
            return self.body(node)
        if kind == "integer":
            return node.get("minimum", 1)
        if kind == "boolean":
            return False
        if kind == "array":
            return []
        return "plausible"

    def body(self, schema: dict[str, Any]) -> dict[str, Any]:
        properties = schema.get("properties", {})
        return {name: self.plausible(name, node) for name, node in properties.items()}


@pytest.fixture
def world(shopper: User, variant: Variant, shipping: ShippingMethod) -> World:
    return World(shopper, variant, shipping)


@pytest.fixture(autouse=True)
def _unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every body must reach the parser and the serializer, not a 429 after the first few;
    # throttling has its own tests (test_throttles.py).
    monkeypatch.setattr(APIView, "check_throttles", lambda self, request: None)


@pytest.fixture(params=["anonymous", "token"])
def caller(request: pytest.FixtureRequest, shopper: User) -> APIClient:
    client = APIClient() if request.param == "anonymous" else token_client(shopper)
    # A view that raises is answered as production answers it: a 500 to count, not a crash.
    client.raise_request_exception = False
    return client


def _wrong_bodies(world: World, schema: dict[str, Any]) -> dict[str, bytes]:
    """The plausible body with one field, top-level or one object down, made wrong."""
    base = world.body(schema)
    bodies = {}
    for name, node in schema.get("properties", {}).items():
        inner_schema = _resolve(node)
        targets = [(name, None, node)] + [
            (name, inner, inner_node)
            for inner, inner_node in inner_schema.get("properties", {}).items()
        ]
        for outer, inner, field in targets:
            for wrong in _wrong_values(field):
                body = {**base}
                body[outer] = {**base[outer], inner: wrong} if inner else wrong
                where = f"{outer}.{inner}" if inner else outer
                bodies[f"{where}={json.dumps(wrong)[:20]}"] = json.dumps(body).encode()
    return bodies


def _problem(response: Any, where: str, *, body_required: bool) -> str | None:
    """What is wrong with the answer to a bad body: a 5xx, a success, or another shape."""
    status = response.status_code
    if status >= 500:
        return f"{where} -> {status}"
    if status < 400:
        # An operation that documents no body ignores whatever comes with it.
        return None if not body_required else f"{where} -> {status}, accepted"
    if not response["Content-Type"].startswith(JSON):
        return f"{where} -> {status} {response['Content-Type']}"
    try:
        assert_error(response, status)
        jsonschema.validate(
            response.json(),
            {"$ref": "#/components/schemas/Error", "components": _schema()["components"]},
        )
    except (AssertionError, ValueError, jsonschema.ValidationError) as error:
        return f"{where} -> {status} {error}"
    return None


def _send(client: APIClient, method: str, path: str, body: bytes, content_type: str) -> Any:
    return getattr(client, method)(path, data=body, content_type=content_type)


def _assert_still_serving(world: World) -> None:
    """A normal write and read still work after the barrage."""
    client = token_client(world.shopper)
    added = client.post(
        "/api/v1/cart/items/", {"variant": world.variant.pk, "quantity": 1}, format="json"
    )
    assert added.status_code in (200, 201), added.content
    assert client.get("/api/v1/orders/").status_code == 200


def test_the_schema_documents_write_operations_to_try(world):
    operations = _operations()

    assert len([op for op in operations if op[2] is not None]) >= 5
    assert all(world.path(template).count("{") == 0 for _, template, _ in operations)


def test_malformed_bodies_to_every_write_operation_answer_4xx_in_the_error_shape(caller, world):
    problems = []
    sent = 0
    for method, template, schema in _operations():
        path = world.path(template)
        for name, (body, content_type) in MALFORMED.items():
            response = _send(caller, method, path, body, content_type)
            sent += 1
            where = f"{method.upper()} {template} [{name}]"
            problem = _problem(response, where, body_required=schema is not None)
            if problem:
                problems.append(problem)

    assert problems == []
    assert sent >= 150
    _assert_still_serving(world)


def test_wrongly_typed_fields_to_every_write_operation_answer_4xx_in_the_error_shape(caller, world):
    problems = []
    sent = 0
    for method, template, schema in _operations():
        if schema is None:
            continue
        path = world.path(template)
        for name, body in _wrong_bodies(world, schema).items():
            response = _send(caller, method, path, body, JSON)
            sent += 1
            where = f"{method.upper()} {template} [{name}]"
            problem = _problem(response, where, body_required=True)
            if problem:
                problems.append(problem)

    assert problems == []
    assert sent >= 200
    _assert_still_serving(world)


@pytest.mark.parametrize("nesting", ["lists", "objects"])
def test_a_body_nested_thousands_deep_is_a_400_parse_error_not_a_500(api, nesting):
    body = "[" * DEEP + "]" * DEEP if nesting == "lists" else '{"a":' * DEEP + "1" + "}" * DEEP

    response = api.post("/api/v1/cart/items/", data=body, content_type=JSON)

    assert_error(response, 400, code="parse_error")


def test_a_body_nested_thousands_deep_is_a_400_on_an_action_with_its_own_parser(api, world):
    body = "[" * DEEP + "]" * DEEP

    response = api.post(world.path("/api/v1/orders/{number}/pay/"), data=body, content_type=JSON)

    assert_error(response, 400, code="parse_error")


def test_a_body_nested_a_little_is_still_parsed(api, variant):
    response = api.post(
        "/api/v1/cart/items/",
        {"variant": variant.pk, "quantity": 1, "extra": [[[[{"a": [1]}]]]]},
        format="json",
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("country", [[], {}])
def test_an_address_country_must_be_a_code_not_a_list_or_object(api, world, country):
    schema = _resolve({"$ref": "#/components/schemas/AddressRequest"})
    body = {**world.body(schema), "country": country}

    response = api.post("/api/v1/me/addresses/", body, format="json")

    assert_error(response, 400, field="country")
