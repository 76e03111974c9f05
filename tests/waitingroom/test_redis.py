"""On Redis: exact under a burst, one round trip a check, one cluster slot; fails open."""

from __future__ import annotations

import logging

import pytest
from django_redis import get_redis_connection
from redis.client import Pipeline
from redis.crc import key_slot

from apps.waitingroom import services
from apps.waitingroom.redis_store import room_keys
from apps.waitingroom.selectors import room_stats
from apps.waitingroom.services import room_check
from tests.concurrency import run_together
from tests.waitingroom.conftest import T0, make_room


@pytest.mark.redis
def test_capacity_holds_under_a_burst_of_arrivals(room_key):
    room = make_room(room_key, capacity=5)
    jobs = [lambda i=i: room_check(config=room, visitor=f"burst-{i}", now=T0) for i in range(50)]
    decisions, errors = run_together(jobs)
    assert errors == []
    assert sum(d.admitted for d in decisions) == 5
    assert sorted(d.position for d in decisions if not d.admitted) == list(range(1, 46))
    assert room_stats(room, now=T0).active == 5


@pytest.mark.redis
def test_a_check_is_one_round_trip_to_redis(room_key, monkeypatch):
    room = make_room(room_key, capacity=1)
    room_check(config=room, visitor="warm", now=T0)  # the server learns the script once
    client = get_redis_connection("default")
    sent: list[str] = []
    original = client.execute_command

    def counting(*args, **kwargs):
        sent.append(str(args[0]).upper())
        return original(*args, **kwargs)

    original_execute = Pipeline.execute

    def counting_pipeline(self, *args, **kwargs):
        sent.append("PIPELINE")
        return original_execute(self, *args, **kwargs)

    monkeypatch.setattr(client, "execute_command", counting)
    monkeypatch.setattr(Pipeline, "execute", counting_pipeline)
    for visitor in ("warm", "second", "third"):
        room_check(config=room, visitor=visitor, now=T0)
        assert sent == ["EVALSHA"]
        sent.clear()
    # The cache clean-up after the test pipelines its deletes: count no further.
    monkeypatch.undo()


@pytest.mark.redis
def test_every_key_of_a_room_is_in_one_cluster_slot(room_key):
    room = make_room(room_key, capacity=1, admit_per_minute=10)
    room_check(config=room, visitor="a", now=T0)
    room_check(config=room, visitor="b", now=T0)
    stored = [
        key.decode()
        for key in get_redis_connection("default").scan_iter(match=f"*{room_key}*", count=1000)
    ]
    assert set(room_keys(room, T0)) <= set(stored)
    assert all(f"{{room:{room_key}}}" in key for key in stored)
    assert len({key_slot(key.encode()) for key in stored}) == 1


def test_with_redis_down_everyone_is_admitted_and_it_is_logged_once(
    redis_down, room_key, caplog, monkeypatch
):
    monkeypatch.setattr(services, "_warned_minute", None)
    room = make_room(room_key, capacity=0)
    with caplog.at_level(logging.WARNING, logger="apps.waitingroom.services"):
        decisions = [room_check(config=room, visitor=f"v{i}", now=T0) for i in range(3)]
    assert all(d.admitted for d in decisions)
    assert all(d.ticket for d in decisions)
    warnings = [r for r in caplog.records if "cannot reach its store" in r.getMessage()]
    assert len(warnings) == 1


def test_with_redis_down_staff_stats_say_unavailable(redis_down, room_key):
    stats = room_stats(make_room(room_key), now=T0)
    assert not stats.available
    assert (stats.queued, stats.active) == (0, 0)
