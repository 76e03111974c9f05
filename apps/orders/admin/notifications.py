"""The e-mail outbox screen: what each customer was, or is still owed, sent."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from kombu.exceptions import OperationalError

from apps.orders.admin.common import MAX_ORDERS_PER_ACTION, ReadOnlyChangeMixin
from apps.orders.admin.filters import SentFilter
from apps.orders.models import Notification
from apps.orders.tasks import send_notification


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
