"""Query plans of the catalog on 100,000 products: the SQL the pages and API really run.

Each case requests a page or an API URL with the test client (catalog cache off), records
every statement with its parameters through `connection.execute_wrapper`, and runs
`EXPLAIN (ANALYZE, FORMAT JSON)` on it. Two rules hold for the tables in TABLES (products,
variants, the facet table and the search aids'):

- no sequential scan, unless SCAN_ALLOWED names the case and says why a scan is the
  right plan there (docs/ARCHITECTURE.md, "Query plans");
- a query that shows a page or a product, counts a listing or reads its facets reads at
  most ROW_BUDGET rows of them, unless READ_ALLOWED says why: an index that is read from
  end to end is no better than a scan.

A listing counts at most CATALOG_COUNT_LIMIT + 1 rows, and none when the facet table
holds its number (TABLE_COUNTED); its facets are one query on the facet table alone.

KNOWN_ISSUES are the plans that break a rule because of how the SQL is written, not for
want of an index; each is a strict xfail naming its fix, so it fails once fixed and its
entry must then go. The in-stock marker written as EXISTS is one of them, but whether its
plan breaks a rule depends on how many rows the planner expects (hashed above about a
thousand), so its subplan is left out of the rules above and has a strict xfail of its
own. `pytest -s` prints every plan's access paths, rows read and time.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from apps.catalog.models import Category, Product
from apps.catalog.views import PAGE_SIZE
from apps.search.services import search_terms_refresh

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PRODUCTS = 100_000
# With the search aids' tables: suggestions and the words "did you mean" corrects to.
TABLES = frozenset(
    {
        "catalog_product",
        "catalog_variant",
        "catalog_categoryfacet",
        "search_suggestion",
        "search_searchword",
    }
)
SEEDED_TABLES = (
    "catalog_category",
    "catalog_product",
    "catalog_variant",
    "catalog_productimage",
    "catalog_categoryfacet",
    "search_suggestion",
    "search_searchword",
)
# A fifth of the product table. Reading a whole table (100,000 products, 205,000 variants)
# is far above it; a department's page in price or name order is below it, though it reads
# up to 14,000 index entries: its categories are spread all along the global price and
# title indexes, and PostgreSQL cannot merge one index range per category in order.
ROW_BUDGET = 20_000
# Labels of the queries that show rows (as opposed to counting them or listing facets).
SHOWING = frozenset({"page", "product", "variants", "related", "suggest"})
# The row budget holds for these too: a count stops at CATALOG_COUNT_LIMIT + 1 rows, and
# the facets are rows of the facet table, a few per category.
BOUNDED = SHOWING | {"count", "facets"}


@dataclass(frozen=True)
class Targets:
    """Slugs and positions in the seeded catalog that the cases' URLs point at."""

    leaf: str
    group: str
    department: str
    product: str
    last_page: int
    deep_price_cursor: str


@dataclass(frozen=True)
class Case:
    """One request of a page or an endpoint, and the queries it is expected to run."""

    kind: str
    url: Callable[[Client, Targets], str]


