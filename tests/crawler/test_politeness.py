"""Politeness pieces: robots.txt Crawl-delay and refusals, AutoThrottle kept to the delay, Akamai block pages."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy import signals
from scrapy.core.downloader import Slot
from scrapy.exceptions import IgnoreRequest
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.conf import build_component_list
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.extensions import RobotsCrawlDelay
from crawler.middlewares import PoliteRobotsTxtMiddleware, is_access_denied

AUTOTHROTTLE = "scrapy.extensions.throttle.AutoThrottle"
STRICT = b"User-agent: *\nCrawl-delay: 15\nDisallow: /*template=results\nDisallow: /*wrappertype=print\n"


def _crawler_with_slot(**settings):
    project = get_project_settings()
    crawler = get_crawler(
        settings_dict={"EXTENSIONS": project.getdict("EXTENSIONS"), "ROBOTSTXT_OBEY": True, **settings}
    )
    slot = Slot(concurrency=8, delay=0.0, jitter=0)
    downloader = SimpleNamespace(
        slots={"stats.example.org": slot}, per_slot_settings={}, get_slot_key=lambda r: "stats.example.org"
    )
    crawler.engine = SimpleNamespace(downloader=downloader)
    return crawler, slot


def test_crawl_delay_becomes_the_slot_delay():
    crawler, slot = _crawler_with_slot()
    ext = RobotsCrawlDelay.from_crawler(crawler)
    parser = ProtegoRobotParser(STRICT, spider=None)
    request = Request("https://stats.example.org/ci/engine/stats/index.html?class=1;template=results")
    ext.robots_parsed(parser, request)
    assert slot.delay == 15.0
    assert crawler.engine.downloader.per_slot_settings["stats.example.org"]["delay"] == 15.0
    assert crawler.stats.get_value("cricket/crawl_delay/stats.example.org") == 15.0
    assert not parser.allowed(request.url, crawler.settings["USER_AGENT"])


def _throttled_slot(robots: bytes | None) -> float:
    """The slot's delay after five fast answers, with Scrapy's own AutoThrottle and our Crawl-delay handler
    built in the order EXTENSIONS gives them and called through the real `response_downloaded` signal."""
    crawler, slot = _crawler_with_slot(AUTOTHROTTLE_ENABLED=True, DOWNLOAD_DELAY=0)
    order = build_component_list(crawler.settings.getwithbase("EXTENSIONS"))
    assert order.index(AUTOTHROTTLE) < order.index(f"{RobotsCrawlDelay.__module__}.RobotsCrawlDelay")
    throttle = AutoThrottle.from_crawler(crawler)
    delays = RobotsCrawlDelay.from_crawler(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 60.0  # what AutoThrottle's spider_opened sets
    if robots is not None:
        delays.robots_parsed(ProtegoRobotParser(robots, spider=None), Request("https://stats.example.org/"))
    request = Request(
        "https://stats.example.org/x", meta={"download_slot": "stats.example.org", "download_latency": 0.01}
    )
    for _ in range(5):  # fast answers shrink AutoThrottle's delay towards 0
        response = Response(request.url, status=200, request=request)
        crawler.signals.send_catch_log(
            signals.response_downloaded, response=response, request=request, spider=None
        )
    return slot.delay


def test_autothrottle_never_goes_below_crawl_delay():
    """Pins Scrapy's behaviour we build on: AutoThrottle adjusts the delay in its `response_downloaded`
    handler, which runs before ours. If a Scrapy version changes either, this fails."""
    assert _throttled_slot(None) < 1.0  # AutoThrottle alone lowers the delay after fast answers
    assert _throttled_slot(STRICT) == 15.0


def test_akamai_block_page_is_recognised():
    page = (
        b"<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>You don't have permission"
        b" ... Reference #18.1 https://errors.edgesuite.net/18.1</BODY></HTML>"
    )
    assert is_access_denied(Response("https://x/", status=200, body=page))
    assert is_access_denied(Response("https://x/", status=403, body=b""))
    assert not is_access_denied(
        Response("https://x/", status=200, body=b"<html><title>Statsguru</title></html>")
    )


def test_robots_refusal_stops_the_crawl_unless_the_request_is_optional():
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    mw = PoliteRobotsTxtMiddleware(crawler)
    parser = ProtegoRobotParser(b"User-agent: *\nDisallow: /v2/\n", spider=None)
    url = "http://core.example.org/v2/sports/cricket/athletes/253802"

    async def robots_of(request: Request) -> ProtegoRobotParser:
        return parser  # what RobotsTxtMiddleware.robot_parser downloads and parses on a crawl

    mw.robot_parser = robots_of

    async def refuse(request: Request) -> None:
        with pytest.raises(IgnoreRequest):
            await mw.process_request(request)

    for _ in range(2):
        asyncio.run(refuse(Request(url, meta={"cricket_optional": True})))
    assert crawler.stats.get_value("cricket/robots_refused_optional") == 2
    assert crawler.stats.get_value("cricket/stop_reason") is None
    asyncio.run(mw.process_request(Request("http://core.example.org/allowed")))  # no exception
    asyncio.run(refuse(Request(url)))
    assert crawler.stats.get_value("cricket/stop_reason") == "blocked"
