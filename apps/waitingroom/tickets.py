"""Signed tickets: a visitor's proof of their place in one room (or of their pass).

A ticket is `TimestampSigner`-signed JSON of (room key, visitor digest, ticket id,
admitted). The visitor is hashed, not written out: the caller's visitor id is usually a
session key, and a signed value is readable by anyone who holds it. The store, not the
ticket, says where a visitor stands; the ticket lets another layer (an API client's
retry, a page served by another worker) check that it belongs to the visitor presenting
it. It lasts one pass TTL: a ticket that old means the visitor was away long enough to
lose the pass, and they simply check again (keeping their place if they still hold one).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.core.errors import ApplicationError
from apps.waitingroom.rooms import RoomConfig

SALT = "apps.waitingroom.ticket"
_VISITOR_SALT = "apps.waitingroom.visitor"


class TicketRefused(ApplicationError):
    """The ticket is forged, tampered with, or belongs to another visitor or room."""

    code = "waiting_room_ticket"
    status_code = 403


@dataclass(frozen=True)
class Ticket:
    """A ticket whose signature checked out for this visitor and room."""

    room: str
    ticket_id: str
    admitted: bool
    issued_at: datetime
    # Older than the pass TTL: the visitor checks again instead of trusting it.
    expired: bool


class _TicketSigner(signing.TimestampSigner):
    """A TimestampSigner on the room's clock, so a check made `now` and its ticket agree
    (the stock signer reads time.time(), which a test or a replayed check cannot set)."""

    def __init__(self, now: datetime) -> None:
        super().__init__(salt=SALT)
        self._now = now

    def timestamp(self) -> str:
        return signing.b62_encode(int(self._now.timestamp()))

    def unsign(self, value: str, max_age: int | float | timedelta | None = None) -> str:
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        if max_age is not None:
            limit = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
            age = self._now.timestamp() - signing.b62_decode(stamp)
            if age > limit:
                raise signing.SignatureExpired(f"Signature age {age} > {limit} seconds")
        return value


def _visitor_digest(room: str, visitor: str) -> str:
    return salted_hmac(_VISITOR_SALT, f"{room}\x1f{visitor}", algorithm="sha256").hexdigest()[:32]


def ticket_issue(*, config: RoomConfig, visitor: str, admitted: bool, now: datetime) -> str:
    """A fresh ticket for `visitor` in `config`'s room, stamped `now`."""
    payload = {
        "r": config.key,
        "v": _visitor_digest(config.key, visitor),
        "t": secrets.token_urlsafe(9),
        "a": int(admitted),
    }
    return _TicketSigner(now).sign_object(payload)


def ticket_parse(
    config: RoomConfig, visitor: str, token: str, *, now: datetime | None = None
) -> Ticket:
    """The ticket `token` if it is this visitor's, in this room; raises TicketRefused if not.

    An expired ticket is returned with `expired=True` (it is genuine, only old); one that
    is forged, tampered with, or issued to another visitor or room is refused.
    """
    now = now or datetime.now(tz=UTC)
    signer = _TicketSigner(now)
    try:
        payload = _payload(signer, token, max_age=config.pass_ttl_seconds)
        expired = False
    except signing.SignatureExpired:
        payload = _payload(signer, token, max_age=None)
        expired = True
    if not (
        isinstance(payload, dict)
        and payload.get("r") == config.key
        and constant_time_compare(str(payload.get("v", "")), _visitor_digest(config.key, visitor))
    ):
        raise TicketRefused("This waiting-room ticket is not yours.")
    stamp = token.split(signer.sep)[-2]
    return Ticket(
        room=config.key,
        ticket_id=str(payload.get("t", "")),
        admitted=bool(payload.get("a")),
        issued_at=datetime.fromtimestamp(signing.b62_decode(stamp), tz=UTC),
        expired=expired,
    )


def _payload(signer: _TicketSigner, token: str, *, max_age: int | None) -> Any:
    try:
        return signer.unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        # ValueError/UnicodeDecodeError: a signature that checks out over bytes that are
        # not our JSON can only come from a key leak; refuse it like a forgery.
        raise TicketRefused("This waiting-room ticket is not valid.") from error
