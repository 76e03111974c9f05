"""The buying endpoints are documented: bodies, errors, Idempotency-Key, read-only fields."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

BUYING = {
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/logout/"),
    ("post", "/api/v1/auth/logout-all/"),
    ("get", "/api/v1/cart/"),
    ("post", "/api/v1/cart/items/"),
    ("patch", "/api/v1/cart/items/{id}/"),
    ("delete", "/api/v1/cart/items/{id}/"),
    ("get", "/api/v1/shipping-methods/"),
    ("post", "/api/v1/checkout/"),
    ("get", "/api/v1/orders/"),
    ("get", "/api/v1/orders/{number}/"),
    ("post", "/api/v1/orders/{number}/pay/"),
}
WAITING_ROOM_REF = "#/components/schemas/WaitingRoom"
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_every_buying_endpoint_is_in_the_schema_with_a_summary(schema):
    operations = _operations(schema)
    assert set(operations) >= BUYING
    assert all(operations[key].get("summary") for key in BUYING)


def test_every_documented_error_uses_the_shared_error_shape(schema):
    operations = _operations(schema)
    components = schema["components"]["schemas"]
    shared = components[ERROR_REF.rsplit("/", 1)[1]]["properties"]["error"]
    for key in BUYING:
        for status, response in operations[key]["responses"].items():
            if int(status) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                if ref == WAITING_ROOM_REF:
                    # A sale's waiting room: the same error, plus the caller's place in line.
                    assert status == "429", key
                    assert components["WaitingRoom"]["properties"]["error"] == shared
                    continue
                assert ref == ERROR_REF, (key, status)


@pytest.mark.parametrize(
    "key", [("post", "/api/v1/checkout/"), ("post", "/api/v1/orders/{number}/pay/")]
)
def test_writes_that_must_not_repeat_document_the_idempotency_key(schema, key):
    operation = _operations(schema)[key]
    headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in headers
    # And the guest's token that names what the write acts on: the cart, or the order.
    assert set(headers) - {"Idempotency-Key"} in ({"X-Cart-Token"}, {"X-Order-Token"})
    assert "409" in operation["responses"]
    assert "422" in operation["responses"]
    success = next(code for code in operation["responses"] if code.startswith("2"))
    assert "Idempotent-Replayed" in operation["responses"][success]["headers"]


def test_no_request_body_offers_a_price_total_status_or_owner(schema):
    forbidden = {
        "price",
        "unit_price",
        "price_seen",
        "total",
        "subtotal",
        "status",
        "payment_status",
        "fulfillment_status",
        "user",
    }
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            assert not forbidden & set(component.get("properties", {})), name


def test_card_fields_are_write_only(schema):
    card = schema["components"]["schemas"]["CardRequest"]["properties"]
    assert all(field["writeOnly"] for field in card.values())
