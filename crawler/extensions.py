"""Extensions: progress lines, and robots.txt Crawl-delay as a floor of each host's download delay."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlparse

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


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
    """Honour robots.txt `Crawl-delay` as the download delay of that host's slot (Scrapy does not), and keep it
    a floor: AutoThrottle lowers a slot's delay after fast answers, so after every response (this handler is
    connected after AutoThrottle's: EXTENSIONS orders them) the delay is raised back to the Crawl-delay."""

    def __init__(self, *, crawler):
        self.crawler = crawler
        self.floors: dict[str, float] = {}  # download slot → the Crawl-delay its robots.txt asked for

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        ext = cls(crawler=crawler)
        crawler.signals.connect(ext.robots_parsed, signals.robots_parsed)
        crawler.signals.connect(ext.response_downloaded, signals.response_downloaded)
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
        self.floors[key] = delay
        downloader.per_slot_settings.setdefault(key, {})["delay"] = delay
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
        self.crawler.stats.set_value(f"cricket/crawl_delay/{key}", delay)
        logger.info(
            "robots.txt asks a Crawl-delay of %ss for %s: using it as that host's download delay", delay, key
        )

    def response_downloaded(self, response, request, spider=None) -> None:
        if not self.floors:
            return
        key = request.meta.get("download_slot")
        floor = self.floors.get(key) if key else None
        slot = self.crawler.engine.downloader.slots.get(key) if floor else None
        if slot is not None and slot.delay < floor:
            slot.delay = floor
