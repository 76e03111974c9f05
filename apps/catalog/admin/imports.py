"""The catalog import's staff screens: upload, the check's report, progress, refused rows.

An upload is checked in full by the worker (nothing is written); its page shows what the
file would create, change and refuse (line and reason), and a button starts the import.
While either runs, the page shows a progress bar that static/js/import-progress.js
updates; without script, the page reloads itself (a meta refresh inside <noscript>).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.catalog.admin.stock import request_actor
from apps.catalog.imports.progress import import_progress
from apps.catalog.imports.reading import ImportFileError, header_peek
from apps.catalog.imports.services import (
    catalog_import_create,
    catalog_import_start,
    import_max_bytes,
    import_max_image_bytes,
)
from apps.catalog.models import CatalogImport
from apps.core.errors import ApplicationError

# An import writes products and variants: staff need the rights to write both.
IMPORT_PERMISSIONS = (
    "catalog.add_product",
    "catalog.change_product",
    "catalog.add_variant",
    "catalog.change_variant",
)
# What a multipart body adds to the file: boundaries, headers, the CSRF token.
_FORM_OVERHEAD = 64 * 1024


def _too_big_message() -> str:
    return (
        f"The file is larger than an import takes ({import_max_bytes() // (1024 * 1024)} MB "
        f"for the CSV, {import_max_image_bytes() // (1024 * 1024)} MB for the photos); split "
        "it into several files."
    )


def _body_limit() -> int:
    return import_max_bytes() + import_max_image_bytes() + _FORM_OVERHEAD


class _SizeLimit(FileUploadHandler):
    """Skips (reads without keeping) an uploaded file past its limit, and says so."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.limit, self.received, self.exceeded = 0, 0, False

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        images = field_name == "images"
        self.limit = import_max_image_bytes() if images else import_max_bytes()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="The columns of the product export; UTF-8 (a spreadsheet's “CSV UTF-8”).",
    )

    images = forms.FileField(
        label="Photos (optional)",
        required=False,
        help_text="A ZIP of photos named after the products' slugs: chef-knife.jpg, "
        "chef-knife-2.jpg for a second one.",
    )

    def clean_images(self) -> Any:
        images = self.cleaned_data.get("images")
        if images and images.size > import_max_image_bytes():
            raise forms.ValidationError(_too_big_message())
        return images

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > import_max_bytes():
            raise forms.ValidationError(_too_big_message())
        try:
            header_peek(upload)
        except ImportFileError as error:
            raise forms.ValidationError(error.message) from error
        return upload


@admin.register(CatalogImport)
class CatalogImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "status", "rows", "created", "changed", "refused", "created_at"]
    list_filter = ["status"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and request.user.has_perms(IMPORT_PERMISSIONS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened; its page is the report below

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        own = [
            # The upload is CSRF-exempt on the outside only to set the size limit's upload
            # handler before the body is read; the view inside is CSRF-protected.
            path("add/", csrf_exempt(self._upload_entry), name=f"{info}_add"),
            path("<int:job_id>/progress/", view(self.progress_view), name=f"{info}_progress"),
            path("<int:job_id>/refused.csv", view(self.refused_view), name=f"{info}_refused"),
            path("<int:job_id>/start/", view(self.start_view), name=f"{info}_start"),
        ]
        return [*own, *(url for url in super().get_urls() if url.name != f"{info}_add")]

    def _upload_entry(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and _declared_length(request) > _body_limit():
            # Refused before a byte of the body is read (the CSRF check would read it all).
            allowed = request.user.is_active and request.user.is_staff
            if not (allowed and self.has_add_permission(request)):
                return HttpResponse("Too large.", status=413, content_type="text/plain")
            return self._upload_page(request, CatalogImportForm(), _too_big_message(), status=413)
        handler = _SizeLimit(request)
        request.upload_handlers.insert(0, handler)
        return self.admin_site.admin_view(self.upload_view)(request, handler=handler)

    def upload_view(self, request: HttpRequest, handler: _SizeLimit) -> HttpResponse:
        """Takes a CSV file and has it checked; refuses one past the size limit."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return self._upload_page(request, CatalogImportForm())
        form = CatalogImportForm(request.POST, request.FILES)
        if handler.exceeded:
            # Sent without a length (chunked): read through, never kept.
            return self._upload_page(request, CatalogImportForm(), _too_big_message(), status=413)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = catalog_import_create(
                    upload=upload,
                    name=upload.name,
                    images=form.cleaned_data.get("images"),
                    actor=request_actor(request),
                )
            except ApplicationError as error:
                form.add_error("file", error.message)
            else:
                return HttpResponseRedirect(self._job_url(job))
        return self._upload_page(request, form, status=400)

    def _upload_page(
        self, request: HttpRequest, form: CatalogImportForm, error: str = "", status: int = 200
    ) -> HttpResponse:
        context = {
            "error": error,
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import products from CSV",
            "form": form,
            "max_mb": import_max_bytes() // (1024 * 1024),
            "max_image_mb": import_max_image_bytes() // (1024 * 1024),
            "export_url": reverse("admin:catalog_product_changelist"),
        }
        return TemplateResponse(
            request, "admin/catalog/catalogimport/upload.html", context, status=status
        )

    def _job(self, request: HttpRequest, job_id: Any) -> CatalogImport:
        job = self.get_object(request, unquote(str(job_id)))
        if job is None:
            raise Http404("No such import.")
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def _job_url(self, job: CatalogImport) -> str:
        return reverse("admin:catalog_catalogimport_change", args=[job.pk])

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The import's page: its progress while it runs, then its report."""
        job = self._job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import of {job.file_name}",
            "job": job,
            "Status": CatalogImport.Status,
            "percent": import_progress(job_id=job.pk),
            "can_start": job.status == CatalogImport.Status.CHECKED
            and job.importable > 0
            and self.has_add_permission(request),
            "more_refused": max(0, job.refused - len(job.refusals)),
        }
        return TemplateResponse(request, "admin/catalog/catalogimport/job.html", context)

    def progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """The import's state as JSON, for the page's script."""
        job = self._job(request, job_id)
        response = JsonResponse(
            {
                "status": job.status,
                "label": job.get_status_display(),
                "running": job.running,
                "percent": import_progress(job_id=job.pk),
            }
        )
        response["Cache-Control"] = "no-store"
        return response

    def refused_view(self, request: HttpRequest, job_id: int) -> FileResponse:
        """The refused rows as CSV: the file's columns, then the line and the reason."""
        job = self._job(request, job_id)
        if not job.refused_file:
            raise Http404("This import refused no rows.")
        stem = job.file_name.rsplit(".", 1)[0] or "import"
        return FileResponse(
            job.refused_file.open("rb"),
            as_attachment=True,
            filename=f"{stem}-refused.csv",
            content_type="text/csv; charset=utf-8",
        )

    def start_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        return require_POST(self._start)(request, job_id)

    def _start(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if job.importable and catalog_import_start(job=job):
            self.message_user(request, "The import has started.", messages.SUCCESS)
        else:
            self.message_user(request, "This file is not waiting to be imported.", messages.WARNING)
        return HttpResponseRedirect(self._job_url(job))


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
