from __future__ import annotations

import pytest

from apps.catalog.models import Category
from apps.search.services import search_terms_refresh
from tests.factories import CategoryFactory, ProductFactory
from tests.search.relevance_catalog import CATALOG


@pytest.fixture
def relevance_catalog() -> None:
    """The relevance set's forty products, in their fourteen categories."""
    categories: dict[str, Category] = {}
    for item in CATALOG:
        if item.category not in categories:
            categories[item.category] = CategoryFactory(name=item.category)
        ProductFactory(
            slug=item.slug,
            title=item.title,
            brand=item.brand,
            description=item.description,
            category=categories[item.category],
        )


@pytest.fixture
def search_terms(relevance_catalog: None) -> None:
    """The relevance catalog with its suggestions and words built."""
    assert search_terms_refresh(force=True)
