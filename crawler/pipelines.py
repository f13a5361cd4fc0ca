"""Item pipelines: validate raw records, drop duplicates within a run, stamp lineage.

Each pipeline takes a plain record (one dict) or a page's `RawRows`, whose rows it checks one by one:
a bad or repeated row leaves the page's item, the rest go on; a page left with no rows is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import InvalidItem, RawRows, natural_key, validate
from crawler.runid import run_id_of

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """Drop malformed items, counting each under `drop_item/<record>/<reason>`."""

    def __init__(self, *, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(stats=crawler.stats)

    def process_item(self, item):
        if type(item) is RawRows:
            kept = []
            for row in item.rows:
                try:
                    validate(row)
                except InvalidItem as exc:
                    self._count(exc)
                    logger.warning("dropped a row of %s: %s", item.source_url, exc)
                    continue
                kept.append(row)
            if not kept:
                raise DropItem(f"no valid rows on {item.source_url}")
            item.rows = kept
            return item
        try:
            validate(item)
        except InvalidItem as exc:
            self._count(exc)
            raise DropItem(str(exc)) from exc
        return item

    def _count(self, exc: InvalidItem) -> None:
        self.stats.inc_value(f"drop_item/{exc.record}/{exc.reason}")


class DedupePipeline:
    """Drop a row whose natural key was already seen in this run (`dedupe/duplicates/<record>`).

    Keys are kept as 64-bit hashes: about 64 bytes per distinct row (64 MB per million rows), the one
    part of the crawl's memory that grows with the rows. `-s CRICKET_DEDUPE=False` turns it off for very
    large runs; the transformer de-duplicates on the same keys anyway.
    """

    def __init__(self, *, stats):
        self.stats = stats
        self.seen: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRICKET_DEDUPE", True):
            raise NotConfigured("CRICKET_DEDUPE is off")
        return cls(stats=crawler.stats)

    def process_item(self, item):
        if type(item) is RawRows:
            seen = self.seen
            kept = []
            for row in item.rows:
                key = hash(natural_key(row))
                if key in seen:
                    self._count(row)
                    logger.debug(
                        "duplicate %s row %s on %s", row["record"], natural_key(row), item.source_url
                    )
                    continue
                seen.add(key)
                kept.append(row)
            if not kept:
                raise DropItem(f"every row of {item.source_url} was seen before in this run")
            item.rows = kept
            return item
        key = hash(natural_key(item))
        if key in self.seen:
            self._count(item)
            raise DropItem(f"duplicate {item['record']} row {natural_key(item)}")
        self.seen.add(key)
        return item

    def _count(self, row: dict[str, Any]) -> None:
        self.stats.inc_value("dedupe/duplicates")
        self.stats.inc_value(f"dedupe/duplicates/{row['record']}")


class LineagePipeline:
    """Add `scraped_at` (UTC, seconds), `run_id` and `spider` to every row; count rows per record kind
    (`items/<record>`, and `cricket/rows` for the progress line)."""

    def __init__(self, *, stats, spider_name: str, run_id: str):
        self.stats = stats
        self.spider_name = spider_name
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        return cls(stats=crawler.stats, spider_name=spider.name, run_id=run_id_of(spider))

    _stamp: tuple[int, str] = (0, "")

    def _now(self) -> str:
        # Second resolution: format once per second, not once per row.
        sec = int(time.time())
        if self._stamp[0] != sec:
            self._stamp = (
                sec,
                dt.datetime.fromtimestamp(sec, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        return self._stamp[1]

    def process_item(self, item):
        lineage = {"scraped_at": self._now(), "run_id": self.run_id, "spider": self.spider_name}
        rows = item.rows if type(item) is RawRows else (item,)
        counts: dict[str, int] = {}
        for row in rows:
            row.update(lineage)
            if "source_url" not in row:
                row["source_url"] = None
            counts[row["record"]] = counts.get(row["record"], 0) + 1
        for record, n in counts.items():
            self.stats.inc_value(f"items/{record}", n)
        self.stats.inc_value("cricket/rows", len(rows))
        return item
