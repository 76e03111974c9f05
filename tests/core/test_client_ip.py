"""The client's address behind the configured number of proxies, and only those."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from apps.core.http import NO_ADDRESS, client_ip, ratelimit_ip

SOCKET = "10.0.0.3"  # the nearest proxy, as the socket sees it


def _request(forwarded: str | None = None, remote: str = SOCKET):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "seen"),
    [
        # No proxy trusted: the header is the client's own word, ignored.
        (0, "198.51.100.7", SOCKET),
        # One load balancer: it appended the client's address.
        (1, "198.51.100.7", "198.51.100.7"),
        # ...and a client's own header in front of it picks nothing.
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        # A CDN then a load balancer: the CDN's entry is the client, the last is the CDN.
        (2, "6.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"),
        # Fewer entries than proxies (a request that skipped the outer one): the leftmost.
        (2, "198.51.100.7", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        # No header, or one that is not an address: the socket's.
        (1, None, SOCKET),
        (1, "unknown", SOCKET),
        (1, " , ", SOCKET),
    ],
)
def test_the_address_the_outermost_trusted_proxy_saw(settings, proxies, forwarded, seen):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(_request(forwarded)) == seen


def test_the_rate_limits_always_get_an_address(settings):
    # gunicorn on a unix socket: no peer address at all.
    settings.TRUSTED_PROXY_COUNT = 0

    assert ratelimit_ip(_request(remote="")) == NO_ADDRESS
