"""A Celery worker killed (SIGKILL) while it sends order e-mails: each goes out exactly once.

The worker is a real one in its own process (the project's app, prefork pool, acks_late),
on a throwaway Redis broker, reading the test database, writing e-mails to files. The
backend below stalls once on one chosen order's e-mail, before or after writing it, so the
test kills the worker at exactly that point rather than wherever luck puts it:

- before the send, the e-mail is sent once, by whichever process gets the message again;
- after the send but before the outbox row is marked (the one window outbox sending
  leaves), it is sent twice: at least once, never lost. The window is measured below.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.mail.backends import filebased
from django.db import connection

from apps.orders import services as order_services
from apps.orders.choices import NotificationKind
from apps.orders.models import Notification, Order
from config.celery import app as celery_app
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ShippingMethodFactory,
    UserFactory,
    VariantFactory,
)
from tests.faults.pg_support import ROOT, SHIPPING_ADDRESS, app_env, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ORDERS = 8
PAUSED = 3  # the index of the order whose e-mail the first worker stalls on
# Seconds: production's default is minutes (config/settings.py says why); a few here so
# the test sees the redelivery of a message whose worker died.
VISIBILITY_TIMEOUT = 3
STALL = 60.0
_SUBJECT = re.compile(rb"^Subject: Your order (SF-\w+)$", re.MULTILINE)


class PausingFileBackend(filebased.EmailBackend):
    """Django's file backend, stalling once on one order's e-mail so a test can kill there.

    FAULT_MAIL_ORDER names the order, FAULT_MAIL_PAUSE says "before" or "after" writing
    it, and FAULT_MAIL_FLAG is the file whose creation claims the one stall (it holds the
    stalled process's pid): a redelivered message finds it and is not stalled again.
    """

    def send_messages(self, messages: Any) -> int:
        pause = os.environ.get("FAULT_MAIL_PAUSE", "")
        order = os.environ.get("FAULT_MAIL_ORDER", "")
        if not pause or not any(order in str(message.subject) for message in messages):
            return super().send_messages(messages)
        if not _claim(Path(os.environ["FAULT_MAIL_FLAG"])):
            return super().send_messages(messages)
        if pause == "before":
            time.sleep(STALL)
        sent = super().send_messages(messages)
        if pause == "after":
            time.sleep(STALL)
        return sent


def _claim(flag: Path) -> bool:
    try:
        descriptor = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(str(os.getpid()))
    return True


def worker_main() -> None:
    """The worker subprocess: the project's Celery app, e-mails to FAULT_MAIL_DIR's files."""
    from django.conf import settings

    settings.EMAIL_BACKEND = f"{__name__}.PausingFileBackend"
    settings.EMAIL_FILE_PATH = os.environ["FAULT_MAIL_DIR"]
    celery_app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=fault-{os.getpid()}@%h",
        ]
    )


class Worker:
    """One `celery worker` process (and its pool child), in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        boot = f"import django; django.setup(); from {__name__} import worker_main; worker_main()"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-c", boot],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started = time.monotonic()

    def kill(self) -> None:
        """SIGKILL to the main process and its pool child at once: the host died."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A Redis of the test's own, published to by this process as the broker."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    original = celery_app.conf.broker_url
    try:
        import redis

        wait_for(lambda: redis.Redis(port=port).ping(), timeout=10, what="redis-server")
        celery_app.conf.broker_url = url
        celery_app.conf.task_always_eager = False
        _drop_pools()
        yield url
    finally:
        celery_app.conf.broker_url = original
        _drop_pools()
        server.terminate()
        server.wait(timeout=10)


def _drop_pools() -> None:
    # The next publish builds a pool for the current broker_url (as tests/conftest.py does).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def spawn(transactional_db: None, broker: str, mail_dir: Path, tmp_path: Path) -> Iterator[Any]:
    """Starts workers on the test database and the test's broker; kills them all after."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    base = app_env(
        database_url=database_url,
        var_dir=tmp_path / "var",
        CELERY_BROKER_URL=broker,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        FAULT_MAIL_DIR=str(mail_dir),
        FAULT_MAIL_FLAG=str(tmp_path / "stalled"),
        LOG_LEVEL=os.environ.get("FAULT_LOG_LEVEL", "WARNING"),
    )
    started: list[Worker] = []

    def start(**extra: str) -> Worker:
        worker = Worker({**base, **extra}, tmp_path / "worker.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def orders(transactional_db: None, broker: str) -> list[Order]:
    """Orders placed for real: each commit queues its confirmation e-mail on the broker."""
    variant = VariantFactory(stock=100)
    shipping = ShippingMethodFactory()
    placed = []
    for index in range(ORDERS):
        user = UserFactory(email=f"buyer{index}@example.com")
        cart = CartFactory(user=user)
        CartLineFactory(cart=cart, variant=variant, quantity=1)
        placed.append(
            order_services.order_place(
                cart=cart,
                email=user.email,
                address=order_services.ShippingAddress(**SHIPPING_ADDRESS),
                shipping_method_id=shipping.pk,
                user=user,
            )
        )
    return placed


def _sent(mail_dir: Path) -> Counter[str]:
    """Confirmation e-mails written so far, per order number."""
    numbers: Counter[str] = Counter()
    for path in mail_dir.glob("*.log"):
        numbers.update(match.decode() for match in _SUBJECT.findall(path.read_bytes()))
    return numbers


def _stalled_pid(tmp_path: Path) -> int:
    flag = tmp_path / "stalled"
    wait_for(lambda: flag.read_text().strip(), timeout=40, what="the worker stalling on the e-mail")
    return int(flag.read_text())


def _all_marked() -> bool:
    return not Notification.objects.filter(sent_at__isnull=True).exists()


def _all_sent(mail_dir: Path, orders: list[Order]) -> bool:
    return set(_sent(mail_dir)) >= {order.number for order in orders}


def test_a_worker_whose_pool_process_is_killed_before_the_send_sends_each_email_once(
    spawn, orders, mail_dir, tmp_path
):
    paused = orders[PAUSED].number
    spawn(FAULT_MAIL_PAUSE="before", FAULT_MAIL_ORDER=paused)
    child = _stalled_pid(tmp_path)
    assert paused not in _sent(mail_dir)

    # The OOM killer's way: the pool process dies, the worker's main process lives on and
    # hands the message back (acks_late + reject_on_worker_lost).
    os.kill(child, signal.SIGKILL)
    redelivered = wait_for(lambda: paused in _sent(mail_dir), timeout=30, what="redelivery")
    wait_for(lambda: _all_sent(mail_dir, orders), timeout=30, what="every e-mail")

    print(f"\n[celery child kill] e-mail of the killed task sent {redelivered:.2f}s after the kill")
    assert _sent(mail_dir) == Counter({order.number: 1 for order in orders})
    # The outbox mark follows the send: once it is written, nothing is owed.
    wait_for(_all_marked, timeout=30, what="every notification marked sent")


def test_a_worker_killed_outright_before_the_send_has_its_email_sent_once_by_the_next(
    spawn, orders, mail_dir, tmp_path
):
    paused = orders[PAUSED].number
    first = spawn(FAULT_MAIL_PAUSE="before", FAULT_MAIL_ORDER=paused)
    _stalled_pid(tmp_path)
    delivered = (tmp_path / "stalled").stat().st_mtime
    first.kill()
    killed = time.monotonic()

    # The message is Redis's "unacked" until its visibility timeout has passed since it
    # was delivered; a worker starting after that restores it at once (a worker already
    # running would wait for its next restore sweep, see config/settings.py).
    wait_for(lambda: time.time() > delivered + VISIBILITY_TIMEOUT, timeout=10, what="the timeout")
    spawn()
    redelivered = wait_for(lambda: paused in _sent(mail_dir), timeout=40, what="redelivery")
    wait_for(lambda: _all_sent(mail_dir, orders), timeout=30, what="every e-mail")

    print(
        f"\n[celery worker kill] e-mail of the killed task sent {time.monotonic() - killed:.2f}s "
        f"after the kill, {redelivered:.2f}s after the new worker was started "
        f"(visibility timeout {VISIBILITY_TIMEOUT}s)"
    )
    assert _sent(mail_dir) == Counter({order.number: 1 for order in orders})
    # The outbox mark follows the send: once it is written, nothing is owed.
    wait_for(_all_marked, timeout=30, what="every notification marked sent")


def test_a_kill_between_the_send_and_the_outbox_mark_sends_that_one_email_twice_never_none(
    spawn, orders, mail_dir, tmp_path
):
    paused = orders[PAUSED].number
    spawn(FAULT_MAIL_PAUSE="after", FAULT_MAIL_ORDER=paused)
    child = _stalled_pid(tmp_path)
    wait_for(lambda: paused in _sent(mail_dir), timeout=10, what="the stalled e-mail's file")

    os.kill(child, signal.SIGKILL)
    wait_for(lambda: _sent(mail_dir)[paused] == 2, timeout=30, what="the second copy")
    wait_for(lambda: _all_sent(mail_dir, orders), timeout=30, what="every e-mail")

    window = _window(mail_dir, orders)
    print(
        f"\n[celery duplicate window] send returned -> outbox row marked: median "
        f"{window['gap_ms']:.1f} ms of {window['per_email_ms']:.1f} ms per e-mail "
        f"({window['share']:.1%} of a sending worker's time)"
    )
    expected = {order.number: 1 for order in orders} | {paused: 2}
    assert _sent(mail_dir) == Counter(expected)
    confirmations = Notification.objects.filter(kind=NotificationKind.ORDER_CONFIRMATION)
    assert not confirmations.filter(sent_at__isnull=True).exists()


def _window(mail_dir: Path, orders: list[Order]) -> dict[str, float]:
    """How long sending stays open to a duplicate: from the file's write to `sent_at`."""
    written = {}
    for path in mail_dir.glob("*.log"):
        for number in _SUBJECT.findall(path.read_bytes()):
            written.setdefault(number.decode(), path.stat().st_mtime)
    marks = dict(
        Notification.objects.filter(order__in=orders).values_list("order__number", "sent_at")
    )
    gaps = [
        (marks[number].timestamp() - moment) * 1000
        for number, moment in written.items()
        if isinstance(marks.get(number), datetime) and marks[number].timestamp() >= moment
    ]
    sends = sorted(mark.timestamp() for mark in marks.values() if mark is not None)
    steps = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(sends)]
    per_email = statistics.median(step for step in steps if step < 1000)
    gap = statistics.median(gaps)
    return {"gap_ms": gap, "per_email_ms": per_email, "share": gap / per_email}
