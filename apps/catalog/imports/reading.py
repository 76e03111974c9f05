"""Reading an import file one row at a time, each row's cells checked; nothing is kept.

The columns are the export's (apps.catalog.admin.export), so a file exported, edited in a
spreadsheet and saved as CSV comes back. Cells the export made inert for spreadsheets
(a leading apostrophe before = + - @) are read back as they were.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO

from apps.core.csv_export import csv_cell_unescape
from apps.core.errors import ApplicationError

IMPORT_COLUMNS = (
    "title",
    "slug",
    "category",
    "sku",
    "options",
    "price",
    "compare_at_price",
    "stock",
    "product_active",
    "variant_active",
)
# Without these a row cannot be matched or written; the others may be left out.
REQUIRED_COLUMNS = ("title", "slug", "category", "sku", "options", "price", "stock")
PATH_SEPARATOR = ">"
MAX_PRICE = Decimal("99999999.99")  # the fields' max_digits=10, decimal_places=2
MAX_STOCK = 2_147_483_647
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported: not UTF-8 text, not CSV, a column missing."""

    code = "import_file_refused"


@dataclass(slots=True)
class ImportRow:
    """One row of the file, its cells parsed; `errors` says why it cannot be imported."""

    line: int
    cells: list[str]
    title: str = ""
    slug: str = ""
    category: tuple[str, ...] = ()
    sku: str = ""
    options: dict[str, str] = field(default_factory=dict)
    price: Decimal | None = None
    compare_at_price: Decimal | None = None
    compare_given: bool = False
    stock: int | None = None
    product_active: bool | None = None
    variant_active: bool | None = None
    errors: list[str] = field(default_factory=list)


def header_check(names: list[str]) -> dict[str, int]:
    """The index of each known column; refuses a header that lacks a required one."""
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name.strip().lstrip("\ufeff").lower(), position)
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise ImportFileError(
            f"The file has no {_listed(missing)} column. The first line must name the "
            f"columns of the CSV export: {', '.join(IMPORT_COLUMNS)}."
        )
    return index


def header_peek(upload: IO[bytes]) -> None:
    """Refuses at once (on upload) a file whose first line is not the export's header."""
    start = upload.read(64 * 1024)
    upload.seek(0)
    first, newline, _ = start.partition(b"\n")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if newline or len(first) < 60 * 1024:
            raise ImportFileError(
                "The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” "
                "(an Excel workbook or another encoding cannot be read)."
            ) from error
        text = first.decode("utf-8-sig", errors="ignore")  # cut inside a character
    try:
        header = next(csv.reader([text]), [])
    except csv.Error as error:
        raise ImportFileError(f"The first line is not valid CSV ({error}).") from error
    header_check(header)


def import_rows(
    stream: IO[bytes], *, on_header: Callable[[list[str]], None] | None = None
) -> Iterator[ImportRow]:
    """The rows of a CSV file in UTF-8 (a spreadsheet's byte-order mark is fine), parsed.

    Streamed: one row is in memory at a time. Blank lines are skipped. A file that is not
    UTF-8 text or not CSV is refused whole, with the line where reading stopped.
    """
    lines = _text_lines(stream)
    # strict: a stray or unclosed quote is an error, not a cell that swallows the file.
    reader = csv.reader(lines, strict=True)
    header = next(reader, None)
    if header is None:
        raise ImportFileError("The file is empty: the first line must name the columns.")
    index = header_check(header)
    if on_header is not None:
        on_header(header)
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield row_parse(index, cells, line=start)
    except csv.Error as error:
        raise ImportFileError(f"Line {line + 1} is not valid CSV ({error}).") from error


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's lines decoded one by one, so that a refusal names the line."""
    for number, raw in enumerate(iter(stream.readline, b""), start=1):
        if b"\x00" in raw:
            raise ImportFileError(
                f"Line {number} holds a NUL byte: this is not a text file. Save it from "
                "the spreadsheet as “CSV UTF-8”."
            )
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"Line {number} is not UTF-8 text. Save the file from the spreadsheet as "
                "“CSV UTF-8” (an Excel workbook or another encoding cannot be read)."
            ) from error


def row_parse(index: dict[str, int], cells: list[str], *, line: int) -> ImportRow:
    """One row's cells as values; what is wrong with them goes to `errors`, all at once."""
    row = ImportRow(line=line, cells=cells)

    def cell(name: str) -> str:
        position = index.get(name)
        if position is None or position >= len(cells):
            return ""
        return csv_cell_unescape(cells[position].strip()).strip()

    errors = row.errors
    row.title, row.sku = cell("title"), cell("sku")
    _length(errors, "title", row.title, 200)
    _length(errors, "SKU", row.sku, 64)
    row.slug = cell("slug")
    if row.slug and (not _SLUG.match(row.slug) or len(row.slug) > 220):
        errors.append(f"slug “{row.slug}” may hold only letters, digits, - and _ (220 at most)")
    category = cell("category")
    if category:
        parts = tuple(part.strip() for part in category.split(PATH_SEPARATOR))
        if not all(parts) or any(len(part) > 120 for part in parts):
            errors.append(f"category “{category}” is not a path like “Home > Kitchen”")
        row.category = parts
    row.options = _options(errors, cell("options"))
    row.price = _money(errors, "price", cell("price"))
    if row.sku and row.price is None and not errors:
        errors.append("price is missing")
    if "compare_at_price" in index:
        row.compare_given = True
        row.compare_at_price = _money(errors, "compare-at price", cell("compare_at_price"))
    row.stock = _stock(errors, cell("stock"))
    row.product_active = _flag(errors, "product_active", cell("product_active"))
    row.variant_active = _flag(errors, "variant_active", cell("variant_active"))
    if not row.sku and not row.slug:
        errors.append("a row needs a SKU (a variant) or a slug (a product without variants)")
    return row


def _listed(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _length(errors: list[str], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.append(f"{name} is longer than {limit} characters")


def _options(errors: list[str], value: str) -> dict[str, str]:
    """ "Size: M; Colour: Red" as {"Size": "M", "Colour": "Red"} (the export's shape)."""
    options: dict[str, str] = {}
    for part in filter(None, (part.strip() for part in value.split(";"))):
        name, colon, option = (piece.strip() for piece in part.partition(":"))
        if not colon or not name or not option:
            errors.append(f"options “{value}” must look like “Size: M; Colour: Red”")
            return {}
        if name in options:
            errors.append(f"option “{name}” is given twice")
            return {}
        options[name] = option
    return options


def _money(errors: list[str], name: str, value: str) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        errors.append(f"{name} “{value}” is not a price like 12.50")
    elif amount < 0:
        errors.append(f"{name} {value} is negative")
    elif amount > MAX_PRICE:
        errors.append(f"{name} {value} is more than {MAX_PRICE}")
    elif amount != amount.quantize(Decimal("0.01")):
        errors.append(f"{name} {value} has more than two decimal places")
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def _stock(errors: list[str], value: str) -> int | None:
    if not value:
        return None
    try:
        stock = int(value)
    except ValueError:
        errors.append(f"stock “{value}” is not a whole number")
        return None
    if stock < 0:
        errors.append(f"stock {value} is negative (it is the count on hand, 0 or more)")
    elif stock > MAX_STOCK:
        errors.append(f"stock {value} is too large")
    else:
        return stock
    return None


def _flag(errors: list[str], name: str, value: str) -> bool | None:
    lowered = value.lower()
    if not lowered:
        return None
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    errors.append(f"{name} “{value}” must be yes or no")
    return None
