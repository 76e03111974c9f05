"""Staff screens for orders and their e-mails. Every status change goes through the services."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_countries import countries
from kombu.exceptions import OperationalError

from apps.accounts.models import User
from apps.catalog.templatetags.catalog_tags import money
from apps.core.errors import ApplicationError
from apps.orders import services
from apps.orders.choices import NotificationKind, OrderStatus
from apps.orders.models import Notification, Order, OrderEvent, OrderLine
from apps.orders.tasks import send_notification
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import order_cancel_and_refund, order_refund

# Keeps one action inside one request's time and its message readable; it is also the
# changelist's page size, so "select all on this page" always fits.
MAX_ORDERS_PER_ACTION = 100
# How many order numbers a message names before it says "and N more".
NAMES_IN_MESSAGE = 20


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _named(labels: list[str]) -> str:
    shown = ", ".join(labels[:NAMES_IN_MESSAGE])
    more = len(labels) - NAMES_IN_MESSAGE
    return f"{shown} and {more} more" if more > 0 else shown


def _with_status(orders: Iterable[Order]) -> list[str]:
    return [f"{order.number} ({order.get_status_display().lower()})" for order in orders]


def _status_label(value: str) -> str:
    return OrderStatus(value).label if value in OrderStatus.values else value or "-"


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


# --- Forms of the intermediate pages ---------------------------------------------------


class ShipOrdersForm(forms.Form):
    """One carrier for the batch and a tracking number for each order."""

    carrier = forms.CharField(max_length=60, help_text="For example DHL, UPS or Royal Mail.")

    def __init__(self, *args: Any, orders: list[Order], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orders = orders
        for order in orders:
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                max_length=100,
                label=f"Tracking number for {order.number}",
                help_text=(
                    f"{order.shipping_name}, {order.shipping_city} ({order.shipping_country})"
                ),
            )

    def tracking_number(self, order: Order) -> str:
        return str(self.cleaned_data[f"tracking_{order.pk}"])


class CancelOrdersForm(forms.Form):
    note = forms.CharField(
        max_length=200,
        required=False,
        label="Reason",
        help_text="Kept in each order's history; the customer is not shown it.",
    )


# --- List filters ---------------------------------------------------------------------


class RefundForm(forms.Form):
    """Amount, reason, and how many units of each line go back into stock."""

    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    reason = forms.CharField(max_length=255, help_text="Shown in the order history.")

    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            left = line.quantity - line.restocked_quantity
            self.fields[f"restock_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                label=f"Restock {line.sku}",
                help_text=f"{line.product_title}: bought {line.quantity}, "
                f"already restocked {line.restocked_quantity}.",
            )

    def restock(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data.get(f"restock_{line.pk}") or 0
            for line in self.lines
            if self.cleaned_data.get(f"restock_{line.pk}")
        }


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


# --- Orders ---------------------------------------------------------------------------


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "sku",
        "product_title",
        "options_label",
        "unit_price",
        "quantity",
        "line_total",
        "restocked_quantity",
    )
    readonly_fields = fields

    @admin.display(description="Options")
    def options_label(self, line: OrderLine) -> str:
        return line.options_label


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ("created_at", "from_label", "to_label", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="From")
    def from_label(self, event: OrderEvent) -> str:
        return _status_label(event.from_status)

    @admin.display(description="To")
    def to_label(self, event: OrderEvent) -> str:
        return _status_label(event.to_status)


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "created_at",
        "gateway",
        "reference",
        "amount",
        "refunded_amount",
        "status",
        "card",
        "message",
    )
    readonly_fields = fields

    @admin.display(description="Card")
    def card(self, payment: Payment) -> str:
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "-"


class NotificationInline(ReadOnlyInline):
    model = Notification
    verbose_name_plural = "e-mails"
    fields = ("kind", "created_at", "sent_at", "attempts", "last_error")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyChangeMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "created_at",
        "email",
        "customer",
        "status",
        "total_display",
        "items",
    ]
    # A date filter rather than date_hierarchy: the hierarchy reads the distinct years or
    # months of every matching order on each page load.
    list_filter = ["status", "created_at", CustomerFilter]
    list_select_related = ["user"]
    search_fields = ["number", "email"]
    search_help_text = "Order number or e-mail address."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = MAX_ORDERS_PER_ACTION
    inlines = [OrderLineInline, OrderEventInline, PaymentInline, NotificationInline]
    fieldsets = [
        (None, {"fields": ["number", "status", "created_at", "updated_at", "user", "email"]}),
        (
            "Amounts",
            {
                "fields": [
                    "currency",
                    "subtotal",
                    "shipping_total",
                    "discount_total",
                    "tax_total",
                    "total",
                ]
            },
        ),
        (
            "Shipping",
            {
                "fields": [
                    "shipping_address",
                    "shipping_method_name",
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "delivered_at",
                ]
            },
        ),
        ("Payment", {"fields": ["expires_at", "paid_at", "cancelled_at"]}),
    ]
    actions = ["mark_shipped", "mark_delivered", "cancel_orders", "resend_confirmation"]

    change_form_template = "admin/orders/order/change_form.html"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_order_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Full or partial refund through the gateway, with optional restock of lines."""
        order = get_object_or_404(Order, pk=object_id)
        # The changelist-level permission, as for the actions: single orders are view-only.
        if not self.has_change_permission(request):
            raise PermissionDenied
        payment = (
            order.payments.filter(status=PaymentStatus.CAPTURED).order_by("-created_at").first()
        )
        refundable = payment.refundable if payment else Decimal("0.00")
        lines = list(order.lines.order_by("id"))
        form = RefundForm(request.POST or None, lines=lines, initial={"amount": refundable})
        if request.method == "POST" and form.is_valid():
            try:
                refund = order_refund(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=_actor(request),
                    restock=form.restock(),
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"Refunded {money(refund.amount)} on order {order.number}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.number}",
            "opts": self.model._meta,
            "order": order,
            "payment": payment,
            "refundable": refundable,
            "form": form,
            "refunds": list(order.refunds.select_related("actor")),
        }
        return TemplateResponse(request, "admin/orders/order/refund.html", context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        items = (
            OrderLine.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(n=Sum("quantity"))
            .values("n")
        )
        return super().get_queryset(request).annotate(item_count=Coalesce(Subquery(items), 0))

    @admin.display(description="Customer")
    def customer(self, order: Order) -> str:
        if order.user is None:
            return "Guest"
        url = reverse("admin:orders_order_changelist") + f"?user__id__exact={order.user_id}"
        return format_html(
            '<a href="{}" title="All orders of this customer">{}</a>',
            url,
            order.user.display_name,
        )

    @admin.display(description="Total", ordering="total")
    def total_display(self, order: Order) -> str:
        return money(order.total)

    @admin.display(description="Items", ordering="item_count")
    def items(self, order: Order) -> int:
        return int(getattr(order, "item_count", 0))

    @admin.display(description="Ship to")
    def shipping_address(self, order: Order) -> str:
        lines = [
            order.shipping_name,
            order.shipping_line1,
            order.shipping_line2,
            f"{order.shipping_postal_code} {order.shipping_city}",
            order.shipping_region,
            countries.name(order.shipping_country) or order.shipping_country,
            order.shipping_phone,
        ]
        parts = [line for line in lines if line]
        return format_html("<br>".join(["{}"] * len(parts)), *parts)

    # --- Actions ----------------------------------------------------------------------

    def _selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> list[Order] | None:
        orders = list(queryset[: MAX_ORDERS_PER_ACTION + 1])
        if len(orders) > MAX_ORDERS_PER_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_ORDERS_PER_ACTION} orders at a time. Nothing was changed.",
                messages.ERROR,
            )
            return None
        return orders

    def _action_page(
        self,
        request: HttpRequest,
        *,
        action: str,
        title: str,
        intro: str,
        form: forms.Form,
        orders: list[Order],
        submit_label: str,
        skipped: list[str] | None = None,
        skipped_title: str = "",
        list_orders: bool = False,
        warning: str = "",
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "warning": warning,
            "opts": self.opts,
            "form": form,
            "orders": orders,
            "skipped": skipped or [],
            "skipped_title": skipped_title,
            "list_orders": list_orders,
            "submit_label": submit_label,
            "action": action,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def _report(self, request: HttpRequest, done: str, refusals: list[str]) -> None:
        if done:
            self.message_user(request, done, messages.SUCCESS)
        for refusal in refusals[:NAMES_IN_MESSAGE]:
            self.message_user(request, refusal, messages.ERROR)
        if len(refusals) > NAMES_IN_MESSAGE:
            self.message_user(
                request,
                f"{len(refusals) - NAMES_IN_MESSAGE} more orders could not be changed.",
                messages.ERROR,
            )

    @admin.action(description="Mark shipped (carrier and tracking number)…", permissions=["change"])
    def mark_shipped(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        orders = self._selected(request, queryset)
        if orders is None:
            return None
        paid = [order for order in orders if order.status == OrderStatus.PAID]
        not_paid = _with_status(order for order in orders if order.status != OrderStatus.PAID)
        skipped = (
            f"Skipped {len(not_paid)} order(s) that are not paid (only paid orders can be "
            f"shipped): {_named(not_paid)}."
        )
        if not paid:
            self.message_user(request, f"Nothing was shipped. {skipped}", messages.WARNING)
            return None
        form = ShipOrdersForm(request.POST if "apply" in request.POST else None, orders=paid)
        if not form.is_valid():
            return self._action_page(
                request,
                action="mark_shipped",
                title="Mark orders shipped",
                intro=(
                    f"Ship {len(paid)} paid order(s). Each customer is e-mailed the carrier "
                    "and their tracking number."
                ),
                form=form,
                orders=paid,
                submit_label="Mark shipped",
                skipped=not_paid,
                skipped_title="Left out, because only paid orders can be shipped:",
            )
        shipped, refusals = [], []
        for order in paid:
            try:
                services.order_ship(
                    order=order,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.tracking_number(order),
                    actor=_actor(request),
                )
            except ApplicationError as error:
                # Another member of staff (or the customer cancelling) got there first.
                refusals.append(error.message)
            else:
                shipped.append(order.number)
        done = f"Shipped {len(shipped)} order(s): {_named(shipped)}." if shipped else ""
        self._report(request, done, refusals)
        if not_paid:
            self.message_user(request, skipped, messages.WARNING)
        return None

    @admin.action(description="Mark delivered", permissions=["change"])
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        orders = self._selected(request, queryset)
        if orders is None:
            return
        delivered, refusals = [], []
        not_shipped = _with_status(o for o in orders if o.status != OrderStatus.FULFILLED)
        for order in orders:
            if order.status != OrderStatus.FULFILLED:
                continue
            try:
                services.order_mark_delivered(order=order, actor=_actor(request))
            except ApplicationError as error:
                refusals.append(error.message)
            else:
                delivered.append(order.number)
        done = (
            f"Marked {len(delivered)} order(s) delivered: {_named(delivered)}." if delivered else ""
        )
        self._report(request, done, refusals)
        if not_shipped:
            self.message_user(
                request,
                f"Skipped {len(not_shipped)} order(s) that are not shipped (only shipped orders "
                f"can be marked delivered): {_named(not_shipped)}.",
                messages.WARNING,
            )

    @admin.action(description="Cancel and return stock…", permissions=["change"])
    def cancel_orders(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        orders = self._selected(request, queryset)
        if orders is None:
            return None
        form = CancelOrdersForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            paid = [order.number for order in orders if order.status == OrderStatus.PAID]
            warning = (
                f"{len(paid)} of these are paid ({_named(paid)}): cancelling refunds what "
                "their customers paid, in full, through the payment gateway."
                if paid
                else ""
            )
            return self._action_page(
                request,
                action="cancel_orders",
                title="Cancel orders",
                intro=(
                    f"Cancel {len(orders)} order(s), return their stock and e-mail the "
                    "customers. Orders already shipped, delivered or cancelled are left as "
                    "they are and reported."
                ),
                form=form,
                orders=orders,
                submit_label="Cancel orders",
                list_orders=True,
                warning=warning,
            )
        cancelled, refusals = [], []
        for order in orders:
            try:
                order_cancel_and_refund(
                    order=order,
                    actor=_actor(request),
                    note=form.cleaned_data["note"] or "Cancelled by staff",
                )
            except ApplicationError as error:
                refusals.append(error.message)
            else:
                cancelled.append(order.number)
        done = (
            f"Cancelled {len(cancelled)} order(s) and returned their stock: {_named(cancelled)}."
            if cancelled
            else ""
        )
        self._report(request, done, refusals)
        return None

    @admin.action(description="Resend order confirmation e-mail", permissions=["change"])
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        orders = self._selected(request, queryset)
        if orders is None:
            return
        queued = []
        # "Thank you for your order" about a cancelled order would only confuse.
        cancelled = [order.number for order in orders if order.status == OrderStatus.CANCELLED]
        for order in orders:
            if order.status != OrderStatus.CANCELLED:
                services.notification_queue(order=order, kind=NotificationKind.ORDER_CONFIRMATION)
                queued.append(order.number)
        if queued:
            self.message_user(
                request,
                f"Confirmation e-mail queued for {len(queued)} order(s): {_named(queued)}.",
                messages.SUCCESS,
            )
        if cancelled:
            self.message_user(
                request,
                f"Skipped {len(cancelled)} cancelled order(s): {_named(cancelled)}.",
                messages.WARNING,
            )


# --- E-mail outbox --------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyChangeMixin, admin.ModelAdmin):
    """The e-mail outbox: what each customer was (or is still owed) sent."""

    list_display = ["created_at", "order_number", "kind", "sent_at", "attempts", "last_error"]
    list_filter = [SentFilter, "kind"]
    list_select_related = ["order"]
    search_fields = ["order__number", "order__email"]
    search_help_text = "Order number or e-mail address."
    fields = ["order", "kind", "created_at", "sent_at", "attempts", "last_error"]
    # Ids grow with time and have an index; created_at has one only for unsent rows.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["resend_unsent"]

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, notification: Notification) -> str:
        url = reverse("admin:orders_order_change", args=[notification.order_id])
        return format_html('<a href="{}">{}</a>', url, notification.order.number)

    @admin.action(description="Send the selected unsent e-mails now", permissions=["change"])
    def resend_unsent(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        unsent = list(
            queryset.filter(sent_at__isnull=True).values_list("pk", flat=True)[
                : MAX_ORDERS_PER_ACTION + 1
            ]
        )
        if len(unsent) > MAX_ORDERS_PER_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_ORDERS_PER_ACTION} e-mails at a time. Nothing was sent.",
                messages.ERROR,
            )
            return
        already_sent = queryset.filter(sent_at__isnull=False).count()
        queued = 0
        for notification_id in unsent:
            # Published at once rather than on commit (there is no transaction here), so
            # staff hear about a broker outage instead of reading "queued".
            try:
                send_notification.delay(notification_id)
            except OperationalError:
                self.message_user(
                    request,
                    f"The task queue is unreachable; queued {queued} of {len(unsent)} e-mail(s). "
                    "Try again in a few minutes.",
                    messages.ERROR,
                )
                return
            queued += 1
        if queued:
            self.message_user(request, f"Queued {queued} unsent e-mail(s).", messages.SUCCESS)
        if already_sent:
            self.message_user(
                request,
                f"Skipped {already_sent} e-mail(s) that were already sent; to send an order "
                "confirmation again, use “Resend order confirmation e-mail” on the orders.",
                messages.WARNING,
            )
