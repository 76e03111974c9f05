"""A waiting room for flash sales: a fair line in front of pages that sell out."""
