"""List filters of the order screens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class CustomerFilter(admin.SimpleListFilter):
    """Orders placed while signed in, or as a guest."""

    title = "customer"
    parameter_name = "customer"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("registered", "Registered"), ("guest", "Guest")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "registered":
                return queryset.filter(user__isnull=False)
            case "guest":
                return queryset.filter(user__isnull=True)
        return queryset


class SentFilter(admin.SimpleListFilter):
    title = "sent"
    parameter_name = "sent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Sent"), ("no", "Not sent yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "yes":
                return queryset.filter(sent_at__isnull=False)
            case "no":
                return queryset.filter(sent_at__isnull=True)
        return queryset