def _next_link(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    link: str = response.json()["next"]
    return link.removeprefix("http://testserver")


CASES: dict[str, Case] = {
    "category-newest": Case("listing", lambda c, t: f"/catalog/{t.leaf}/"),
    "category-price": Case("listing", lambda c, t: f"/catalog/{t.department}/?ordering=price"),
    "category-name": Case("listing", lambda c, t: f"/catalog/{t.group}/?ordering=name"),
    "all-newest": Case("listing", lambda c, t: "/catalog/"),
    "all-price": Case("listing", lambda c, t: "/catalog/?ordering=price"),
    "all-price-desc": Case("listing", lambda c, t: "/catalog/?ordering=-price"),
    "all-name": Case("listing", lambda c, t: "/catalog/?ordering=name"),
    "search-common-word": Case("listing", lambda c, t: "/catalog/?q=recycled"),
    "search-typo": Case("listing", lambda c, t: "/catalog/?q=jackett"),
    "price-range": Case("listing", lambda c, t: "/catalog/?min_price=10&max_price=20"),
    "option": Case("listing", lambda c, t: "/catalog/?option=Colour:Red"),
    "in-stock": Case("listing", lambda c, t: "/catalog/?in_stock=on"),
    "last-page": Case("listing", lambda c, t: f"/catalog/?page={t.last_page}"),
    "product-detail": Case("detail", lambda c, t: f"/products/{t.product}/"),
    "api-list": Case("api-list", lambda c, t: "/api/v1/products/"),
    "api-next-page": Case("api-list", lambda c, t: _next_link(c, "/api/v1/products/")),
    "api-deep-cursor": Case(
        "api-list", lambda c, t: f"/api/v1/products/?ordering=price&cursor={t.deep_price_cursor}"
    ),
    "api-detail": Case("api-detail", lambda c, t: f"/api/v1/products/{t.product}/"),
    # A search that finds nothing: the page then asks "did you mean" (known words, the
    # nearest word by trigrams, and whether the corrected phrase finds products).
    "search-miss": Case("search-miss", lambda c, t: "/catalog/?q=recyclet+zqxwv"),
    "suggest-short": Case("suggest", lambda c, t: "/search/suggest/?q=re"),
    "suggest-rare": Case("suggest", lambda c, t: "/search/suggest/?q=rqz"),
    "api-suggest": Case("suggest", lambda c, t: "/api/v1/search/suggestions/?q=jack"),
}

LABELS = {
    "listing": ("count", "facets", "page"),
    "detail": ("product", "variants", "related"),
    "api-list": ("count", "facets", "page"),
    "api-detail": ("product", "variants"),
    # A count of nothing needs no page of rows; its facets are the listing's own cases'.
    "search-miss": ("count", "words", "exists"),
    "suggest": ("suggest",),
}

# Listings whose count is in the facet table (no filter, or one option value) and past the
# count limit: they run no count at all (test_listings_counted_by_the_facet_table_...).
TABLE_COUNTED = frozenset(
    case
    for case in CASES
    if case.startswith(("category-", "all-", "api-")) or case in ("option", "last-page")
) - {"api-detail"}

# Scans that are the right plan: the query must read most of the table whatever the path.
_FACET_TABLE = (
    "the facet table holds a row per category and option value (555 rows in 6 pages for "
    "100,000 products; it grows with the categories, not the products): the listing of a "
    "group, a department or the whole catalog sums most of it, and reading it whole is "
    "cheaper than its index (0.1 to 0.2 ms)"
)
SCAN_ALLOWED: dict[tuple[str, str], str] = {
    **{
        (case, "facets"): _FACET_TABLE
        for case, spec in CASES.items()
        if "facets" in LABELS[spec.kind] and case != "category-newest"
    },
    ("search-common-word", "count"): (
        "a word in a third of the catalog: the count stops at the 1,001st match, which a "
        "pass over the table in its own order reaches after about 3,000 rows, sooner than "
        "a bitmap of the 33,000 matches"
    ),
}
SCAN_ALLOWED["search-miss", "words"] = (
    "the seeded catalog has about 500 distinct words: the word table is a few pages, which "
    "PostgreSQL rightly reads whole; a larger vocabulary goes through searchword_word_trgm"
)
READ_ALLOWED: dict[tuple[str, str], str] = {
    ("search-common-word", "page"): (
        "relevance order ranks every match: a word in a third of the catalog reads a third "
        "of the products, through the GIN indexes (a bitmap), not a scan"
    ),
}

# How Django writes that EXISTS; the scalar subquery ends in "IS NOT NULL AS ..." instead.
HAS_STOCK_EXISTS = 'LIMIT 1) AS "has_stock"'
# Plans that break a rule because of the SQL's shape: strict xfails naming their fix. The
# four found (in-stock EXISTS, facet DISTINCT, keyset OR, deep OFFSET) are fixed.
KNOWN_ISSUES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Plan:
    """One captured statement: what it is for, and its EXPLAIN ANALYZE."""

    label: str
    sql: str
    root: dict[str, Any]
    execution_ms: float

    def scans(self) -> Iterator[tuple[dict[str, Any], bool]]:
        """Plan nodes that read the product or variant table, and whether in a subplan."""
        stack = [(self.root, False)]
        while stack:
            node, in_subplan = stack.pop()
            in_subplan = in_subplan or node.get("Parent Relationship") == "SubPlan"
            if node.get("Relation Name") in TABLES:
                yield node, in_subplan
            stack.extend((child, in_subplan) for child in node.get("Plans", []))

    def variant_subplans(self) -> list[dict[str, Any]]:
        """Variant scans in subplans: the in-stock marker of each product shown."""
        return [
            node
            for node, in_subplan in self.scans()
            if in_subplan and node["Relation Name"] == "catalog_variant"
        ]

    def checked_scans(self) -> list[dict[str, Any]]:
        """The scans the rules apply to: all but the marker while it is an EXISTS."""
        if HAS_STOCK_EXISTS not in self.sql:
            return [node for node, _ in self.scans()]
        marker = self.variant_subplans()
        return [node for node, _ in self.scans() if not any(node is m for m in marker)]

    def access_paths(self) -> str:
        return "; ".join(
            f"{node['Node Type']} {node['Relation Name']}"
            + (f" using {node['Index Name']}" if "Index Name" in node else "")
            + (" (subplan)" if in_subplan else "")
            for node, in_subplan in self.scans()
        )


def _rows_read(nodes: list[dict[str, Any]]) -> int:
    return sum(
        round(
            (
                node["Actual Rows"]
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
            * node["Actual Loops"]
        )
        for node in nodes
    )


@pytest.fixture(scope="module")
def targets(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Targets]:
    """Seeds 100,000 products into the test database once, and removes them afterwards.

    Committed, so every test of this module sees them; other modules never do, because
    the tables are truncated when this module is done.
    """
    media: Path = tmp_path_factory.mktemp("query-plans-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        call_command("seed_catalog", products=PRODUCTS, stdout=StringIO(), stderr=StringIO())
        search_terms_refresh(force=True)
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            # A statistics target of 1,000 samples every row of these tables, so the plans
            # do not hang on ANALYZE's random sample. VACUUM sets the visibility map, as
            # autovacuum would have by the time a shop has 100,000 products.
            cursor.execute("SET default_statistics_target = 1000")
            for table in SEEDED_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("RESET default_statistics_target")
            found = _targets()
        yield found
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            # CASCADE reaches cart and order lines, which hold nothing between tests.
            cursor.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)}, catalog_stockmovement CASCADE")


def _targets() -> Targets:
    leaf = Category.objects.filter(depth=3).order_by("path").first()
    assert leaf is not None
    group = Category.objects.get_parent(leaf)
    department = Category.objects.get_root(leaf)
    active = Product.objects.filter(is_active=True)
    product = active.order_by("id")[PRODUCTS // 2]
    deep = active.order_by("price", "id")[PRODUCTS * 9 // 10]
    cursor = {"o": ["price", "id"], "p": [str(deep.price), deep.pk], "r": 0}
    token = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode())
    return Targets(
        leaf=leaf.slug,
        group=group.slug,
        department=department.slug,
        product=product.slug,
        last_page=math.ceil(active.count() / PAGE_SIZE),
        deep_price_cursor=token.decode().rstrip("="),
    )


@pytest.fixture(scope="module")
def captured(targets: Targets) -> Iterator[dict[str, list[Plan]]]:
    plans: dict[str, list[Plan]] = {}
    yield plans
    for case, case_plans in plans.items():
        for plan in case_plans:
            print(
                f"{case:20} {plan.label:9} {plan.execution_ms:8.1f} ms "
                f"{_rows_read([node for node, _ in plan.scans()]):7} rows  "
                f"{plan.access_paths()}"
            )


@pytest.fixture
def plans_of(captured: dict[str, list[Plan]], targets: Targets) -> Callable[[str], list[Plan]]:
    def plans(case: str) -> list[Plan]:
        if case not in captured:
            captured[case] = _capture(case, targets)
        return captured[case]

    return plans


def _capture(case: str, targets: Targets) -> list[Plan]:
    spec = CASES[case]
    statements: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    # The catalog cache off: these are the plans of every cache miss.
    with override_settings(CATALOG_CACHE=False):
        client = Client()
        url = spec.url(client, targets)
        with connection.execute_wrapper(record):
            response = client.get(url)
    assert response.status_code == 200, url

    plans = []
    for sql, params in statements:
        if not sql.startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            (explained,) = cursor.fetchone()
        if isinstance(explained, str):
            explained = json.loads(explained)
        plan = Plan(
            label=_label(sql, spec.kind),
            sql=sql,
            root=explained[0]["Plan"],
            execution_ms=explained[0]["Execution Time"],
        )
        if any(plan.scans()):
            plans.append(plan)
    return plans


def _label(sql: str, kind: str) -> str:
    if sql.startswith('SELECT "search_suggestion".'):
        return "suggest"
    if sql.startswith('SELECT "search_searchword".'):
        return "words"
    if ' AS "a" FROM "catalog_product"' in sql[:40]:  # .exists(), "1" or a parameter
        return "exists"
    if sql.startswith("SELECT COUNT(*)"):
        return "count"
    if sql.startswith('SELECT "catalog_categoryfacet".'):
        return "facets"
    if sql.startswith('SELECT "catalog_variant".'):
        return "variants"
    if sql.startswith('SELECT "catalog_product".'):
        if '"catalog_product"."slug" =' in sql:
            return "product"
        return "related" if kind == "detail" else "page"
    return "unknown"


def _checked_queries() -> list[Any]:
    return [
        pytest.param(
            case,
            label,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_ISSUES[case, label])]
            if (case, label) in KNOWN_ISSUES
            else [],
            id=f"{case}:{label}",
        )
        for case, spec in CASES.items()
        for label in LABELS[spec.kind]
        if (case, label) not in {(counted, "count") for counted in TABLE_COUNTED}
    ]


