"""The crawl's progress timeline: requests, retries and HTTP errors per time bucket, kept in the run's stats.

The raw-run writer copies every `cricket/` stat into `_manifest.json`, so the timeline reaches the manifest
(and the run report's "requests and retries over the crawl's time" chart) without the writer knowing of it
(transform/report/crawl.py reads it).
The stat `cricket/timeline` is one JSON object in a string (a stat value is a scalar):
`{"bucket_s": 5, "started_at": "…Z", "requests": [...], "retries": [...], "http_errors": [...]}`, one count per
bucket since the spider opened. Buckets start at 1 s and double whenever there would be more than
`MAX_BUCKETS`, so a 20-second crawl and a ten-hour one both give a readable chart in a few hundred bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import urlparse

from scrapy import signals

STAT = "cricket/timeline"
FIRST_BUCKET_S = 1
MAX_BUCKETS = 120
SERIES = ("requests", "retries", "http_errors")


class Timeline:
    """Counts per bucket; `snapshot()` is what goes into the stats."""

    def __init__(self, started: float, started_at: str, bucket_s: int = FIRST_BUCKET_S) -> None:
        self.started, self.started_at = started, started_at
        self.bucket_s = bucket_s
        self.counts: dict[str, list[int]] = {s: [] for s in SERIES}

    def add(self, series: str, now: float) -> None:
        idx = max(0, int((now - self.started) // self.bucket_s))
        while idx >= MAX_BUCKETS:  # coarser buckets: pairs merge, the whole crawl still fits
            self.bucket_s *= 2
            for s in SERIES:
                c = self.counts[s]
                self.counts[s] = [sum(c[i : i + 2]) for i in range(0, len(c), 2)]
            idx = int((now - self.started) // self.bucket_s)
        for s in SERIES:  # every series as long as the crawl so far
            c = self.counts[s]
            c.extend([0] * (idx + 1 - len(c)))
        self.counts[series][idx] += 1

    def snapshot(self) -> str:
        return json.dumps({"bucket_s": self.bucket_s, "started_at": self.started_at, **self.counts})


class CrawlTimeline:
    """A Scrapy extension: every request that reaches the downloader (a retry when it carries `retry_times`)
    and every response of status 400 or more, counted in its bucket and written to the `cricket/timeline` stat;
    requests per host (`cricket/requests_per_host/<host>`) and the configured pace (`cricket/pace/…`) beside it."""

    def __init__(self, *, crawler) -> None:
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.timeline: Timeline | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler=crawler)
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.request_reached_downloader, signals.request_reached_downloader)
        crawler.signals.connect(ext.response_received, signals.response_received)
        return ext

    def spider_opened(self, spider=None) -> None:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.timeline = Timeline(time.monotonic(), now)
        self.stats.set_value(STAT, self.timeline.snapshot())
        # the pace the crawl was configured for (robots.txt's Crawl-delay floor is cricket/crawl_delay/<host>)
        s = self.settings
        self.stats.set_value("cricket/pace/download_delay", s.getfloat("DOWNLOAD_DELAY"))
        self.stats.set_value("cricket/pace/autothrottle", s.getbool("AUTOTHROTTLE_ENABLED"))
        self.stats.set_value("cricket/pace/concurrent_per_domain", s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))

    def _count(self, series: str) -> None:
        if self.timeline is None:
            self.spider_opened()
        self.timeline.add(series, time.monotonic())
        # Written at every event (a few hundred bytes), so the stat is complete whenever the manifest is written.
        self.stats.set_value(STAT, self.timeline.snapshot())

    def request_reached_downloader(self, request, spider=None) -> None:
        self._count("requests")
        self.stats.inc_value(f"cricket/requests_per_host/{urlparse(request.url).hostname or '-'}")
        if request.meta.get("retry_times"):
            self._count("retries")

    def response_received(self, response, request, spider=None) -> None:
        if response.status >= 400:
            self._count("http_errors")
