"""Shared spider plumbing: run id, argument parsing, page requests, failures and layout-drift stops."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.exceptions import CloseSpider

from crawler.items import RawRows
from crawler.pages.tables import IncompletePage, LayoutDrift
from crawler.runid import check_run_id, default_run_id


def int_list(value: str | None, what: str) -> list[int]:
    """'1,2, 3' → [1, 2, 3]; a clear ValueError otherwise."""
    if value is None or str(value).strip() == "":
        return []
    out = []
    for part in str(value).split(","):
        part = part.strip()
        if not part.isdigit():
            raise ValueError(f"{what}: {part!r} is not a positive integer (expected a comma list like 1,2,3)")
        out.append(int(part))
    return out


def str_list(value: str | None, allowed: tuple[str, ...], what: str) -> list[str]:
    out = [p.strip() for p in str(value or "").split(",") if p.strip()]
    bad = [p for p in out if p not in allowed]
    if bad or not out:
        raise ValueError(f"{what}: {bad or value!r} not in {list(allowed)}")
    return out


class CricketSpider(scrapy.Spider):
    """Base of the project's spiders: `run_id`, recorded `arguments`, page requests that count progress."""

    def __init__(self, *args, run_id: str | None = None, base_url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.arguments = {k: v for k, v in kwargs.items() if isinstance(v, (str, int, float))}
        if base_url is not None:
            self.arguments["base_url"] = base_url
        self._run_id_arg = run_id
        self._base_url_arg = base_url

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.run_id = check_run_id(
            spider._run_id_arg or crawler.settings.get("CRICKET_RUN_ID") or default_run_id()
        )
        spider.base_url = (spider._base_url_arg or crawler.settings.get("CRICKET_BASE_URL")).rstrip("/")
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

    def page_failed(self, failure):
        """A page that failed after all retries leaves the run incomplete: no manifest is written."""
        request = failure.request
        if "blocked" in str(failure.value) or "robots.txt" in str(failure.value):
            return  # the block was already reported and the crawl is stopping
        self.crawler.stats.inc_value("cricket/failed_pages")
        self.logger.error("page failed after retries: %s (%s)", request.url, failure.value)

    def parse_guarded(self, parse, response):
        """Run a page parser; turn layout drift into a stop with finish reason `layout_drift`.

        The run ledger learns whether the page gave rows (one RawRows item, see `page_rows`), so it can
        tell when they are stored.
        """
        try:
            parsed = parse(response)
            rows = parsed if isinstance(parsed, list) else parsed.rows
            ledger = getattr(self.crawler, "cricket_ledger", None)
            if ledger is not None:
                ledger.page_parsed(response.url, 1 if rows else 0)
            return parsed
        except LayoutDrift as exc:
            self.logger.error(str(exc))
            self.crawler.stats.set_value("cricket/layout_drift", str(exc))
            raise CloseSpider("layout_drift") from exc
        except IncompletePage as exc:
            self.crawler.stats.inc_value("cricket/failed_pages")
            self.logger.error("%s (retries exhausted)", exc)
            return None
