"""Extensions: the run ledger and `_manifest.json`, progress lines, robots Crawl-delay, polite AutoThrottle."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlparse

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from twisted.internet import task

from crawler.feeds import raw_uri, run_location
from crawler.items import RawRows
from crawler.runid import run_id_of
from crawler.scheduling import append_ledger, read_ledger
from crawler.storage import MANIFEST, PART_RE, delete, exists, list_names, write_bytes

logger = logging.getLogger(__name__)

# Scrapy stats copied into the manifest (plus cricket/, response status and retry reason counts).
KEY_STATS = (
    "start_time",
    "finish_time",
    "elapsed_time_seconds",
    "item_scraped_count",
    "item_dropped_count",
    "response_received_count",
    "downloader/request_count",
    "downloader/response_count",
    "retry/count",
    "retry/max_reached",
    "log_count/ERROR",
    "feedexport/success_count/AtomicFileFeedStorage",
    "feedexport/success_count/S3FeedStorage",
)


def _source_url(item) -> str | None:
    if isinstance(item, RawRows):
        return item.source_url
    return item.get("source_url") if isinstance(item, dict) else None


def _utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_safe(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, (int, float, str)) or v is None:
        return v
    return str(v)


class RunLedger:
    """Tracks which pages' rows are in stored parts and writes `_manifest.json` last on a clean finish.

    The feed exporter (crawler.feeds.RawFeedExporter) says which batch each item's rows went to; a page
    is durable once its items are written or dropped and every batch up to the one holding its last row
    is stored. Durable pages go to the JOBDIR ledger (see crawler.scheduling), per part.
    """

    def __init__(self, *, crawler):
        self.crawler = crawler
        self.open_pages: dict[
            str, list[int]
        ] = {}  # page URL → [items not yet written or dropped, last batch]
        self.pending: list[tuple[int, str]] = []  # (batch that must be stored, page URL)
        self.batch_counts: dict[int, Counter] = defaultdict(Counter)
        self.part_items: dict[str, int] = {}
        self.stored_batches: set[int] = set()
        self.stored_upto = 0  # every batch 1..stored_upto of this process is stored
        self.items_by_record: Counter = Counter()
        self.resumed_parts = 0
        self.reason: str | None = None
        self.manifest_written = False
        self._reason_known = asyncio.Event()
        crawler.cricket_ledger = self

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler=crawler)
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.item_dropped, signals.item_dropped)
        crawler.signals.connect(ext.item_dropped, signals.item_error)
        crawler.signals.connect(ext.feed_slot_closed, signals.feed_slot_closed)
        crawler.signals.connect(ext.spider_closed, signals.spider_closed)
        crawler.signals.connect(ext.feed_exporter_closed, signals.feed_exporter_closed)
        return ext

    # --- page tracking -------------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        self.run = run_location(raw_uri(self.crawler.settings), spider.name, run_id_of(spider))
        for entry in read_ledger(self.crawler.settings, run_id_of(spider)):
            self.resumed_parts += 1
            self.part_items[entry["part"]] = entry["items"]
            self.items_by_record.update(entry.get("by_record", {}))
        if self.resumed_parts:
            logger.info("resuming run %s: %d parts already stored", run_id_of(spider), self.resumed_parts)
        # A new attempt under a finished run id: until it finishes, the old manifest must not vouch for
        # the run (readers would take it as complete while this attempt adds parts, or dies half way).
        stale = self.run.child(MANIFEST)
        if exists(stale):
            delete(stale)
            logger.warning(
                "run %s was finished before: its manifest is withdrawn until this attempt finishes",
                run_id_of(spider),
            )

    def page_parsed(self, url: str, items: int) -> None:
        """A spider parsed a data page into `items` items (a page's RawRows is one), before yielding them."""
        self.crawler.stats.inc_value("cricket/pages_done")
        if items <= 0:
            self.pending.append((0, url))  # nothing to store: durable with the next stored part
            return
        entry = self.open_pages.setdefault(url, [0, 0])
        entry[0] += items

    def rows_written(self, batch_id: int, rows) -> None:
        """The feed exporter wrote `rows` into batch `batch_id` (counted per record kind for that part)."""
        counts = self.batch_counts[batch_id]
        for row in rows:
            counts[row.get("record", "unknown")] += 1

    def item_written(self, item, last_batch: int) -> None:
        """The feed exporter wrote all of an item's rows, the last of them into batch `last_batch`."""
        self._item_done(_source_url(item), last_batch)

    def item_dropped(self, item, response, spider, **_) -> None:
        self._item_done(_source_url(item), 0)

    def _item_done(self, url: str | None, batch: int) -> None:
        entry = self.open_pages.get(url) if url else None
        if entry is None:
            return
        entry[0] -= 1
        entry[1] = max(entry[1], batch)
        if entry[0] <= 0:
            del self.open_pages[url]
            self.pending.append((entry[1], url))

    def feed_slot_closed(self, slot) -> None:
        name = slot.uri.rsplit("/", 1)[-1]
        by_record = dict(self.batch_counts.pop(slot.batch_id, {}))
        self.items_by_record.update(by_record)
        if not exists(self.run.child(name)):
            return  # the store failed (Scrapy still signals the slot closed): nothing of it is durable
        self.part_items[name] = slot.itemcount
        # Stores run concurrently and may finish out of order: a page is durable once every batch up to
        # the one it needs is stored.
        self.stored_batches.add(slot.batch_id)
        while self.stored_upto + 1 in self.stored_batches:
            self.stored_upto += 1
        durable = [url for b, url in self.pending if b <= self.stored_upto]
        self.pending = [(b, url) for b, url in self.pending if b > self.stored_upto]
        append_ledger(
            self.crawler.settings,
            {
                "run_id": run_id_of(self.crawler.spider),
                "part": name,
                "items": slot.itemcount,
                "by_record": by_record,
                "pages": durable,
            },
        )

    # --- manifest ------------------------------------------------------------------------------
    def spider_closed(self, spider, reason) -> None:
        self.reason = reason
        self._reason_known.set()

    async def feed_exporter_closed(self) -> None:
        await self._reason_known.wait()
        stats = self.crawler.stats.get_stats()
        spider = self.crawler.spider
        failed_stores = sum(v for k, v in stats.items() if k.startswith("feedexport/failed_count/"))
        failed_pages = stats.get("cricket/failed_pages", 0)
        if self.reason != "finished" or failed_stores or failed_pages:
            logger.error(
                "no manifest for run %s: finish reason %r, %d failed part stores, %d pages failed after retries",
                run_id_of(spider),
                self.reason,
                failed_stores,
                failed_pages,
            )
            return
        parts = [n for n in list_names(self.run) if PART_RE.match(n)]
        manifest = {
            "run_id": run_id_of(spider),
            "spider": spider.name,
            "arguments": getattr(spider, "arguments", {}),
            "finish_reason": self.reason,
            "written_at": _utcnow(),
            "raw": self.run.uri,
            "parts": parts,
            "part_items": {n: self.part_items.get(n) for n in parts},
            "items": dict(sorted(self.items_by_record.items())),
            "item_count": sum(self.items_by_record.values()),
            "drops": {k: v for k, v in sorted(stats.items()) if k.startswith("drop_item/")},
            "duplicates": {k: v for k, v in sorted(stats.items()) if k.startswith("dedupe/")},
            "resumed_parts": self.resumed_parts,
            "stats": {
                k: _json_safe(v)
                for k, v in sorted(stats.items())
                if k in KEY_STATS
                or k.startswith(("cricket/", "downloader/response_status_count/", "retry/reason_count/"))
            },
        }
        write_bytes(self.run.child(MANIFEST), json.dumps(manifest, indent=2).encode())
        self.manifest_written = True
        logger.info(
            "wrote %s (%d parts, %d items)", self.run.child(MANIFEST).uri, len(parts), manifest["item_count"]
        )


class ProgressLog:
    """Every CRICKET_PROGRESS_INTERVAL seconds: pages done / known, rows, pages/s and ETA."""

    def __init__(self, *, crawler, interval: float):
        if interval <= 0:
            raise NotConfigured
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler=crawler, interval=crawler.settings.getfloat("CRICKET_PROGRESS_INTERVAL", 5.0))
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def line(self) -> str:
        s = self.crawler.stats
        done = s.get_value("cricket/pages_done", 0) + s.get_value("cricket/pages_resumed", 0)
        known = max(s.get_value("cricket/pages_known", 0), done)
        rows = s.get_value("cricket/rows", 0)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = s.get_value("cricket/pages_done", 0) / elapsed
        left = known - done
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        pct = f"{100 * done / known:.0f}%" if known else "-"
        return f"progress: pages {done}/{known} ({pct}), rows {rows}, {rate:.1f} pages/s, ETA {eta}"

    def log(self) -> None:
        logger.info(self.line())

    def spider_closed(self, spider, reason) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        logger.info(self.line() + f" — closed ({reason})")


