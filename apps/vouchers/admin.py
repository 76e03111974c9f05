"""Staff run promotions here: create, deactivate, bulk-generate codes, see each code's uses."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.vouchers.forms import VoucherBulkGenerateForm
from apps.vouchers.models import Voucher, VoucherRedemption
from apps.vouchers.services import normalize_code, voucher_codes_generate


class VoucherRedemptionInline(admin.TabularInline):
    model = VoucherRedemption
    extra = 0
    can_delete = False
    fields = ["order", "customer_key", "amount", "created_at", "released_at"]
    readonly_fields = ["order", "customer_key", "amount", "created_at", "released_at"]
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "value",
        "min_spend",
        "valid_from",
        "valid_until",
        "times_used",
        "usage_limit",
        "active_uses",
        "is_active",
    ]
    list_filter = ["is_active", "kind", "once_per_customer"]
    search_fields = ["code", "description"]
    readonly_fields = ["times_used", "created_at", "updated_at"]
    actions = ["activate", "deactivate"]
    inlines = [VoucherRedemptionInline]
    change_list_template = "admin/vouchers/voucher/change_list.html"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Voucher]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _active_uses=Count("redemptions", filter=Q(redemptions__released_at__isnull=True))
            )
        )

    @admin.display(description="uses (orders)", ordering="_active_uses")
    def active_uses(self, voucher: Voucher) -> int:
        return int(getattr(voucher, "_active_uses", 0))

    def save_model(self, request: HttpRequest, obj: Voucher, form: Any, change: bool) -> None:
        obj.code = normalize_code(obj.code)
        super().save_model(request, obj, form, change)

    @admin.action(description="Activate selected vouchers")
    def activate(self, request: HttpRequest, queryset: QuerySet[Voucher]) -> None:
        changed = queryset.update(is_active=True)
        self.message_user(request, f"{changed} voucher(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected vouchers")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Voucher]) -> None:
        changed = queryset.update(is_active=False)
        self.message_user(request, f"{changed} voucher(s) deactivated.", messages.SUCCESS)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="vouchers_voucher_generate",
            ),
            *super().get_urls(),
        ]

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:vouchers_voucher_changelist"))
        form = VoucherBulkGenerateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            created = voucher_codes_generate(
                prefix=data.pop("code_prefix"),
                count=data.pop("count"),
                kind=data.pop("kind"),
                value=data.pop("value"),
                **data,
            )
            self.message_user(
                request,
                f"Created {len(created)} codes, e.g. {', '.join(v.code for v in created[:3])}.",
                messages.SUCCESS,
            )
            changelist = reverse("admin:vouchers_voucher_changelist")
            prefix = created[0].code.split("-")[0] if created else ""
            return HttpResponseRedirect(f"{changelist}?q={prefix}-")
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate voucher codes",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/vouchers/voucher/generate.html", context)
