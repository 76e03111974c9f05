"""A gunicorn worker killed (SIGKILL) mid-checkout: no half order, no stock lost or made up.

A real gunicorn (config/gunicorn.conf.py) serves a throwaway PostgreSQL cluster. Each
worker names its database connection after its pid (PGAPPNAME, set in a post_fork hook by
tests/faults/pg_support.py), so the test can see in pg_stat_activity which worker is
inside a checkout's transaction and kill exactly that one.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.faults.load_support import Exchange, Load, Served, shop_served, unexpected_answers
from tests.faults.pg_support import (
    SHIPPING_ADDRESS,
    Answer,
    PostgresCluster,
    consistency_problems,
    request,
    wait_for,
)

pytestmark = pytest.mark.postgres

DATABASE = "shop"
WORKERS = 2
KILLS = 6


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("worker-kill")
    with shop_served(folder, database=DATABASE, shoppers=4, workers=WORKERS) as served:
        yield served


def _monitor(cluster: PostgresCluster) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(cluster.url(DATABASE), autocommit=True, connect_timeout=5)


def _workers_in_a_transaction(monitor: psycopg.Connection[tuple[object, ...]]) -> list[int]:
    """Pids of gunicorn workers whose connection is inside a transaction that wrote."""
    rows = monitor.execute(
        """SELECT DISTINCT a.application_name FROM pg_stat_activity a
           JOIN pg_locks l ON l.pid = a.pid AND l.mode = 'RowExclusiveLock'
           JOIN pg_class c ON c.oid = l.relation AND c.relname = 'orders_order'
           WHERE a.application_name LIKE 'gunicorn-%' AND a.xact_start IS NOT NULL"""
    ).fetchall()
    return [int(str(name).removeprefix("gunicorn-")) for (name,) in rows]


def _checkout(served: Served, token: str, key: str) -> Answer:
    return request(
        "POST",
        served.server.url("/api/v1/checkout/"),
        body={"shipping_address": SHIPPING_ADDRESS, "shipping_method": served.shop.shipping_method},
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key},
    )


def _add_to_cart(served: Served, token: str, variant: int) -> None:
    added = request(
        "POST",
        served.server.url("/api/v1/cart/items/"),
        body={"variant": variant, "quantity": 2},
        headers={"Authorization": f"Token {token}"},
    )
    assert added.status in (200, 201), added.body


def _orders(served: Served) -> int:
    return int(served.cluster.rows(DATABASE, "SELECT count(*) FROM orders_order")[0][0])


def _wait_for_workers(served: Served, *, not_in: set[int]) -> None:
    """Until gunicorn has replaced the killed workers and serves again."""
    wait_for(
        lambda: len(served.server.worker_pids() - not_in) == WORKERS,
        timeout=30,
        what="gunicorn replacing the killed worker",
    )


def _kill_mid_checkout(served: Served, token: str, key: str) -> tuple[int, list[Answer]]:
    """Starts a checkout, kills its worker inside the transaction; (victim pid, answers)."""
    variant = next(iter(served.shop.variants))
    _add_to_cart(served, token, variant)
    answers: list[Answer] = []
    with _monitor(served.cluster) as monitor, _monitor(served.cluster) as holder:
        # Holding the variant's row lock stops the checkout at its last step, taking the
        # stock, after the order and its lines are written: the worst moment to die.
        with holder.transaction():
            holder.execute("SELECT 1 FROM catalog_variant WHERE id = %s FOR UPDATE", [variant])
            placing = threading.Thread(target=lambda: answers.append(_checkout(served, token, key)))
            placing.start()
            wait_for(lambda: _workers_in_a_transaction(monitor), timeout=20, what="checkout")
            (victim,) = _workers_in_a_transaction(monitor)
            os.kill(victim, signal.SIGKILL)
            placing.join(timeout=30)
        # Released: the orphaned backend takes the stock, then finds its client gone and
        # rolls the whole transaction back.
        wait_for(
            lambda: (
                not monitor.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                    [f"gunicorn-{victim}"],
                ).fetchall()
            ),
            timeout=20,
            what="the killed worker's transaction ending",
        )
    _wait_for_workers(served, not_in={victim})
    return victim, answers


def test_a_worker_killed_while_its_checkout_waits_for_the_stock_leaves_no_order(served: Served):
    token = served.shop.tokens[0]
    orders_before = _orders(served)

    _, answers = _kill_mid_checkout(served, token, uuid.uuid4().hex)

    assert [answer.status for answer in answers] == [0]  # the connection died with it
    assert _orders(served) == orders_before
    assert consistency_problems(served.cluster, DATABASE, served.shop) == []
    placed = _checkout(served, token, uuid.uuid4().hex)
    assert placed.status == 201, placed.body
    assert consistency_problems(served.cluster, DATABASE, served.shop) == []


def test_a_retry_with_the_same_idempotency_key_after_a_worker_died_places_the_order(
    served: Served,
):
    token = served.shop.tokens[1]
    key = uuid.uuid4().hex
    _kill_mid_checkout(served, token, key)

    retry = _checkout(served, token, key)

    assert retry.status == 201, retry.body


def _placed(exchanges: list[Exchange]) -> int:
    return sum(1 for e in exchanges if e.kind == "checkout" and e.answer.status == 201)


def test_workers_killed_at_random_moments_of_a_checkout_load_leave_every_order_whole(
    served: Served,
):
    killed: set[int] = set()
    load = Load(served.server, served.shop, rounds=300, pages=False, pay=False).start()
    try:
        with _monitor(served.cluster) as monitor:
            deadline = time.monotonic() + 45
            while len(killed) < KILLS and time.monotonic() < deadline:
                victims = [pid for pid in _workers_in_a_transaction(monitor) if pid not in killed]
                if not victims:
                    time.sleep(0.002)
                    continue
                os.kill(victims[0], signal.SIGKILL)
                killed.add(victims[0])
                # The master replaces it; a few orders go through before the next kill.
                _wait_for_workers(served, not_in=killed)
                placed = _placed(load.snapshot())
                load.wait_for(lambda seen, before=placed: _placed(seen) >= before + 3, timeout=20)
    finally:
        exchanges = load.stop()

    lost = [e for e in exchanges if e.answer.status == 0]
    placed = [e for e in exchanges if e.kind == "checkout" and e.answer.status == 201]
    numbers = {e.answer.json()["number"] for e in placed}
    in_db = {
        number for (number,) in served.cluster.rows(DATABASE, "SELECT number FROM orders_order")
    }
    print(
        f"\n[worker kill] {len(killed)} workers killed mid-transaction; {len(exchanges)} "
        f"requests, {len(placed)} orders answered 201, {len(lost)} answers lost with a worker; "
        f"{len(in_db)} orders in the database"
    )
    assert len(killed) == KILLS
    # A killed worker's request gets no answer (status 0); every other answer is normal.
    assert unexpected_answers([e for e in exchanges if e.answer.status], allowed=set()) == []
    assert len(lost) >= KILLS
    assert numbers <= in_db
    assert consistency_problems(served.cluster, DATABASE, served.shop) == []
