"""Who may read `/metrics`: configured addresses, or whoever holds the bearer token."""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from apps.core.http import client_ip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from error


def _address_allowed(address: str, entries: Iterable[str]) -> bool:
    networks = _networks(tuple(entries))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # no usable address (a unix socket, a proxy's garbage)
        return False
    # "::ffff:10.0.0.5" is how a dual-stack socket shows an IPv4 client.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def _token_given(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def metrics_allowed(request: HttpRequest) -> bool:
    """True for a client address in METRICS_ALLOWED_IPS (addresses or networks, taken
    through TRUSTED_PROXY_COUNT like every client address) or a request carrying
    `Authorization: Bearer <METRICS_TOKEN>`. With neither set nobody is let in."""
    token = settings.METRICS_TOKEN
    if token and _token_given(request, token):
        return True
    return _address_allowed(client_ip(request), settings.METRICS_ALLOWED_IPS)
