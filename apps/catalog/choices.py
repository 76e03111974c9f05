from __future__ import annotations

from django.db import models


class StockReason(models.TextChoices):
    RECEIVED = "received", "Stock received"
    ADJUSTMENT = "adjustment", "Manual adjustment"
    COUNT = "count", "Stock count (set to a number)"
    IMPORT = "import", "Import"
    SALE = "sale", "Sale"
    RETURN = "return", "Return"
    RELEASE = "release", "Released from a cancelled order"


class ProductOrdering(models.TextChoices):
    RELEVANCE = "relevance", "Relevance"
    NEWEST = "newest", "Newest"
    PRICE_ASC = "price", "Price: low to high"
    PRICE_DESC = "-price", "Price: high to low"
    NAME = "name", "Name"
