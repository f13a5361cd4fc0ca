"""The one item shape of the crawl: a page's raw records (docs/contracts.md §4) carried as one Scrapy item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

_LINE = orjson.OPT_APPEND_NEWLINE


@dataclass(slots=True)
class RawRows:
    """One page's raw records carried as one Scrapy item; the raw zone gets one JSON line per row.

    An item per row would cost Scrapy's per-item machinery (scraper, pipelines, signals, exporter) 200
    times per results page: several times the cost of parsing the page. The rows themselves are the
    raw records of the contract (cricket_contract.records), one per data row of the page.
    """

    source_url: str
    rows: list[dict[str, Any]]


def json_lines(rows: list[dict[str, Any]]) -> bytes:
    """Raw records as UTF-8 JSON lines. They are JSON-ready already (strings, ints, nulls and one dict of
    strings), so orjson writes them at a tenth of the json module's cost."""
    return b"".join([orjson.dumps(r, option=_LINE) for r in rows])
