"""How often a visitor in line asks again: the head of the line at once, the crowd rarely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.waitingroom.rooms import MAX_RETRY_SECONDS, RoomConfig, retry_after

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_the_next_in_line_ask_again_after_a_second():
    config = RoomConfig(key="sale-1", capacity=16, pass_ttl_seconds=600)

    assert retry_after(config, 40, position=1, now=NOW) == 1
    assert retry_after(config, 400, position=16, now=NOW) == 1


def test_the_crowd_behind_them_asks_less_often_the_further_back_it_is():
    config = RoomConfig(key="sale-1", capacity=16, pass_ttl_seconds=600)

    assert retry_after(config, 400, position=17, now=NOW) == 2
    assert retry_after(config, 4000, position=200, now=NOW) == 13
    assert retry_after(config, 40000, position=4000, now=NOW) == MAX_RETRY_SECONDS


def test_before_a_pre_queue_opens_nobody_is_hurried():
    config = RoomConfig(
        key="sale-1", capacity=16, pass_ttl_seconds=600, opens_at=NOW + timedelta(minutes=5)
    )

    assert retry_after(config, 300, position=1, now=NOW) > 1


def test_queue_everyone_hurries_nobody():
    config = RoomConfig(key="sale-1", capacity=16, pass_ttl_seconds=600, queue_everyone=True)

    assert retry_after(config, None, position=1, now=NOW) > 1
