"""Spider `statsguru`: results lists of every class × type, career or innings view, all pages at once."""

from __future__ import annotations

from crawler.pages import statsguru as page
from crawler.spiders.base import CricketSpider


class StatsguruSpider(CricketSpider):
    """Parameters (cricket_contract.params): classes, types, view, size, base_url, run_id."""

    name = "statsguru"
    classes: tuple[int, ...]
    types: tuple[str, ...]
    view: str
    size: int

    async def start(self):
        for klass in self.classes:
            for type_ in self.types:
                url = page.results_url(self.base_url, klass, type_, self.view, 1, self.size)
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
            url = page.results_url(self.base_url, parsed.klass, parsed.type, parsed.view, n, self.size)
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
