"""Browser lanes for the profiles spider: Debian's Chromium through scrapy-playwright, one reused page per lane."""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import scrapy

from crawler.pages.profiles import PROFILE_SELECTOR

# Chromium's resource types that never carry profile data: aborted in the browser to save time.
ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media"})

# Debian's Chromium (`apt-get install chromium`); `playwright install` needs the internet.
CHROMIUM_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("CRICKET_CHROMIUM", "/usr/bin/chromium"),
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        # Containers often give /dev/shm only 64 MB, too little for Chromium's shared memory.
        "--disable-dev-shm-usage",
        "--disable-extensions",
    ],
    "headless": True,
}


def abort_heavy_resources(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: drop images, fonts and media in the browser."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


# The Playwright download handler, for the spider's custom_settings (not the project's, so the other spiders
# never load it). It opens Chromium on the first request that asks for a browser.
PLAYWRIGHT_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_HANDLERS": {
        "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    },
    "PLAYWRIGHT_BROWSER_TYPE": "chromium",
    "PLAYWRIGHT_LAUNCH_OPTIONS": CHROMIUM_LAUNCH_OPTIONS,
    "PLAYWRIGHT_ABORT_REQUEST": abort_heavy_resources,
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 8,
    "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
}

# Resolves once the profile rendered, or at once on a page that is no profile at all (an error or
# "Access Denied" page), so the downloader middlewares see its status instead of a selector timeout.
_RENDERED_OR_NOT_A_PROFILE = (
    f"() => document.querySelector({json.dumps(PROFILE_SELECTOR)}) !== null"
    " || document.querySelector('#player-profile') === null"
)


def lane_count(settings) -> int:
    """As many lanes as Playwright allows pages per context, and no more than requests in flight."""
    return max(
        1,
        min(
            settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") or 8,
            settings.getint("CONCURRENT_REQUESTS") or 8,
        ),
    )


class RenderLanes:
    """At most `lanes` browser pages, each rendering profiles one after another.

    A fresh page per profile costs Chromium a new renderer process (measured: a third more CPU), so a lane
    keeps its page (`playwright_include_page`) and takes the next waiting profile on it when one finishes;
    the spider's callback and errback hand the page back with `next()`.
    """

    def __init__(self, *, crawler, lanes: int, timeout_ms: int, callback: Callable, errback: Callable):
        self.crawler = crawler  # its stats exist once the crawl starts, after the spider is built
        self.lanes = lanes
        self.timeout_ms = timeout_ms
        self.callback, self.errback = callback, errback
        self.busy = 0
        self.waiting: deque[tuple[str, int]] = deque()

    def queue(self, url: str, player_id: int) -> Iterator[scrapy.Request]:
        """Render `url`: on a new lane while there are fewer than `lanes`, else when a lane comes free."""
        if self.busy < self.lanes:
            self.busy += 1
            yield self.request(url, player_id, None)
        else:
            self.waiting.append((url, player_id))

    def next(self, browser_page: Any) -> Iterator[scrapy.Request]:
        """A lane finished a profile: it renders the next waiting one on the same page, or closes."""
        if self.waiting:
            url, player_id = self.waiting.popleft()
            yield self.request(url, player_id, browser_page)
            return
        self.busy -= 1
        if browser_page is not None and not browser_page.is_closed():
            asyncio.ensure_future(browser_page.close())

    def request(self, url: str, player_id: int, browser_page: Any) -> scrapy.Request:
        from scrapy_playwright.page import PageMethod

        meta: dict[str, Any] = {
            "playwright": True,
            "playwright_include_page": True,  # the lane keeps its page for the next profile
            "playwright_page_methods": [
                PageMethod("wait_for_function", _RENDERED_OR_NOT_A_PROFILE, timeout=self.timeout_ms)
            ],
        }
        if browser_page is not None:
            meta["playwright_page"] = browser_page
        self.crawler.stats.inc_value("cricket/profiles/render_requests")
        return scrapy.Request(
            url,
            callback=self.callback,
            errback=self.errback,
            cb_kwargs={"player_id": player_id},
            dont_filter=True,  # the fast path may have fetched this URL already
            meta=meta,
        )
