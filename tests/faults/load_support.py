"""A bounded load of shoppers for the fault tests, and how to judge what it got back."""

from __future__ import annotations

import contextlib
import datetime
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.pg_support import (
    SHIPPING_ADDRESS,
    Answer,
    Gunicorn,
    PostgresCluster,
    Shop,
    app_env,
    postgres_cluster,
    request,
    require_postgres_binaries,
    shop_prepare,
    wait_for,
)

CARD = {
    "card_number": "4242424242424242",
    "exp_month": 12,
    "exp_year": datetime.date.today().year + 2,
    "cvc": "123",
}
# What each kind of request answers when all is well.
SUCCESS = {
    "page": {200},
    "api-read": {200},
    "cart-add": {200, 201},
    "checkout": {201},
    "pay": {200},
}


@dataclass(frozen=True)
class Exchange:
    """A request the load made, and what came back."""

    kind: str
    path: str
    answer: Answer

    @property
    def ok(self) -> bool:
        return self.answer.status in SUCCESS[self.kind]


class Load:
    """Shoppers in threads, each looping: a page, an API read, cart add, checkout, pay.

    Bounded by `rounds` per shopper as well as by stop(): a test that forgets to stop it,
    or a server that hangs, still ends.
    """

    def __init__(
        self,
        server: Gunicorn,
        shop: Shop,
        *,
        rounds: int,
        pages: bool = True,
        pay: bool = True,
    ) -> None:
        self.server = server
        self.shop = shop
        self.rounds = rounds
        self.pages = pages
        self.pay = pay
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._shopper, args=(token, index), daemon=True)
            for index, token in enumerate(shop.tokens)
        ]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Exchange]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in self._threads), "a shopper hung"
        return self.snapshot()

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    def wait_for(self, condition: Callable[[list[Exchange]], bool], *, timeout: float) -> None:
        wait_for(lambda: condition(self.snapshot()), timeout=timeout, what="load condition")

    def _record(self, kind: str, path: str, answer: Answer) -> Answer:
        with self._lock:
            self.exchanges.append(Exchange(kind, path, answer))
        return answer

    def _call(self, kind: str, method: str, path: str, **kwargs: Any) -> Answer:
        return self._record(kind, path, request(method, self.server.url(path), **kwargs))

    def _shopper(self, token: str, index: int) -> None:
        auth = {"Authorization": f"Token {token}"}
        variants = list(self.shop.variants)
        slugs = self.shop.product_slugs
        for round_ in range(self.rounds):
            if self._stop.is_set():
                return
            if self.pages:
                page = "/" if round_ % 2 else f"/products/{slugs[round_ % len(slugs)]}/"
                self._call("page", "GET", page)
            self._call("api-read", "GET", "/api/v1/products/")
            variant = variants[(index + round_) % len(variants)]
            added = self._call(
                "cart-add", "POST", "/api/v1/cart/items/",
                body={"variant": variant, "quantity": 1}, headers=auth,
            )  # fmt: skip
            if added.status not in SUCCESS["cart-add"]:
                continue
            placed = self._call(
                "checkout", "POST", "/api/v1/checkout/",
                body={"shipping_address": SHIPPING_ADDRESS,
                      "shipping_method": self.shop.shipping_method},
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
            if self.pay and placed.status == 201:
                number = placed.json()["number"]
                self._call(
                    "pay", "POST", f"/api/v1/orders/{number}/pay/",
                    body=CARD, headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                )  # fmt: skip


def unexpected_answers(exchanges: list[Exchange], *, allowed: set[int]) -> list[str]:
    """Answers that are neither a success nor, for a status in `allowed`, the right shape.

    A page's refusal must be the 503 page (HTML), an API's the one JSON error shape; no
    body may carry a traceback or a database error's text.
    """
    problems = []
    for exchange in exchanges:
        answer = exchange.answer
        where = f"{exchange.kind} {exchange.path} -> {answer.status}"
        leaked = [
            word for word in (b"Traceback", b"psycopg", b"OperationalError") if word in answer.body
        ]
        if leaked:
            problems.append(f"{where}: body shows {leaked}")
        if exchange.ok:
            continue
        if answer.status not in allowed:
            problems.append(f"{where}: {answer.body[:200]!r}")
        elif exchange.kind == "page":
            if (
                not answer.content_type.startswith("text/html")
                or b"Back in a moment" not in answer.body
            ):
                problems.append(f"{where}: not the 503 page: {answer.body[:200]!r}")
        elif not _is_error_shape(answer):
            problems.append(f"{where}: not the error shape: {answer.body[:200]!r}")
    return problems


def _is_error_shape(answer: Answer) -> bool:
    if not answer.content_type.startswith("application/json"):
        return False
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return set(error) == {"code", "message", "fields"} and bool(error["message"])


@dataclass
class Served:
    """A throw-away cluster, a gunicorn serving the shop from it, and the shop it seeded."""

    cluster: PostgresCluster
    server: Gunicorn
    shop: Shop


@contextlib.contextmanager
def shop_served(folder: Path, *, database: str, shoppers: int, workers: int) -> Iterator[Served]:
    """A shop with `shoppers` accounts and 1,000 units, served by `workers` gunicorn
    workers from a PostgreSQL cluster of its own; everything stopped afterwards."""
    require_postgres_binaries()
    with postgres_cluster() as cluster:
        cluster.createdb(database)
        env = app_env(database_url=cluster.url(database), var_dir=folder)
        shop = shop_prepare(env, shoppers=shoppers, stock=1_000)
        server = Gunicorn(env, folder, workers=workers)
        server.start()
        try:
            yield Served(cluster, server, shop)
        finally:
            server.stop()
