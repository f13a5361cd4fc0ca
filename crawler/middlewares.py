"""Downloader middlewares: blocks, robots refusals, Retry-After, truncated pages."""

from __future__ import annotations

import asyncio
import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.pages.tables import require_complete

logger = logging.getLogger(__name__)


async def stop_crawl(crawler, reason: str) -> None:
    """Close the spider with `reason` unless it is already closing."""
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        await engine.close_spider_async(reason=reason)


def _schedule_stop(crawler, reason: str) -> None:
    crawler.stats.set_value("cricket/stop_reason", reason)
    asyncio.ensure_future(stop_crawl(crawler, reason))


def is_access_denied(response) -> bool:
    """Akamai's block page: a 403, or a page titled "Access Denied" pointing at errors.edgesuite.net."""
    if response.status == 403:
        return True
    head = response.body[:4096]
    return b"Access Denied" in head and b"edgesuite.net" in response.body[:16384]


class BlockDetectionMiddleware:
    """A 403 / Akamai "Access Denied" page stops the crawl with finish reason `blocked`."""

    def __init__(self, *, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler=crawler)

    def process_response(self, request, response):
        if not is_access_denied(response):
            return response
        done = self.crawler.stats.get_value("response_received_count", 0)
        logger.error(
            "blocked: HTTP %s Access Denied page at %s after %s responses; stopping the crawl "
            "(the site refuses this client; do not retry from this address)",
            response.status,
            response.url,
            done,
        )
        self.crawler.stats.inc_value("cricket/blocked_responses")
        _schedule_stop(self.crawler, "blocked")
        raise IgnoreRequest(f"blocked: Access Denied at {response.url}")


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt refusing a page we need is a block, not a silent skip: stop with `blocked`.

    A request marked `meta["cricket_optional"]` (a source the spider can do without, such as the
    athlete JSON on ESPN's API host) is only refused: its errback goes on to the next source.
    Built on the documented middleware hook: Scrapy's `process_request` raises IgnoreRequest for a request
    robots.txt disallows.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.useragent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self._optional_refused: set[str] = set()  # hosts already reported

    async def process_request(self, request) -> None:
        try:
            await super().process_request(request)
        except IgnoreRequest:
            self.refused(request)
            raise

    def refused(self, request) -> None:
        if request.meta.get("cricket_optional"):
            self.crawler.stats.inc_value("cricket/robots_refused_optional")
            host = urlparse_cached(request).netloc
            if host not in self._optional_refused:
                self._optional_refused.add(host)
                logger.warning(
                    "robots.txt of %s disallows %s for user agent %r; what it disallows is skipped "
                    "and the spider's other sources stand in",
                    host,
                    request.url,
                    self.useragent,
                )
            return
        logger.error(
            "blocked by robots.txt: %s is disallowed for user agent %r; stopping the crawl "
            "(set ROBOTSTXT_OBEY=False only with the site owner's written permission)",
            request.url,
            self.useragent,
        )
        _schedule_stop(self.crawler, "blocked")


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus: wait what `Retry-After` asks (capped) before retrying a 429/503."""

    def __init__(self, settings, *args, **kwargs):
        super().__init__(settings, *args, **kwargs)
        self.retry_after_max = settings.getfloat("CRICKET_RETRY_AFTER_MAX", 60.0)

    async def process_response(self, request, response):
        if response.status in (429, 503) and not request.meta.get("dont_retry", False):
            wait = _retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait:
                await asyncio.sleep(min(wait, self.retry_after_max))
                self.crawler.stats.inc_value("cricket/retry_after_waits")
        return super().process_response(request, response)


def _retry_after_seconds(value: bytes | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value.decode().strip()))
    except ValueError:
        return 0.0  # an HTTP-date: Scrapy's backoff is good enough


class TruncatedPageMiddleware:
    """A 200 HTML page without its closing `</html>` was cut off in transit: retry it like a failed download."""

    def __init__(self, *, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler=crawler)

    def process_response(self, request, response):
        if response.status != 200 or not request.meta.get("cricket_page"):
            return response
        try:
            require_complete(response.body, response.url)
        except Exception as exc:
            self.crawler.stats.inc_value("cricket/truncated_pages")
            retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated_page")
            if retry is not None:
                return retry
            raise IgnoreRequest(str(exc)) from exc
        return response
