"""What the order screens share: read-only rules, and how orders are named in messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpRequest

from apps.accounts.models import User
from apps.orders.models import Order

# Keeps one action inside one request's time and its message readable; it is also the
# changelist's page size, so "select all on this page" always fits.
MAX_ORDERS_PER_ACTION = 100
# How many order numbers a message names before it says "and N more".
NAMES_IN_MESSAGE = 20


def actor_of(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def named(labels: list[str]) -> str:
    shown = ", ".join(labels[:NAMES_IN_MESSAGE])
    more = len(labels) - NAMES_IN_MESSAGE
    return f"{shown} and {more} more" if more > 0 else shown


def with_status(orders: Iterable[Order]) -> list[str]:
    return [f"{order.number} ({order.status_summary.lower()})" for order in orders]


class ReadOnlyChangeMixin:
    """Lists and actions need the change permission; a single object is only ever viewed.

    Django checks `has_change_permission(request)` for actions and
    `has_change_permission(request, obj)` for the change form, so answering False only for
    an object turns the form into a view page (a POST to it is refused) while the
    actions, which call the services, stay available.
    """

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Belt and braces: even a user allowed to change the object gets no input.
        return flatten_fieldsets(self.get_fieldsets(request, obj))  # type: ignore[attr-defined]


class ReadOnlyInline(admin.TabularInline):
    """History rows shown on the order page; nobody edits them by hand."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
