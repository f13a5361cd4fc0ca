"""Spider `statsguru`: results lists of every class × type, career or innings view, all pages at once."""

from __future__ import annotations

import datetime as dt

from crawler.pages import statsguru as page
from crawler.spiders.base import CricketSpider

MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)  # not the locale's


class StatsguruSpider(CricketSpider):
    """Parameters (cricket_contract.params): classes, types, view, size, since, until, base_url, run_id.

    `since`/`until` (innings lists only) become the site's span filter, and the list is then ordered by start
    date so its pages do not shift while they are read."""

    name = "statsguru"
    classes: tuple[int, ...]
    types: tuple[str, ...]
    view: str
    size: int
    since: dt.date | None
    until: dt.date | None

    def list_url(self, klass: int, type_: str, view: str, n: int) -> str:
        """Page `n` of a list, with the span filter and start-date order when the run has a date window."""
        return page.results_url(self.base_url, klass, type_, view, n, self.size) + span_query(
            self.since, self.until
        )

    async def start(self):
        for klass in self.classes:
            for type_ in self.types:
                url = self.list_url(klass, type_, self.view, 1)
                # Page 1 is fetched again on a resume (dont_filter) to learn the page count.
                yield self.page_request(url, self.parse_first, dont_filter=True)

    def parse_first(self, response):
        """Page 1 of a list: its rows (one item), then every other page of the list at once.

        @replica_url /ci/engine/stats/index.html?class=1;template=results;type=batting;page=1;size=50
        @returns items 1 1
        @rows 1 50
        @returns requests 0
        @row_fields record class type view player_id player_cell cells source_url page
        """
        parsed = self.parse_guarded(page.parse_results, response)
        if parsed is None:
            return
        yield from self.page_rows(response, parsed.rows)
        for n in range(2, parsed.pages + 1):
            url = self.list_url(parsed.klass, parsed.type, parsed.view, n)
            yield self.page_request(url, self.parse_page)

    def parse_page(self, response):
        """Any later page of a list: its rows only (one item).

        @replica_url /ci/engine/stats/index.html?class=2;template=results;type=bowling;view=innings;page=2;size=50
        @returns items 1 1
        @rows 50 50
        @returns requests 0 0
        @row_fields record class type view player_id player_cell cells source_url page match_id match_label
        """
        parsed = self.parse_guarded(page.parse_results, response)
        if parsed is not None:
            yield from self.page_rows(response, parsed.rows)


def site_date(day: dt.date) -> str:
    """A date as the site's span filter writes it: `01+Jan+2020`."""
    return f"{day.day:02d}+{MONTHS[day.month - 1]}+{day.year}"


def span_query(since: dt.date | None, until: dt.date | None) -> str:
    """`;spanmin1=…;spanmax1=…;spanval1=span;orderby=start` for a date window ("" without one)."""
    if since is None and until is None:
        return ""
    out = ""
    if since is not None:
        out += f";spanmin1={site_date(since)}"
    if until is not None:
        out += f";spanmax1={site_date(until)}"
    return out + ";spanval1=span;orderby=start"
