"""Item pipelines: validate raw records, drop duplicates within a run, stamp lineage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from scrapy.exceptions import DropItem

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

    Keys are kept as 64-bit hashes, so memory is a few dozen bytes per distinct row.
    """

    def __init__(self, *, stats):
        self.stats = stats
        self.seen: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler):
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
    """Add `scraped_at` (UTC, seconds), `run_id` and `spider`; count kept items per record kind."""

    def __init__(self, *, stats, spider_name: str, run_id: str):
        self.stats = stats
        self.spider_name = spider_name
        self.run_id = run_id

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        return cls(stats=crawler.stats, spider_name=spider.name, run_id=run_id_of(spider))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        item["scraped_at"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        item["run_id"] = self.run_id
        item["spider"] = self.spider_name
        item.setdefault("source_url", None)
        self.stats.inc_value(f"items/{item['record']}")
        return item
