"""The line's rules, on both stores: order, places, capacity, passes and the pace."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from apps.waitingroom.rooms import RoomConfig
from apps.waitingroom.selectors import room_stats
from apps.waitingroom.services import room_check, room_leave
from tests.waitingroom.conftest import T0, make_room

pytestmark = pytest.mark.usefixtures("store")


def _positions(config: RoomConfig, visitors: list[str], now=T0) -> list[int | None]:
    return [room_check(config=config, visitor=v, now=now).position for v in visitors]


def test_shoppers_are_admitted_first_come_first_served_after_opening(room_key):
    room = make_room(room_key, capacity=2)
    visitors = [f"v{i}" for i in range(5)]
    decisions = [room_check(config=room, visitor=v, now=T0) for v in visitors]
    assert [d.admitted for d in decisions] == [True, True, False, False, False]
    assert [d.position for d in decisions] == [None, None, 1, 2, 3]

    # Both passes run out; the last in line asks first, yet the head of the line goes in.
    later = T0 + timedelta(seconds=61)
    last = room_check(config=room, visitor="v4", now=later)
    assert (last.admitted, last.position) == (False, 1)
    assert room_check(config=room, visitor="v2", now=later).admitted
    assert room_check(config=room, visitor="v3", now=later).admitted


def test_the_pre_queue_is_admitted_in_random_order_at_opening(room_key):
    opens_at = T0 + timedelta(minutes=10)
    room = make_room(room_key, capacity=10, opens_at=opens_at)
    visitors = [f"early-{i:02d}" for i in range(50)]
    for index, visitor in enumerate(visitors):
        # Arriving earlier (up to ten minutes) buys nothing: nobody is in before opening.
        arrived = T0 + timedelta(seconds=index * 10)
        assert not room_check(config=room, visitor=visitor, now=arrived).admitted

    # Read the whole line at opening without admitting anybody (the brake is on).
    braked = replace(room, queue_everyone=True)
    line = _positions(braked, visitors, now=opens_at)
    assert sorted(line) == list(range(1, 51))
    assert line != list(range(1, 51)), "the line should not be the order of arrival"

    by_position = dict(zip(visitors, line, strict=True))
    decisions = {v: room_check(config=room, visitor=v, now=opens_at) for v in visitors}
    admitted = {v for v, d in decisions.items() if d.admitted}
    assert admitted == {v for v, p in by_position.items() if p is not None and p <= 10}
    for visitor, decision in decisions.items():
        if not decision.admitted:
            assert decision.position == by_position[visitor] - 10


def test_arrivals_after_opening_line_up_behind_the_pre_queue(room_key):
    opens_at = T0 + timedelta(minutes=1)
    room = make_room(room_key, capacity=1, opens_at=opens_at)
    for visitor in ("early-a", "early-b", "early-c"):
        room_check(config=room, visitor=visitor, now=T0)
    late = room_check(config=room, visitor="late", now=opens_at)
    # One of the pre-queue got the only slot; the other two are still ahead.
    assert late.position == 3


def test_rejoining_keeps_the_original_place(room_key):
    room = make_room(room_key, capacity=1)
    assert _positions(room, ["a", "b", "c", "d"]) == [None, 1, 2, 3]
    for second in range(1, 6):
        moment = T0 + timedelta(seconds=second)
        assert room_check(config=room, visitor="c", now=moment).position == 2
    assert _positions(room, ["e", "d", "b"]) == [4, 3, 1]


def test_an_admitted_shopper_keeps_the_pass_while_active(room_key):
    room = make_room(room_key, capacity=1, pass_ttl_seconds=60)
    assert room_check(config=room, visitor="a", now=T0).admitted
    assert room_check(config=room, visitor="b", now=T0).position == 1
    assert room_check(config=room, visitor="a", now=T0 + timedelta(seconds=50)).admitted
    # 100 s after arriving, but only 50 s after a's last page: the slot is still a's.
    assert room_check(config=room, visitor="b", now=T0 + timedelta(seconds=100)).position == 1


def test_an_expired_pass_frees_the_slot_and_sends_its_holder_to_the_back(room_key):
    room = make_room(room_key, capacity=1, pass_ttl_seconds=60)
    room_check(config=room, visitor="a", now=T0)
    room_check(config=room, visitor="b", now=T0)
    assert room_check(config=room, visitor="b", now=T0 + timedelta(seconds=61)).admitted
    back = room_check(config=room, visitor="a", now=T0 + timedelta(seconds=62))
    assert (back.admitted, back.position) == (False, 1)


def test_capacity_is_never_exceeded_one_arrival_at_a_time(room_key):
    room = make_room(room_key, capacity=5)
    decisions = [room_check(config=room, visitor=f"v{i}", now=T0) for i in range(50)]
    assert sum(d.admitted for d in decisions) == 5
    assert [d.position for d in decisions if not d.admitted] == list(range(1, 46))


def test_admissions_per_minute_are_capped(room_key):
    room = make_room(room_key, capacity=100, admit_per_minute=3)
    decisions = [room_check(config=room, visitor=f"v{i}", now=T0) for i in range(10)]
    assert [d.admitted for d in decisions].count(True) == 3
    assert [d.position for d in decisions if not d.admitted] == list(range(1, 8))
    # Same minute, still capped.
    assert room_check(config=room, visitor="v3", now=T0 + timedelta(seconds=59)).position == 1
    # The next minute admits the next three, in line order, whoever asks.
    next_minute = T0 + timedelta(seconds=60)
    assert room_check(config=room, visitor="v9", now=next_minute).position == 4
    assert room_check(config=room, visitor="v3", now=next_minute).admitted


def test_queue_everyone_admits_nobody_new_but_keeps_those_inside(room_key):
    room = make_room(room_key, capacity=5)
    assert room_check(config=room, visitor="inside", now=T0).admitted
    braked = replace(room, queue_everyone=True)
    assert room_check(config=braked, visitor="inside", now=T0).admitted
    held = room_check(config=braked, visitor="new", now=T0)
    assert (held.admitted, held.position, held.estimated_wait_seconds) == (False, 1, None)


def test_leaving_frees_the_slot_at_once(room_key):
    room = make_room(room_key, capacity=1)
    room_check(config=room, visitor="a", now=T0)
    room_check(config=room, visitor="b", now=T0)
    room_leave(config=room, visitor="a", now=T0)
    assert room_check(config=room, visitor="b", now=T0).admitted


def test_a_waiting_visitor_is_told_an_estimate_and_when_to_retry(room_key):
    room = make_room(room_key, capacity=2, pass_ttl_seconds=120)
    decisions = [room_check(config=room, visitor=f"v{i}", now=T0) for i in range(6)]
    waiting = decisions[-1]
    # Four ahead including oneself, two slots turning over every two minutes: 4 minutes.
    assert waiting.position == 4
    assert waiting.estimated_wait_seconds == 240
    assert 1 <= waiting.retry_after_seconds <= 30
    assert decisions[0].retry_after_seconds == 0


def test_staff_see_the_line_the_room_and_this_minutes_admissions(room_key):
    room = make_room(room_key, capacity=3, pass_ttl_seconds=60)
    for i in range(7):
        room_check(config=room, visitor=f"v{i}", now=T0)
    stats = room_stats(room, now=T0 + timedelta(seconds=1))
    assert (stats.queued, stats.active, stats.admitted_last_minute) == (4, 3, 3)
    assert stats.estimated_wait_seconds == 100
    assert stats.available
    expired = room_stats(room, now=T0 + timedelta(seconds=61))
    assert (expired.queued, expired.active, expired.admitted_last_minute) == (4, 0, 0)
