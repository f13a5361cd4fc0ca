"""Item pipelines: validate raw records, drop duplicates within a run, stamp lineage."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import InvalidItem, natural_key, validate
from crawler.runid import run_id_of


class ValidatePipeline:
    """Drop malformed items, counting each under `drop_item/<record>/<reason>`."""

    def __init__(self, *, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(stats=crawler.stats)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        try:
            validate(item)
        except InvalidItem as exc:
            self.stats.inc_value(f"drop_item/{exc.record}/{exc.reason}")
            raise DropItem(str(exc)) from exc
        return item


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

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        key = hash(natural_key(item))
        if key in self.seen:
            self.stats.inc_value("dedupe/duplicates")
            self.stats.inc_value(f"dedupe/duplicates/{item['record']}")
            raise DropItem(f"duplicate {item['record']} row {natural_key(item)}")
        self.seen.add(key)
        return item


class LineagePipeline:
    """Add `scraped_at` (UTC, seconds), `run_id` and `spider`; count kept rows (per record kind, for the ledger).

    Counting here rather than on Scrapy's item_scraped signal saves a dispatched task per row.
    """

    def __init__(self, *, stats, spider_name: str, run_id: str, ledger=None):
        self.stats = stats
        self.ledger = ledger
        self.spider_name = spider_name
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        return cls(
            stats=crawler.stats,
            spider_name=spider.name,
            run_id=run_id_of(spider),
            ledger=getattr(crawler, "cricket_ledger", None),
        )

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

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        item["scraped_at"] = self._now()
        item["run_id"] = self.run_id
        item["spider"] = self.spider_name
        item.setdefault("source_url", None)
        self.stats.inc_value(f"items/{item['record']}")
        if self.ledger is not None:
            self.ledger.item_exported(item)
        return item
