"""Sales for staff: set one up with its items, schedule, suspend, resume or end it, and
see who bought what.

A sale's state changes only through the services (`apps.sales.services.staff`), from the
changelist's actions or the buttons of the change page; the form edits its times, items
and waiting room, validated on every save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.sales import selectors
from apps.sales.forms import SaleAdminForm, SaleItemFormSet
from apps.sales.models import Sale, SaleClaim, SaleCustomer, SaleItem, SaleStatus
from apps.sales.room import sale_room
from apps.sales.services import staff as services
from apps.waitingroom.selectors import room_stats


def sale_status_q(status: SaleStatus, now: datetime) -> Q:
    """The sales whose `status_at(now)` is `status`, as a filter (the same rules, in SQL)."""
    running = Q(scheduled_at__isnull=False, ended_at__isnull=True, ends_at__gt=now)
    return {
        SaleStatus.DRAFT: Q(scheduled_at__isnull=True),
        SaleStatus.SCHEDULED: running & Q(suspended_at__isnull=True, starts_at__gt=now),
        SaleStatus.LIVE: running & Q(suspended_at__isnull=True, starts_at__lte=now),
        SaleStatus.SUSPENDED: running & Q(suspended_at__isnull=False),
        SaleStatus.ENDED: Q(scheduled_at__isnull=False)
        & (Q(ended_at__isnull=False) | Q(ends_at__lte=now)),
    }[status]


class SaleStatusFilter(admin.SimpleListFilter):
    """Status as `Sale.status_at` tells it, decided from the times at the moment of the request."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status.value, str(status.label)) for status in SaleStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Sale]) -> QuerySet[Sale]:
        value = self.value()
        if value not in SaleStatus.values:
            return queryset
        return queryset.filter(sale_status_q(SaleStatus(value), timezone.now()))


class SaleItemInline(admin.TabularInline):
    model = SaleItem
    formset = SaleItemFormSet
    fields = ["variant", "regular_price", "sale_price", "units", "units_sold"]
    readonly_fields = ["regular_price", "units_sold"]
    autocomplete_fields = ["variant"]
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[SaleItem]:
        return super().get_queryset(request).select_related("variant__product")

    @admin.display(description="Regular price")
    def regular_price(self, item: SaleItem) -> object:
        return item.variant.price if item.variant_id is not None else "—"


def _room_figures(sale: Sale) -> list[tuple[str, object]] | None:
    """The waiting room's figures for the Live panel; None when the sale has no room."""
    config = sale_room(sale)
    if config is None:
        return None
    stats = room_stats(config)
    if not stats.available:
        return [("Figures", "unavailable: the room's store cannot be read just now")]
    wait = stats.estimated_wait_seconds
    return [
        ("Waiting", stats.queued),
        ("Shopping", stats.active),
        ("Let in this minute", stats.admitted_last_minute),
        ("Wait at the back", "nobody is let in" if wait is None else f"{wait} s"),
    ]


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@dataclass(frozen=True)
class Move:
    """One button of the change page, and the changelist action doing the same."""

    label: str
    done: str
    perform: Callable[..., Sale]
    intro: str


