"""Tickets: bound to one visitor and one room, unforgeable, and harmless when old."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core import signing

from apps.waitingroom.services import room_check
from apps.waitingroom.tickets import SALT, TicketRefused, ticket_issue, ticket_parse
from tests.waitingroom.conftest import T0, make_room


@pytest.fixture
def room(room_key):
    return make_room(room_key, capacity=1, pass_ttl_seconds=60)


def test_a_ticket_parses_for_its_own_visitor(room):
    token = ticket_issue(config=room, visitor="session-a", admitted=True, now=T0)
    ticket = ticket_parse(room, "session-a", token, now=T0 + timedelta(seconds=5))
    assert (ticket.room, ticket.admitted, ticket.expired) == (room.key, True, False)
    assert ticket.issued_at == T0
    assert ticket.ticket_id


def test_a_ticket_presented_by_another_visitor_is_refused(room):
    token = ticket_issue(config=room, visitor="session-a", admitted=True, now=T0)
    with pytest.raises(TicketRefused):
        ticket_parse(room, "session-b", token, now=T0)


def test_a_ticket_of_another_room_is_refused(room, room_key):
    token = ticket_issue(config=room, visitor="session-a", admitted=True, now=T0)
    with pytest.raises(TicketRefused):
        ticket_parse(make_room(f"{room_key}-other"), "session-a", token, now=T0)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: signing.TimestampSigner(salt="another").sign_object({"a": 1}),
        lambda token: signing.TimestampSigner(key="stolen?", salt=SALT).sign_object({"a": 1}),
        lambda token: "not a ticket",
        lambda token: "",
    ],
    ids=["tampered", "prefixed", "other salt", "other key", "garbage", "empty"],
)
def test_a_forged_or_tampered_ticket_is_refused(room, forge):
    token = ticket_issue(config=room, visitor="session-a", admitted=True, now=T0)
    with pytest.raises(TicketRefused):
        ticket_parse(room, "session-a", forge(token), now=T0)


def test_an_old_ticket_is_genuine_but_expired(room):
    token = ticket_issue(config=room, visitor="session-a", admitted=False, now=T0)
    ticket = ticket_parse(room, "session-a", token, now=T0 + timedelta(seconds=61))
    assert ticket.expired
    with pytest.raises(TicketRefused):
        ticket_parse(room, "session-b", token, now=T0 + timedelta(seconds=61))


def test_a_ticket_does_not_reveal_the_visitor_id(room):
    token = ticket_issue(config=room, visitor="secret-session-key", admitted=True, now=T0)
    payload = token.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"secret-session-key" not in decoded


@pytest.mark.usefixtures("store")
def test_a_copied_ticket_does_not_admit_another_visitor(room):
    inside = room_check(config=room, visitor="session-a", now=T0)
    assert inside.admitted
    # The cookie copied into another browser arrives with that browser's own session.
    with pytest.raises(TicketRefused):
        ticket_parse(room, "session-b", inside.ticket, now=T0)
    assert not room_check(config=room, visitor="session-b", now=T0).admitted


@pytest.mark.usefixtures("store")
def test_a_visitor_who_lost_the_ticket_rejoins_at_the_original_place(room):
    room_check(config=room, visitor="a", now=T0)
    room_check(config=room, visitor="b", now=T0)
    first = room_check(config=room, visitor="c", now=T0)
    later = T0 + timedelta(seconds=30)
    assert ticket_parse(room, "c", first.ticket, now=later + timedelta(seconds=60)).expired
    assert room_check(config=room, visitor="c", now=later).position == first.position == 2
