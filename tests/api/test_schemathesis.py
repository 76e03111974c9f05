"""The API fuzzed from its own OpenAPI schema: no 5xx, and every answer is the documented one.

schemathesis generates requests for every operation of the schema served at /api/v1/schema/
(valid ones and, in its coverage phase, invalid ones) and sends them in-process to the WSGI
application, on the test database and Redis. Each answer is checked: not a server error,
a documented status code, a body and headers that match the schema for that code.

Three callers, each a test per operation it can reach by the schema's security: anonymous,
a guest (X-Cart-Token and X-Order-Token of its own cart and order) and a member (a knox
token). Paths name seeded objects about half the time (a product, a sale, the caller's cart
line, address, token or order), so an id in a path is not always a 404. Bounded for CI:
SCHEMATHESIS_MAX_EXAMPLES examples per operation (20 by default) plus the coverage phase's
cases, derandomized, so a run is repeatable; raise it to fuzz harder.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.catalog.models import Variant
from apps.core.api import GUEST_CREDENTIAL
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.api.support import token_client
from tests.factories import (
    AddressFactory,
    CartFactory,
    CartLineFactory,
    CategoryFactory,
    SaleFactory,
    SaleItemFactory,
    ShippingMethodFactory,
    VariantFactory,
)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Analytical Way",
    "city": "London",
    "postal_code": "N1",
    "country": "GB",
}

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

NOT_BY_THE_SCHEMA = {
    # Valid by the schema is not valid by the shop: a password must be strong, a reset
    # token or a webhook's signature genuine, an option filter "Name:Value". Those refusals
    # are documented 400s in the error shape, which the other checks hold them to.
    "positive_data_acceptance": {"enabled": False},
    # DRF's fields parse leniently, as documented: a CharField takes 0 as "0", a
    # BooleanField "0" or "false" (a form body has only strings), an empty query value is
    # no value. Invalid data is still sent (the coverage phase) and every answer to it must
    # be a documented 4xx in the error shape.
    "negative_data_rejection": {"enabled": False},
}
APP = get_wsgi_application()
# The schema the site serves (a test below proves it is the same document), loaded once at
# collection so that each operation is a test of its own, on a database of its own.
RAW_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def _schema(**checks: dict[str, bool]) -> Any:
    loaded = schemathesis.openapi.from_dict(
        RAW_SCHEMA, config=schemathesis.Config.from_dict({"checks": checks})
    )
    # Every request, the checks' own probes included, goes to the app in-process.
    loaded.app = APP
    return loaded


def _operations(*, member: bool = False, guest: bool = False) -> set[tuple[str, str]]:
    """(method, path) of the operations a caller reaches, by the schema's own security."""
    found = set()
    for path, item in RAW_SCHEMA["paths"].items():
        for method, operation in item.items():
            security = operation.get("security")
            takes_guest = any(p.get(GUEST_CREDENTIAL) for p in operation.get("parameters", []))
            if member:
                wanted = any("knoxApiToken" in requirement for requirement in security or [])
            elif guest:
                wanted = takes_guest
            else:
                wanted = security is None or {} in security
            if wanted:
                found.add((method.upper(), path))
    return found


def _only(operations: set[tuple[str, str]]) -> Any:
    return _schema(**NOT_BY_THE_SCHEMA).include(
        lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in operations
    )


# Each caller where it changes the answer: a guest's tokens only matter where they are
# taken, and the catalog is the same for everyone. A member-only operation is still asked
# without an account and with a spoiled token (ignored_auth's probes, which want a 401).
anonymous_schema = _only(_operations())
guest_schema = _only(_operations(guest=True))
member_schema = _only(_operations(member=True))

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # The database and the callers are set up once per operation, not per example: the
    # examples of one operation share them, which is what a client would do.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class World:
    """What the paths of one caller may name: seeded objects, by path parameter."""

    headers: dict[str, str] = field(default_factory=dict)
    ids: dict[tuple[str, str], Any] = field(default_factory=dict)


