"""How fast the catalog import goes, and in how much memory: a generated CSV, checked and imported.

    DATABASE_URL=postgres://... python bench/catalog_import.py [--rows 100000] [--twice] [--keep]

Writes a CSV in the export's columns (two variants per product, 240 category paths three
deep, SKUs starting with BENCH-) to a temporary folder, then runs the import as the admin
does, without Celery: the check (dry run), then the import in one transaction. Prints rows/s
for each and the process's peak RSS, with the RSS after the first chunk and at the end of
each pass (memory should not grow with the rows read). `--twice` imports the same file
again (every row unchanged). The rows are deleted afterwards unless `--keep`.
Use a database of your own: it writes to the catalog.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
MEDIA = tempfile.mkdtemp(prefix="catalog-import-bench-")
os.environ["MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()

from django.core.files import File  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from apps.catalog.imports.progress import import_progress_set  # noqa: E402
from apps.catalog.imports.reading import IMPORT_COLUMNS  # noqa: E402
from apps.catalog.imports.services import (  # noqa: E402
    catalog_import_check,
    catalog_import_create,
    catalog_import_run,
    catalog_import_start,
)
from apps.catalog.models import (  # noqa: E402
    CatalogImport,
    Category,
    CategoryFacet,
    Product,
    StockMovement,
    Variant,
)

COLOURS = ["Red", "Blue", "Green", "Black", "White", "Oak"]


def _rss_mb() -> float:
    """The resident set size now (Linux /proc), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, rows: int) -> None:
    """`rows` rows, two per product, streamed to `path`."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IMPORT_COLUMNS)
        for n in range(rows):
            product = n // 2
            department, shelf, leaf = product % 4, product % 12, product % 240
            writer.writerow(
                [
                    f"Bench product {product}",
                    f"bench-product-{product}",
                    f"Bench {department} > Shelf {shelf} > Leaf {leaf}",
                    f"BENCH-{n:07d}",
                    f"Size: {'SM'[n % 2]}; Colour: {COLOURS[product % len(COLOURS)]}",
                    f"{5 + product % 200}.{n % 100:02d}",
                    "",
                    str(n % 50),
                    "yes",
                    "yes",
                ]
            )


class _Sampler:
    """The progress callback: records the progress as the admin would, and the RSS."""

    def __init__(self, job: CatalogImport) -> None:
        self.job, self.first, self.last = job, 0.0, 0.0

    def __call__(self, read: int) -> None:
        import_progress_set(job_id=self.job.pk, read=read, size=self.job.size)
        self.last = _rss_mb()
        self.first = self.first or self.last


def _pass(label: str, rows: int, run) -> CatalogImport:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    job, sampler = run()
    seconds = time.perf_counter() - start
    print(
        f"{label:<18} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s  "
        f"RSS after 1st chunk {sampler.first:6.1f} MB, at the end {sampler.last:6.1f} MB  "
        f"({job.created} created, {job.changed} changed, {job.unchanged} unchanged, "
        f"{job.refused} refused, {job.movements} movements)"
    )
    return job


def import_once(path: Path, rows: int) -> None:
    with path.open("rb") as handle:
        job = catalog_import_create(
            upload=File(handle, name=path.name),
            name=path.name,
            actor=None,
            check_in_background=False,
        )

    def check():  # type: ignore[no-untyped-def]
        sampler = _Sampler(job)
        return catalog_import_check(job_id=job.pk, on_progress=sampler), sampler

    checked = _pass("check (dry run)", rows, check)
    if checked.status != CatalogImport.Status.CHECKED:
        raise SystemExit(f"the check failed: {checked.error}")
    catalog_import_start(job=checked)

    def run():  # type: ignore[no-untyped-def]
        sampler = _Sampler(job)
        return catalog_import_run(job_id=job.pk, on_progress=sampler), sampler

    done = _pass("import", rows, run)
    if done.status != CatalogImport.Status.DONE:
        raise SystemExit(f"the import failed: {done.error}")


def clean() -> None:
    """Removes what the benchmark imported, in set-based statements (Django's delete
    collects 50,000 products in memory first); movements first: they protect variants."""
    table = {m: m._meta.db_table for m in (StockMovement, Variant, Product, Category)}
    facet = CategoryFacet._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table[StockMovement]} WHERE variant_id IN "  # noqa: S608 - model tables
            f"(SELECT id FROM {table[Variant]} WHERE sku LIKE 'BENCH-%%')"
        )
        cursor.execute(f"DELETE FROM {table[Variant]} WHERE sku LIKE 'BENCH-%%'")  # noqa: S608
        cursor.execute(f"DELETE FROM {table[Product]} WHERE slug LIKE 'bench-product-%%'")  # noqa: S608
        bench = f"SELECT id FROM {table[Category]} WHERE name LIKE 'Bench %%' AND depth = 1"  # noqa: S608
        cursor.execute(f"SELECT path FROM {table[Category]} WHERE id IN ({bench})")  # noqa: S608
        for (path,) in cursor.fetchall():
            subtree = f"SELECT id FROM {table[Category]} WHERE path LIKE %s"  # noqa: S608
            cursor.execute(f"DELETE FROM {facet} WHERE category_id IN ({subtree})", [f"{path}%"])  # noqa: S608
            cursor.execute(f"DELETE FROM {table[Category]} WHERE path LIKE %s", [f"{path}%"])  # noqa: S608
    CatalogImport.objects.filter(file_name__startswith="catalog-import-bench").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--twice", action="store_true", help="import the same file again")
    parser.add_argument("--keep", action="store_true", help="keep the imported rows")
    args = parser.parse_args()
    if Variant.objects.filter(sku__startswith="BENCH-").exists():
        clean()
    path = Path(MEDIA) / "catalog-import-bench.csv"
    write_csv(path, args.rows)
    print(
        f"{args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, into "
        f"{connection.settings_dict['NAME']} ({connection.vendor}); RSS before {_rss_mb():.1f} MB"
    )
    import_once(path, args.rows)
    if args.twice:
        import_once(path, args.rows)
    print(f"peak RSS {_peak_mb():.1f} MB")
    if not args.keep:
        clean()


if __name__ == "__main__":
    main()