class RobotsCrawlDelay:
    """Honour robots.txt `Crawl-delay` as the download delay of that host's slot (Scrapy does not)."""

    def __init__(self, *, crawler):
        self.crawler = crawler
        self.min_delays: dict[str, float] = {}
        crawler.cricket_min_delays = self.min_delays

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        ext = cls(crawler=crawler)
        crawler.signals.connect(ext.robots_parsed, signals.robots_parsed)
        return ext

    def robots_parsed(self, robotparser, request) -> None:
        ua = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings.get("USER_AGENT")
        inner = getattr(robotparser, "rp", None)
        getter = getattr(inner, "crawl_delay", None)
        delay = getter(ua) if getter else None
        if not delay:
            return
        delay = float(delay)
        downloader = self.crawler.engine.downloader
        key = (
            downloader.get_slot_key(request)
            if hasattr(downloader, "get_slot_key")
            else urlparse(request.url).hostname
        )
        self.min_delays[key] = delay
        downloader.per_slot_settings.setdefault(key, {})["delay"] = delay
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
        self.crawler.stats.set_value(f"cricket/crawl_delay/{key}", delay)
        logger.info(
            "robots.txt asks a Crawl-delay of %ss for %s: using it as that host's download delay", delay, key
        )


class PoliteAutoThrottle(AutoThrottle):
    """AutoThrottle that never goes below a host's robots.txt Crawl-delay."""

    def _response_downloaded(self, response, request, spider=None):
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        floor = getattr(self.crawler, "cricket_min_delays", {}).get(key) if key else None
        if slot is not None and floor and slot.delay < floor:
            slot.delay = floor