@contextmanager
def _test_connection_kept() -> Iterator[None]:
    """As Django's test client does around a request, for the WSGI handler called directly.

    The handler closes "old" connections when a request starts and ends, which would close
    the test's transaction under it. Per call, because the test client, which the fixtures
    use, connects the signals again after each of its own requests.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _catalog() -> tuple[dict[tuple[str, str], Any], Variant]:
    """Products, a shipping method and a scheduled sale; the paths that name them."""
    category = CategoryFactory()
    variants = [
        VariantFactory(product__category=category, price=Decimal(price), stock=50)
        for price in ("9.99", "24.00", "120.00")
    ]
    ShippingMethodFactory(price=Decimal("4.90"), free_above=None)
    sale = SaleFactory(scheduled_at=variants[0].product.created_at)
    SaleItemFactory(sale=sale, variant=variants[1])
    ids = {
        ("/api/v1/products/{slug}/", "slug"): variants[0].product.slug,
        ("/api/v1/sales/{slug}/", "slug"): sale.slug,
    }
    return ids, variants[0]


def _place_order(*, user: User, variant: Variant) -> Order:
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=variant, quantity=1)
    return order_services.order_place(
        cart=cart,
        email=user.email,
        address=order_services.ShippingAddress(**ADDRESS),
        shipping_method_id=ShippingMethodFactory().pk,
        user=user,
    )


@pytest.fixture
def anonymous_world(db: None) -> World:
    ids, _variant = _catalog()
    return World(ids=ids)


@pytest.fixture
def guest_world(db: None) -> World:
    ids, variant = _catalog()
    client = APIClient()
    cart_token = client.post("/api/v1/carts/").json()["token"]
    client.credentials(HTTP_X_CART_TOKEN=cart_token)
    client.post("/api/v1/cart/items/", {"variant": variant.pk, "quantity": 1}, format="json")
    placed = client.post(
        "/api/v1/checkout/",
        {
            "email": "guest@example.com",
            "shipping_address": ADDRESS,
            "shipping_method": ShippingMethodFactory().pk,
        },
        format="json",
    )
    assert placed.status_code == 201, placed.content
    # A line again, since checking out emptied the cart.
    line = client.post(
        "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 2}, format="json"
    ).json()
    ids[("/api/v1/cart/items/{id}/", "id")] = line["lines"][0]["id"]
    number = placed.json()["number"]
    ids[("/api/v1/orders/{number}/", "number")] = number
    ids[("/api/v1/orders/{number}/pay/", "number")] = number
    headers = {"X-Cart-Token": cart_token, "X-Order-Token": placed.headers["X-Order-Token"]}
    return World(headers=headers, ids=ids)


@pytest.fixture
def member_world(shopper: User) -> World:
    ids, variant = _catalog()
    client = token_client(shopper)
    order = _place_order(user=shopper, variant=variant)
    line = client.post(
        "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 1}, format="json"
    ).json()
    address = AddressFactory(user=shopper)
    spare_token = client.get("/api/v1/me/tokens/").json()[0]["id"]
    ids.update(
        {
            ("/api/v1/cart/items/{id}/", "id"): line["lines"][0]["id"],
            ("/api/v1/me/addresses/{id}/", "id"): address.pk,
            ("/api/v1/me/tokens/{id}/", "id"): spare_token,
            ("/api/v1/orders/{number}/", "number"): order.number,
            ("/api/v1/orders/{number}/pay/", "number"): order.number,
        }
    )
    # The token the fuzzer sends: another one than the spare, which it may delete.
    _, token = AuthToken.objects.create(user=shopper)
    return World(headers={"Authorization": f"Token {token}"}, ids=ids)


def _aim(case: Any, world: World) -> None:
    """Points about half of the path parameters at the caller's seeded objects."""
    for name, value in list((case.path_parameters or {}).items()):
        seeded = world.ids.get((case.operation.path, name))
        # crc32, not hash(): string hashes change between runs, and the run must repeat.
        if seeded is not None and zlib.crc32(repr(value).encode()) % 2 == 0:
            case.path_parameters[name] = seeded


def _check(case: Any, world: World) -> None:
    _aim(case, world)
    with _test_connection_kept():
        # Headers given here replace generated ones and count as the caller's real
        # credentials, which ignored_auth then removes or spoils to see a 401.
        case.call_and_validate(headers=world.headers)


@anonymous_schema.parametrize()
@FUZZ_SETTINGS
def test_the_api_answers_an_anonymous_caller_as_documented(case, anonymous_world):
    _check(case, anonymous_world)


@guest_schema.parametrize()
@FUZZ_SETTINGS
def test_the_api_answers_a_guest_as_documented(case, guest_world):
    _check(case, guest_world)


@member_schema.parametrize()
@FUZZ_SETTINGS
def test_the_api_answers_a_member_as_documented(case, member_world):
    _check(case, member_world)


def test_the_fuzzed_schema_is_the_one_the_site_serves(db):
    served = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert served.status_code == 200
    assert served.json() == RAW_SCHEMA


def test_a_sign_in_without_a_client_address_is_refused_not_a_500(shopper):
    # Found by the fuzzer: the in-process WSGI client sends no REMOTE_ADDR, as gunicorn on
    # a unix socket sends an empty one, and the sign-in limit's key was no address at all.
    client = APIClient(REMOTE_ADDR="")

    answer = client.post(
        "/api/v1/auth/token/", {"email": shopper.email, "password": "wrong"}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"]
