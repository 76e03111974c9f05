"""Links to an order from its e-mails: signed and expiring for guests, plain for members.

A guest's browser sees its order only while the session remembers it (GUEST_SESSION_KEY),
so a plain link in a guest's e-mail is a 404 on a phone or after cookies are cleared.
The signed link carries the proof instead: Django's signing over the order number, with
a timestamp, so no table of tokens is needed and the SECRET_KEY is the only secret.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing

from apps.orders.models import Order

# A salt of its own, so no other signature made with SECRET_KEY can pass for a link.
SALT = "shopfront.guest-order"
LINK_PARAMETER = "key"


class GuestLinkInvalid(Exception):
    """The token was not signed by us, or was signed for another order."""


class GuestLinkExpired(GuestLinkInvalid):
    """A genuine token for this order, older than GUEST_ORDER_LINK_MAX_AGE_DAYS."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def guest_order_token(*, number: str) -> str:
    """A token that opens the order with this number, and no other, for a while."""
    return _signer().sign(number)


def guest_order_token_check(*, number: str, token: str) -> None:
    """Raises GuestLinkInvalid unless `token` was made for `number` and is still fresh."""
    signer = _signer()
    try:
        # The signature and the number are checked before the age, so "expired" is only
        # ever said about a token we really issued for this order.
        if signer.unsign(token) != number:
            raise GuestLinkInvalid
        signer.unsign(token, max_age=timedelta(days=settings.GUEST_ORDER_LINK_MAX_AGE_DAYS))
    except signing.SignatureExpired as error:
        raise GuestLinkExpired from error
    except signing.BadSignature as error:
        raise GuestLinkInvalid from error


def order_email_url(*, order: Order) -> str:
    """The absolute link to the order for its e-mails; guests' links carry a token."""
    url = f"{settings.SITE_URL}{order.get_absolute_url()}"
    if order.user_id is not None:
        # Members sign in to see their orders; a token would only be a bearer secret
        # sitting in a mailbox for nothing.
        return url
    return f"{url}?{urlencode({LINK_PARAMETER: guest_order_token(number=order.number)})}"
