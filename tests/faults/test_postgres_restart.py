"""PostgreSQL restarted under load: 503s while it is away, service back by itself, no half order.

A real gunicorn (config/gunicorn.conf.py, two sync workers with persistent connections and
CONN_HEALTH_CHECKS) serves a throwaway cluster while shoppers view pages and check out
through the API. The cluster is restarted (`pg_ctl restart`), then stopped and held down
until the load has seen the outage, then started again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import InterfaceError, OperationalError, connections

from apps.accounts.models import User
from apps.orders import services as order_services
from apps.orders.choices import OrderPaymentStatus
from apps.payments import services as payment_services
from apps.payments.models import Payment, PaymentStatus
from tests.api.support import token_client
from tests.factories import CartFactory, CartLineFactory, ShippingMethodFactory, VariantFactory
from tests.faults.load_support import CARD, Exchange, Load, Served, shop_served, unexpected_answers
from tests.faults.pg_support import (
    SHIPPING_ADDRESS,
    charged_but_unpaid,
    consistency_problems,
    payment_statuses,
)

pytestmark = pytest.mark.postgres

DATABASE = "shop"
SHOPPERS = 4
# A restart takes well under a second here; a request that starts once PostgreSQL accepts
# connections again must succeed, give or take the time to reach it.
BACK_WITHIN = 1.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("pg-restart")
    with shop_served(folder, database=DATABASE, shoppers=SHOPPERS, workers=2) as served:
        yield served


def _successes(exchanges: list[Exchange], *, after: float) -> int:
    return sum(1 for e in exchanges if e.ok and e.answer.started > after)


def _failed_between(exchanges: list[Exchange], start: float, end: float) -> list[str]:
    return [
        f"{e.kind} {e.path} -> {e.answer.status} at +{e.answer.started - start:.2f}s"
        for e in exchanges
        if start < e.answer.started and e.answer.finished < end and not e.ok
    ]


def _gunicorn_connections(served: Served) -> list[tuple[str, float]]:
    """(application_name, backend start as epoch) of the app's connections right now."""
    return [
        (name, float(started))
        for name, started in served.cluster.rows(
            DATABASE,
            "SELECT application_name, extract(epoch FROM backend_start) FROM pg_stat_activity "
            "WHERE application_name LIKE 'gunicorn-%'",
        )
    ]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_postgres_restart_under_load_answers_503_then_recovers_with_no_half_order(
    served: Served, mode: str
):
    workers_before = served.server.worker_pids()
    load = Load(served.server, served.shop, rounds=400).start()
    try:
        load.wait_for(lambda seen: _successes(seen, after=0) >= 20, timeout=20)

        # 1. A restart: the workers' persistent connections are cut under them.
        restart_began = time.monotonic()
        served.cluster.restart(mode)
        back = time.monotonic()
        load.wait_for(lambda seen: _successes(seen, after=back) >= 20, timeout=20)

        # 2. Down and held down until the load has met the outage, whatever its pace.
        stopping = time.monotonic()
        served.cluster.stop(mode)
        down = time.monotonic()
        load.wait_for(
            lambda seen: sum(1 for e in seen if e.answer.started > down) >= 15,
            timeout=20,
        )
        starting, starting_wall = time.monotonic(), time.time()
        served.cluster.start()
        up = time.monotonic()
        load.wait_for(lambda seen: _successes(seen, after=up) >= 20, timeout=20)
    finally:
        exchanges = load.stop()

    # Bounded by the commands, not by when pg_ctl noticed: it polls, so it returns from a
    # start a little after the server already answers.
    during_outage = [
        e for e in exchanges if down < e.answer.started and e.answer.finished < starting
    ]
    first_back = min(e.answer.finished for e in exchanges if e.ok and e.answer.started > up)
    statuses = sorted({e.answer.status for e in exchanges})
    refused_in_restart = [
        e for e in exchanges if restart_began < e.answer.finished < down and not e.ok
    ]
    print(
        f"\n[pg {mode}] {len(exchanges)} requests, statuses {statuses}; restart took "
        f"{back - restart_began:.2f}s with {len(refused_in_restart)} refused; "
        f"{len(during_outage)} answered while down "
        f"({sorted({e.answer.status for e in during_outage})}); first success "
        f"{first_back - up:.2f}s after PostgreSQL was back; payments "
        f"{payment_statuses(served.cluster, DATABASE)}, charged but unpaid "
        f"{charged_but_unpaid(served.cluster, DATABASE)}"
    )
    assert unexpected_answers(exchanges, allowed={503}) == []
    assert during_outage, "the load never met the outage"
    assert [(e.kind, e.answer.status) for e in during_outage if e.answer.status != 503] == []
    # Up to the stop command, not its return: requests met the shutdown while it ran.
    assert _failed_between(exchanges, back + BACK_WITHIN, stopping) == []
    assert _failed_between(exchanges, up + BACK_WITHIN, float("inf")) == []
    assert served.server.worker_pids() == workers_before, "a worker died or was restarted"
    # The broken persistent connections were dropped, not leaked: at most one per worker,
    # each opened after PostgreSQL came back.
    connections = _gunicorn_connections(served)
    assert len(connections) <= len(workers_before)
    assert all(started > starting_wall for _, started in connections), connections
    assert consistency_problems(served.cluster, DATABASE, served.shop) == []


@pytest.mark.django_db
def test_an_outage_between_the_charge_and_the_order_never_leaves_a_charged_order_unpaid(
    monkeypatch: pytest.MonkeyPatch, shopper: User
):
    cart = CartFactory(user=shopper)
    CartLineFactory(cart=cart, variant=VariantFactory(stock=5), quantity=1)
    order = order_services.order_place(
        cart=cart,
        email=shopper.email,
        address=order_services.ShippingAddress(**SHIPPING_ADDRESS),
        shipping_method_id=ShippingMethodFactory().pk,
        user=shopper,
    )
    api = token_client(shopper)
    api.raise_request_exception = False
    pay = f"/api/v1/orders/{order.number}/pay/"

    def outage(**kwargs: object) -> bool:
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr(payment_services, "order_mark_paid", outage)
        first = api.post(pay, CARD, format="json")
    retry = api.post(pay, CARD, format="json")

    assert first.status_code == 503
    order.refresh_from_db()
    charged = Payment.objects.filter(order=order, status=PaymentStatus.CAPTURED).exists()
    assert order.payment_status == OrderPaymentStatus.PAID or not charged, retry.json()


def _database_gone(*args: object, **kwargs: object) -> None:
    raise OperationalError('connection to server at "127.0.0.1" failed: Connection refused')


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/catalog/", "/products/some-kettle/"])
def test_a_page_whose_database_is_unreachable_is_the_503_page(client, monkeypatch, path):
    with monkeypatch.context() as patched:
        patched.setattr(connections["default"], "cursor", _database_gone)
        response = client.get(path)

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert b"Back in a moment" in response.content
    assert b"Connection refused" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_api_call_whose_database_is_unreachable_is_a_503_in_the_error_shape(
    monkeypatch, shopper: User, error: type[Exception]
):
    api = token_client(shopper)
    api.raise_request_exception = False

    def gone(*args: object, **kwargs: object) -> None:
        raise error("connection already closed")

    with monkeypatch.context() as patched:
        patched.setattr(connections["default"], "cursor", gone)
        response = api.get("/api/v1/products/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The shop is briefly unavailable. Please try again in a few seconds.",
            "fields": {},
        }
    }
