"""Item pipelines over a page's RawRows, row by row: validate raw records, drop duplicates in a run, lineage."""

# Every item is a page's `RawRows` (a profile is a RawRows of one row): a bad or repeated row leaves the
# page's item, the rest go on; a page left with no rows is dropped.

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import RawRows
from crawler.spiders.base import run_id_of
from cricket_contract.records import RecordError, natural_key, validate

logger = logging.getLogger(__name__)


def drop_reason(exc: RecordError) -> str:
    """The stats suffix of a spec violation: `missing_<key>`, `bad_<key>` or `unknown_record`."""
    if exc.problem == "unknown_record":
        return "unknown_record"
    return f"{'missing' if exc.problem == 'missing' else 'bad'}_{exc.key or 'record'}"


class ValidatePipeline:
    """Drop records that break the raw record spec (cricket_contract.records), counting each under
    `drop_item/<record>/<reason>` (e.g. `drop_item/career/missing_player_id`)."""

    def __init__(self, *, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(stats=crawler.stats)

    def process_item(self, item: RawRows) -> RawRows:
        kept = []
        for row in item.rows:
            try:
                validate(row)
            except RecordError as exc:
                self._count(exc)
                logger.warning("dropped a row of %s: %s", item.source_url, exc)
                continue
            kept.append(row)
        if not kept:
            raise DropItem(f"no valid rows on {item.source_url}")
        item.rows = kept
        return item

    def _count(self, exc: RecordError) -> None:
        self.stats.inc_value(f"drop_item/{exc.record}/{drop_reason(exc)}")


class KeySet:
    """Exact membership of 64-bit key hashes at about 8 bytes per key once settled.

    New keys go to a small Python set (≈ 60 bytes a key); every `settle_at` keys they are merged into
    one sorted numpy array, looked up with a vectorised binary search per page. Memory thus grows by
    8 bytes per distinct row instead of a set's 60-odd.
    """

    def __init__(self, *, settle_at: int = 65536):
        self.recent: set[int] = set()
        self.settled = np.empty(0, dtype=np.int64)
        self.settle_at = settle_at

    def __len__(self) -> int:
        return len(self.recent) + len(self.settled)

    def __contains__(self, key: int) -> bool:
        return bool(self.seen_before([key])[0])

    def seen_before(self, keys: list[int]) -> list[bool]:
        """For each key: was it added before this call? (Repeats within `keys` are not seen here.)"""
        settled = self.settled
        if len(settled):
            arr = np.array(keys, dtype=np.int64)
            idx = settled.searchsorted(arr)
            idx[idx == len(settled)] = 0
            hits = (settled[idx] == arr).tolist()
        else:
            hits = [False] * len(keys)
        recent = self.recent
        return [hit or key in recent for hit, key in zip(hits, keys, strict=True)]

    def add(self, key: int) -> None:
        self.recent.add(key)
        if len(self.recent) >= self.settle_at:
            self.settle()

    def settle(self) -> None:
        new = np.fromiter(self.recent, dtype=np.int64, count=len(self.recent))
        merged = np.concatenate([self.settled, new])
        merged.sort(kind="stable")
        self.settled = merged
        self.recent = set()


class DedupePipeline:
    """Drop a row whose natural key was already seen in this run (`dedupe/duplicates/<record>`).

    Keys are kept as 64-bit hashes in a KeySet (≈ 8 bytes per distinct row, 8 MB per million rows):
    the one part of the crawl's memory that grows with the rows. `-s CRICKET_DEDUPE=False` turns it off;
    the transformer de-duplicates on the same keys anyway.
    """

    def __init__(self, *, stats):
        self.stats = stats
        self.seen = KeySet()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRICKET_DEDUPE", True):
            raise NotConfigured("CRICKET_DEDUPE is off")
        return cls(stats=crawler.stats)

    def process_item(self, item: RawRows) -> RawRows:
        keys = [hash(natural_key(row)) for row in item.rows]
        before = self.seen.seen_before(keys)
        kept = []
        this_page: set[int] = set()
        for row, key, old in zip(item.rows, keys, before, strict=True):
            if old or key in this_page:
                self._count(row)
                logger.debug("duplicate %s row %s on %s", row["record"], natural_key(row), item.source_url)
                continue
            this_page.add(key)
            self.seen.add(key)
            kept.append(row)
        if not kept:
            raise DropItem(f"every row of {item.source_url} was seen before in this run")
        item.rows = kept
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
        return cls(stats=crawler.stats, spider_name=crawler.spider.name, run_id=run_id_of(crawler))

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

    def process_item(self, item: RawRows) -> RawRows:
        lineage = {"scraped_at": self._now(), "run_id": self.run_id, "spider": self.spider_name}
        rows = item.rows
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
