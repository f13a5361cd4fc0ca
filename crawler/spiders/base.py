"""Shared spider plumbing: typed parameters, run id, page requests, failures and layout-drift stops."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler import signals as cricket_signals
from crawler.items import RawRows
from crawler.logformat import REDACT
from crawler.pages.tables import IncompletePage, LayoutDrift
from cricket_contract import params
from cricket_contract.layout import check_run_id, default_run_id


def run_id_of(crawler) -> str:
    """The run id of the crawl: its spider's (a CricketSpider fixes it in from_crawler). A spider that is not a
    project spider has none, and the components that need one (raw zone, lineage, resume) stand aside."""
    run_id = getattr(crawler.spider, "run_id", None)
    if not run_id:
        raise NotConfigured(
            f"spider {getattr(crawler.spider, 'name', None)!r} has no run_id (not a project spider)"
        )
    return run_id


def split_credentials(url: str, settings) -> str:
    """`http://user:pw@host/…` → `http://host/…`, the user and password sent as HTTP Basic auth to that host only
    (Scrapy's HttpAuthMiddleware settings): Scrapy cannot fetch a URL with user-info, and then no page URL (no
    row's source_url, no log line) carries the password, which the log redaction also hides."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    REDACT.add([unquote(parts.password or ""), parts.password or ""])
    settings.set("HTTPAUTH_USER", unquote(parts.username or ""), priority="spider")
    settings.set("HTTPAUTH_PASS", unquote(parts.password or ""), priority="spider")
    settings.set("HTTPAUTH_DOMAIN", parts.hostname, priority="spider")
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class CricketSpider(scrapy.Spider):
    """Base of the project's spiders: typed parameters, `run_id`, recorded `arguments`, page requests.

    Every parameter the spider declares in cricket_contract.params becomes an attribute of its typed value
    (the default when not given); `arguments` records them for the manifest, with any other `-a` value.
    """

    run_id: str
    base_url: str

    def __init__(self, *args, **kwargs):
        declared = params.spider_params(self.name)
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in declared}
        super().__init__(*args, **kwargs)
        for name, value in params.parse_arguments(self.name, given).items():
            setattr(self, name, value)
        self.arguments = {k: v for k, v in kwargs.items() if isinstance(v, (str, int, float))}
        self.arguments.update(params.recorded_arguments(self.name, given))
        self.unknown_logged: set[str] = set()  # unknown headers already named in the log

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.run_id = spider.run_id or check_run_id(
            crawler.settings.get("CRICKET_RUN_ID") or default_run_id()
        )
        spider.base_url = split_credentials(
            (spider.base_url or crawler.settings.get("CRICKET_BASE_URL")).rstrip("/"), crawler.settings
        )
        return spider

    def page_request(self, url: str, callback, **kwargs) -> scrapy.Request:
        """A request for a data page: counted as a known page, tracked by the run ledger."""
        self.crawler.stats.inc_value("cricket/pages_known")
        meta = {"cricket_page": True, **kwargs.pop("meta", {})}
        return scrapy.Request(url, callback=callback, errback=self.page_failed, meta=meta, **kwargs)

    @staticmethod
    def page_rows(response, rows: list) -> Iterator[RawRows]:
        """The page's raw records as one item (none for a page without rows)."""
        if rows:
            yield RawRows(response.url, rows)

    def run_incomplete(self, reason: str) -> None:
        """Something the run needs failed for good: the crawl goes on, the run gets no manifest."""
        self.crawler.stats.inc_value("cricket/failed_pages")
        self.crawler.signals.send_catch_log(cricket_signals.run_incomplete, reason=reason)

    def page_failed(self, failure):
        """A page that failed after all retries leaves the run incomplete: no manifest is written."""
        request = failure.request
        if "blocked" in str(failure.value) or "robots.txt" in str(failure.value):
            return  # the block was already reported and the crawl is stopping
        self.logger.error("page failed after retries: %s (%s)", request.url, failure.value)
        self.run_incomplete(f"page failed: {request.url}")

    def report_headers(self, url: str, report) -> None:
        """Tell the raw-run writer what the page's headers showed beside the required columns (absent optional
        columns, unknown headers); name each unknown header once in the log, where it was first seen."""
        if not report:
            return
        for h in report.unknown:
            if h not in self.unknown_logged:
                self.unknown_logged.add(h)
                self.logger.warning(
                    "unknown header %r in %s (first at %s): its cells are kept verbatim in raw `cells`",
                    h,
                    report.table,
                    url,
                )
        self.crawler.signals.send_catch_log(cricket_signals.headers_reported, url=url, report=report)

    def parse_guarded(self, parse, response):
        """Run a page parser; turn layout drift into a stop with finish reason `layout_drift`.

        The raw-run writer learns whether the page gave rows (one RawRows item, see `page_rows`) from the
        `page_parsed` signal, so it can tell when they are stored.
        """
        try:
            parsed = parse(response)
        except LayoutDrift as exc:
            self.logger.error(str(exc))
            self.crawler.stats.set_value("cricket/layout_drift", str(exc))
            raise CloseSpider("layout_drift") from exc
        except IncompletePage as exc:
            self.logger.error("%s (retries exhausted)", exc)
            self.run_incomplete(f"page incomplete: {response.url}")
            return None
        rows = parsed if isinstance(parsed, list) else parsed.rows
        self.report_headers(response.url, getattr(parsed, "headers", None))
        self.crawler.stats.inc_value("cricket/pages_done")
        self.crawler.signals.send_catch_log(
            cricket_signals.page_parsed, url=response.url, items=1 if rows else 0
        )
        return parsed
