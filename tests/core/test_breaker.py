"""The circuit breakers: open after N outages, answer at once while open, probe, close."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.core import breaker as breakers
from apps.core.breaker import BreakerPipeline, BreakerRedis, RedisUnavailable
from apps.core.queue import _registered, _send

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_breakers(settings) -> Iterator[None]:
    settings.REDIS_BREAKER_FAILURES = 3
    settings.REDIS_BREAKER_RESET_SECONDS = 5
    breakers.BREAKERS.clear()
    yield
    breakers.BREAKERS.clear()


class FakeServer:
    """Stands in for the socket: counts the commands that reach it, answers as told."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = 0
        self.answer: BaseException | str = "PONG"

        def execute_command(client: Redis, *args, **options):
            return self._answer()

        def execute(pipe: Pipeline, raise_on_error: bool = True):
            return [self._answer() for _ in pipe.command_stack] if pipe.command_stack else []

        monkeypatch.setattr(Redis, "execute_command", execute_command)
        monkeypatch.setattr(Pipeline, "execute", execute)

    def _answer(self):
        self.sent += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    # A patch of its own, undone before the shared fixtures clean the real cache.
    patch = pytest.MonkeyPatch()
    yield FakeServer(patch)
    patch.undo()


@pytest.fixture
def client() -> BreakerRedis:
    # Nothing listens there and nothing will be asked: the fake server answers.
    return BreakerRedis(host="127.0.0.1", port=6399, db=2)


def _fail(client: BreakerRedis, times: int) -> None:
    for _ in range(times):
        with pytest.raises(RedisTimeoutError):
            client.get("k")


