"""The one item shape of the crawl: a page's raw records (docs/contracts.md §4) carried as one Scrapy item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class RawRows:
    """One page's raw records carried as one Scrapy item; the raw zone gets one JSON line per row.

    An item per row would cost Scrapy's per-item machinery (scraper, pipelines, signals, exporter) 200
    times per results page: several times the cost of parsing the page. The rows themselves are the
    raw records of the contract (cricket_contract.records), one per data row of the page.
    """

    source_url: str
    rows: list[dict[str, Any]]