MOVES: dict[str, Move] = {
    "schedule": Move(
        label="Schedule",
        done="scheduled",
        perform=services.sale_schedule,
        intro="Shoppers will see the sale, and it goes live at its start time.",
    ),
    "suspend": Move(
        label="Suspend",
        done="suspended",
        perform=services.sale_suspend,
        intro="The sale leaves the shop until it is resumed; its times run on meanwhile.",
    ),
    "resume": Move(
        label="Resume",
        done="resumed",
        perform=services.sale_resume,
        intro="The sale comes back to the shop, live at once if its times say so.",
    ),
    "end": Move(
        label="End now",
        done="ended",
        perform=services.sale_end,
        intro="The sale ends now, for good: it cannot be resumed afterwards.",
    ),
}


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    form = SaleAdminForm
    inlines = [SaleItemInline]
    change_form_template = "admin/sales/sale/change_form.html"
    list_display = [
        "name",
        "starts_at",
        "ends_at",
        "status_label",
        "items_count",
        "units_sold",
        "units_left",
    ]
    list_filter = [SaleStatusFilter]
    search_fields = ["name", "slug"]
    search_help_text = "Name or slug."
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ["status_label", "scheduled_at", "suspended_at", "ended_at", "live_panel"]
    actions = ["schedule_selected", "suspend_selected", "resume_selected", "end_selected"]
    show_facets = admin.ShowFacets.NEVER

    def get_fieldsets(self, request: HttpRequest, obj: Sale | None = None) -> Any:
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": ["name", "slug", "description"]}),
            ("Times and limit", {"fields": ["starts_at", "ends_at", "per_customer_limit"]}),
            (
                "Waiting room",
                {
                    "fields": [
                        "room_capacity",
                        "room_admit_per_minute",
                        "room_pass_minutes",
                        "room_prequeue",
                        "room_queue_everyone",
                    ],
                    "description": "Who may shop the sale while a crowd waits.",
                },
            ),
        ]
        if obj is not None:
            fieldsets += [
                (
                    "State",
                    {"fields": ["status_label", "scheduled_at", "suspended_at", "ended_at"]},
                ),
                ("Live", {"fields": ["live_panel"]}),
            ]
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sale]:
        left = Greatest(F("items__units") - F("items__units_sold"), Value(0))
        return (
            super()
            .get_queryset(request)
            .annotate(
                _items=Count("items"),
                _sold=Sum("items__units_sold"),
                _left=Sum(left, output_field=IntegerField()),
                _uncapped=Count("items", filter=Q(items__units__isnull=True)),
            )
        )

    @admin.display(description="Status")
    def status_label(self, sale: Sale) -> str:
        return selectors.sale_status_label(sale)

    @admin.display(description="Items", ordering="_items")
    def items_count(self, sale: Sale) -> int:
        return getattr(sale, "_items", 0)

    @admin.display(description="Units sold", ordering="_sold")
    def units_sold(self, sale: Sale) -> int:
        return getattr(sale, "_sold", None) or 0

    @admin.display(description="Units left")
    def units_left(self, sale: Sale) -> str:
        left = getattr(sale, "_left", None)
        if not getattr(sale, "_uncapped", 0):
            return str(left or 0)
        return "while stock lasts" if left is None else f"{left}, more while stock lasts"

    @admin.display(description="Now")
    def live_panel(self, sale: Sale) -> str:
        items = list(selectors.sale_items(sale=sale))
        context = {
            "sale": sale,
            "items": items,
            "claims_url": reverse("admin:sales_saleclaim_changelist")
            + f"?item__sale__id__exact={sale.pk}",
            "customers_url": reverse("admin:sales_salecustomer_changelist")
            + f"?sale__id__exact={sale.pk}",
            "customers": sale.customers.count(),
            "room": _room_figures(sale),
        }
        return render_to_string("admin/sales/sale/live_panel.html", context)

    # --- saves: validated by the form and formset, then the shop is told ----------------

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.sale_changed()

    def delete_model(self, request: HttpRequest, obj: Sale) -> None:
        super().delete_model(request, obj)
        services.sale_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        super().delete_queryset(request, queryset)
        services.sale_changed()

    # --- moves: the changelist's actions ------------------------------------------------

    def _move_many(self, request: HttpRequest, queryset: QuerySet[Sale], name: str) -> None:
        move = MOVES[name]
        done: list[str] = []
        for sale in queryset.order_by("starts_at", "pk"):
            try:
                move.perform(sale=sale, actor=_actor(request))
            except ApplicationError as error:
                self.message_user(request, f"Not {move.done}: {error.message}", messages.ERROR)
            else:
                done.append(f"“{sale.name}”")
        if done:
            count = f"{len(done)} sale{'s' if len(done) != 1 else ''}"
            self.message_user(
                request, f"{move.done.capitalize()} {count}: {', '.join(done)}.", messages.SUCCESS
            )

    @admin.action(description="Schedule the selected sales", permissions=["change"])
    def schedule_selected(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        self._move_many(request, queryset, "schedule")

    @admin.action(description="Suspend the selected sales", permissions=["change"])
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        self._move_many(request, queryset, "suspend")

    @admin.action(description="Resume the selected sales", permissions=["change"])
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        self._move_many(request, queryset, "resume")

    @admin.action(description="End the selected sales now", permissions=["change"])
    def end_selected(self, request: HttpRequest, queryset: QuerySet[Sale]) -> None:
        self._move_many(request, queryset, "end")

    # --- moves: the change page's buttons, each with a page to confirm it ---------------

    def get_urls(self) -> list[URLPattern]:
        moves = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self._move_view(name)),
                name=f"sales_sale_{name}",
            )
            for name in MOVES
        ]
        return [*moves, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        sale = Sale.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        allowed = sale is not None and self.has_change_permission(request, sale)
        buttons = (
            [(name, MOVES[name].label) for name in services.sale_moves(sale)]
            if sale is not None and allowed
            else []
        )
        context = {**(extra_context or {}), "sale_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _move_view(self, name: str) -> Callable[..., HttpResponse]:
        move = MOVES[name]

        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            if not object_id.isdigit():
                raise Http404
            sale = get_object_or_404(Sale, pk=object_id)
            if not self.has_change_permission(request, sale):
                raise PermissionDenied
            back = reverse("admin:sales_sale_change", args=[sale.pk])
            if request.method == "POST":
                try:
                    move.perform(sale=sale, actor=_actor(request))
                except ApplicationError as error:
                    self.message_user(request, f"Not {move.done}: {error.message}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"“{sale.name}” {move.done}: it is now "
                        f"{selectors.sale_status_label(sale).lower()}.",
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(back)
            context = {
                **self.admin_site.each_context(request),
                "title": f"{move.label} “{sale.name}”",
                "opts": self.opts,
                "object": sale,
                "object_label": sale.name,
                "now": selectors.sale_status_label(sale),
                "note": "Unsaved changes on the sale's page are not kept: save them first.",
                "intro": move.intro,
                "submit_label": move.label,
            }
            return TemplateResponse(request, "admin/shopfront/confirm_step.html", context)

        return view


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the shop writes as orders claim sale units: staff look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SaleCustomer)
class SaleCustomerAdmin(ReadOnlyAdmin):
    list_display = ["customer_key", "sale", "units"]
    list_filter = ["sale"]
    list_select_related = ["sale"]
    search_fields = ["customer_key"]
    search_help_text = "Customer: user:<id> or email:<address>."
    ordering = ["-id"]
    show_facets = admin.ShowFacets.NEVER


@admin.register(SaleClaim)
class SaleClaimAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "sale", "sku", "order_link", "customer_key", "units", "released"]
    list_filter = ["item__sale"]
    list_select_related = ["item__sale", "item__variant", "order"]
    search_fields = ["customer_key", "order__number", "item__variant__sku"]
    search_help_text = "Customer, order number or SKU."
    # Ids grow with time and have an index: no sort over every claim.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="Sale", ordering="item__sale__name")
    def sale(self, claim: SaleClaim) -> str:
        return claim.item.sale.name

    @admin.display(description="SKU", ordering="item__variant__sku")
    def sku(self, claim: SaleClaim) -> str:
        return claim.item.variant.sku

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, claim: SaleClaim) -> str:
        url = reverse("admin:orders_order_change", args=[claim.order_id])
        return format_html('<a href="{}">{}</a>', url, claim.order.number)

    @admin.display(description="Given back", boolean=True)
    def released(self, claim: SaleClaim) -> bool:
        return claim.released_at is not None
