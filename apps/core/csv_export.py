"""CSV downloads that stream, and cells that a spreadsheet never runs as formulas."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = {"=", "+", "-", "@", "\t", "\r"}


def csv_cell(value: str) -> str:
    """The value, made inert for spreadsheets with a leading apostrophe where needed."""
    return f"'{value}" if value[:1] in _FORMULA_STARTS else value


def csv_cell_unescape(value: str) -> str:
    """A cell as it was before `csv_cell`, so an exported file imports back unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in _FORMULA_STARTS else value


class _Echo:
    """A write-only file: csv.writer hands each formatted row straight back."""

    def write(self, value: str) -> str:
        return value


def csv_download(rows: Iterable[list[str]], *, name: str) -> StreamingHttpResponse:
    """A streamed CSV attachment named `<name>-<time>.csv`: rows are written as read, so
    a large export never sits in memory whole."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{timezone.now():%Y%m%d-%H%M}.csv"'
    )
    return response
