"""The sale pages: every sale shoppers can see, and one sale with its items."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from apps.sales import selectors
from apps.sales.models import Sale, SaleStatus
from apps.sales.room import room_gate
from apps.waitingroom.http import waiting_room_response


@dataclass(frozen=True)
class SaleState:
    """A sale as a page shows it at one moment of the server's clock."""

    sale: Sale
    status: SaleStatus
    seconds_left: int  # until the start; 0 once it has started

    @property
    def status_label(self) -> str:
        return str(self.status.label)


def _state(sale: Sale, now: datetime) -> SaleState:
    status = SaleStatus(sale.status_at(now))
    seconds = math.ceil((sale.starts_at - now).total_seconds())
    return SaleState(sale, status, seconds if status == SaleStatus.SCHEDULED else 0)


def _counting_down(response: HttpResponse, states: list[SaleState]) -> HttpResponse:
    # A copy kept by the browser would count down from the seconds left when it was sent.
    if any(state.seconds_left > 0 for state in states):
        patch_cache_control(response, no_store=True)
    return response


@require_GET
def sale_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    states = [_state(sale, now) for sale in selectors.sale_list_public(now=now)]
    response = render(request, "sales/sale_list.html", {"states": states})
    return _counting_down(response, states)


@require_GET
def sale_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The sale and its items; while its waiting room is full, the shopper's place in line."""
    try:
        sale = selectors.sale_get_public(slug=slug)
    except Sale.DoesNotExist as error:
        raise Http404("No such sale.") from error
    waiting = room_gate(request, sale_ids=[sale.pk])
    if waiting is not None:
        return waiting_room_response(
            request, waiting.decision, title=sale.name, retry_url=sale.get_absolute_url()
        )
    state = _state(sale, timezone.now())
    items = selectors.sale_items_shown(sales=[sale])[sale.pk]
    response = render(
        request,
        "sales/sale_detail.html",
        {"sale": sale, "state": state, "items": items, "live": state.status == SaleStatus.LIVE},
    )
    return _counting_down(response, [state])