def test_the_breaker_opens_after_the_set_number_of_timeouts_in_a_row(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    with time_machine.travel(T0, tick=False):
        _fail(client, 3)
        assert client.breaker.current_state == "open"
        with pytest.raises(RedisUnavailable):
            client.get("k")
    assert server.sent == 3  # the fourth command never reached the socket


def test_an_open_breaker_answers_at_once_without_a_socket(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    with time_machine.travel(T0, tick=False):
        _fail(client, 3)
        started = time.perf_counter()
        for _ in range(1000):
            with pytest.raises(RedisUnavailable):
                client.get("k")
        elapsed = time.perf_counter() - started
    assert server.sent == 3
    assert elapsed < 0.5  # a thousand short-circuits; one timeout alone is 0.5 s


def test_after_the_reset_time_one_probe_is_let_through_and_an_answer_closes_it(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    with time_machine.travel(T0, tick=False):
        _fail(client, 3)
    with time_machine.travel(T0 + timedelta(seconds=4), tick=False):
        with pytest.raises(RedisUnavailable):
            client.get("k")
        assert server.sent == 3
    server.answer = "value"
    with time_machine.travel(T0 + timedelta(seconds=6), tick=False):
        assert client.get("k") == "value"  # the probe (half-open) reaches the server
        assert client.breaker.current_state == "closed"
        assert client.get("k") == "value"
    assert server.sent == 5


def test_a_failed_probe_opens_the_breaker_for_another_period(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    with time_machine.travel(T0, tick=False):
        _fail(client, 3)
    with time_machine.travel(T0 + timedelta(seconds=6), tick=False):
        _fail(client, 1)  # the probe: one timeout, and open again at once
        assert client.breaker.current_state == "open"
        with pytest.raises(RedisUnavailable):
            client.get("k")
    with (
        time_machine.travel(T0 + timedelta(seconds=10), tick=False),
        pytest.raises(RedisUnavailable),
    ):
        client.get("k")
    assert server.sent == 4


def test_an_error_answer_is_not_an_outage(server, client):
    server.answer = ResponseError("WRONGTYPE Operation against a key holding the wrong kind")
    for _ in range(10):
        with pytest.raises(ResponseError):
            client.get("k")
    assert client.breaker.current_state == "closed"
    assert server.sent == 10


def test_an_answer_between_timeouts_starts_the_count_again(server, client):
    for answer in ["ok", RedisTimeoutError("t"), RedisTimeoutError("t"), "ok"] * 3:
        server.answer = answer
        if isinstance(answer, str):
            client.get("k")
        else:
            _fail(client, 1)
    assert client.breaker.current_state == "closed"


def test_pipelines_and_scripts_pass_the_same_breaker(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    pipe = client.pipeline(transaction=False)
    assert isinstance(pipe, BreakerPipeline)
    pipe.get("k")
    with pytest.raises(RedisTimeoutError):
        pipe.execute()
    script = client.register_script("return 1")
    for _ in range(2):
        with pytest.raises(RedisTimeoutError):
            script(keys=["k"])
    assert client.breaker.current_state == "open"
    pipe = client.pipeline(transaction=False)
    pipe.get("k")
    with pytest.raises(RedisUnavailable):
        pipe.execute()
    assert client.pipeline().execute() == []  # nothing queued: nothing sent, no error
    assert server.sent == 3


def test_each_redis_server_has_a_breaker_of_its_own(server, client):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    _fail(client, 3)
    other_db = BreakerRedis(host="127.0.0.1", port=6399, db=3)
    other_port = BreakerRedis(host="127.0.0.1", port=6398, db=2)
    same = BreakerRedis(host="127.0.0.1", port=6399, db=2)
    assert same.breaker is client.breaker
    assert other_db.breaker is not client.breaker
    assert other_port.breaker.current_state == "closed"


def test_breakers_are_named_without_credentials():
    broker = breakers.broker_breaker("redis://user:s3cret@broker.internal:6379/0")
    assert broker.name == "broker redis://broker.internal:6379/0"
    assert "s3cret" not in str(list(breakers.BREAKERS))


def test_opening_and_closing_are_logged_once_each(server, client, caplog):
    server.answer = RedisTimeoutError("Timeout reading from socket")
    with caplog.at_level(logging.WARNING, logger="apps.core.breaker"):
        with time_machine.travel(T0, tick=False):
            _fail(client, 3)
            for _ in range(20):
                with pytest.raises(RedisUnavailable):
                    client.get("k")
        server.answer = "ok"
        with time_machine.travel(T0 + timedelta(seconds=6), tick=False):
            client.get("k")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Circuit redis 127.0.0.1:6399/2 open: not asking it for 5s",
        "Circuit redis 127.0.0.1:6399/2 closed: answering again",
    ]


# --- The broker ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_publishing_stops_after_the_broker_failed_twice_and_says_so(
    dead_broker, settings, caplog, monkeypatch
):
    settings.BROKER_BREAKER_FAILURES = 2
    task = "apps.accounts.tasks.send_password_reset_email"
    with caplog.at_level(logging.ERROR, logger="apps.core.queue"):
        _send(task, (1,), {})
        _send(task, (1,), {})

        def published(*args, **kwargs):  # the open breaker must not get this far
            raise AssertionError("published through an open breaker")

        monkeypatch.setattr(type(_registered(task)), "apply_async", published)
        _send(task, (1,), {})
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:2] == [f"Broker unreachable; task {task} was not enqueued"] * 2
    assert messages[2] == f"Broker unreachable (circuit open); task {task} was not enqueued"
    assert caplog.records[2].exc_info is None


def test_in_eager_mode_a_task_error_does_not_open_the_broker_breaker(settings, monkeypatch):
    settings.BROKER_BREAKER_FAILURES = 1
    task = _registered("apps.accounts.tasks.send_password_reset_email")

    def failing(*args, **kwargs):
        raise OSError("the task's own SMTP connection failed")

    monkeypatch.setattr(type(task), "apply_async", failing)
    for _ in range(3):
        _send(task, (1,), {})  # logged, not raised, as before
    assert breakers.BREAKERS == {}  # eager mode never consulted a broker breaker
