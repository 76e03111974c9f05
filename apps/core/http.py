"""Request helpers that depend on how Shopfront is deployed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting only the configured number of proxies.

    With TRUSTED_PROXY_COUNT=0 a client cannot pick its own address by sending
    X-Forwarded-For; behind N proxies, the address the outermost proxy saw is used.
    """
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    ip, _routable = get_client_ip(
        request,
        proxy_order="right-most",
        proxy_count=count,
        request_header_order=["X_FORWARDED_FOR"],
        strict=False,
    )
    return ip or remote_addr
