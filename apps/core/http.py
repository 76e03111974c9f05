"""Request helpers that depend on how Shopfront is deployed."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting only the configured number of proxies.

    With TRUSTED_PROXY_COUNT=0 a client cannot pick its own address by sending
    X-Forwarded-For. Behind N proxies each appended the address it took the request from,
    so the N-th from the right is the one the outermost proxy saw; anything left of it
    came from the client and is not trusted. DRF's throttles read NUM_PROXIES (the same
    setting) the same way, so rate limits and throttles count one client alike.
    """
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if count <= 0 or not forwarded.strip():
        return remote_addr
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(count, len(hops))]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        # Not an address: a proxy that writes something else, or a mangled header.
        return remote_addr
    return candidate


# What a request without a usable address counts under in the rate limits. gunicorn on a
# unix socket gives REMOTE_ADDR "", and django-ratelimit masks its key as a network
# ("<address>/32"), which raised for "" and made every sign-in a 500.
NO_ADDRESS = "0.0.0.0"  # noqa: S104 - a bucket's name, never bound to


def ratelimit_ip(request: HttpRequest) -> str:
    """client_ip for django-ratelimit (RATELIMIT_IP_META_KEY): always an IP address."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return NO_ADDRESS
    return address