@pytest.mark.parametrize(("case", "label"), _checked_queries())
def test_query_reads_products_and_variants_through_indexes(
    plans_of: Callable[[str], list[Plan]], case: str, label: str
) -> None:
    plans = [plan for plan in plans_of(case) if plan.label == label]
    assert plans, f"{case} ran no {label} query"
    for plan in plans:
        summary = f"{case} {label}: {plan.access_paths()}\n{plan.sql}"
        scans = plan.checked_scans()
        if (case, label) not in SCAN_ALLOWED:
            seq_scans = [node for node in scans if node["Node Type"] == "Seq Scan"]
            assert not seq_scans, f"sequential scan in {summary}"
        if label in BOUNDED and (case, label) not in READ_ALLOWED:
            rows = _rows_read(scans)
            assert rows <= ROW_BUDGET, f"{rows} rows read by {summary}"


def test_the_in_stock_marker_is_one_index_probe_per_product_shown(
    plans_of: Callable[[str], list[Plan]],
) -> None:
    for case in CASES:
        for plan in plans_of(case):
            for node in plan.variant_subplans():
                rows = _rows_read([node]) / node["Actual Loops"]
                assert rows <= 10, f"{case} {plan.label}: {rows:.0f} variants read at once"


@pytest.mark.parametrize("case", list(CASES))
def test_every_product_and_variant_query_of_a_case_is_checked(
    plans_of: Callable[[str], list[Plan]], case: str
) -> None:
    labels = {plan.label for plan in plans_of(case)}
    if CASES[case].kind == "search-miss":
        # Its listing queries (facets among them) are the listing cases' to check.
        labels -= set(LABELS["listing"])
    assert labels <= set(LABELS[CASES[case].kind]), f"{case} ran unchecked queries: {labels}"


@pytest.mark.parametrize("case", sorted(TABLE_COUNTED))
def test_listings_counted_by_the_facet_table_run_no_count(
    plans_of: Callable[[str], list[Plan]], case: str
) -> None:
    assert not [plan for plan in plans_of(case) if plan.label == "count"]


@pytest.mark.parametrize("case", [c for c, spec in CASES.items() if "facets" in LABELS[spec.kind]])
def test_the_facets_are_one_query_on_the_facet_table_alone(
    plans_of: Callable[[str], list[Plan]], case: str
) -> None:
    (facets,) = [plan for plan in plans_of(case) if plan.label == "facets"]
    assert {node["Relation Name"] for node, _ in facets.scans()} == {"catalog_categoryfacet"}
    assert _rows_read([node for node, _ in facets.scans()]) <= 1_000


def test_allow_lists_name_real_cases() -> None:
    for case, label in {**SCAN_ALLOWED, **READ_ALLOWED, **KNOWN_ISSUES}:
        assert label in LABELS[CASES[case].kind], (case, label)
