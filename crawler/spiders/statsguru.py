"""Spider `statsguru`: results lists of every class × type, career or innings view, all pages at once."""

from __future__ import annotations

from crawler.pages import statsguru as page
from crawler.spiders.base import CricketSpider, int_list, str_list


class StatsguruSpider(CricketSpider):
    name = "statsguru"

    def __init__(
        self,
        classes: str = "1,2,3,8,9,10",
        types: str = "batting,bowling,fielding",
        view: str = "career",
        size: str = "200",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.classes = int_list(classes, "classes")
        bad = [c for c in self.classes if c not in page.CLASSES]
        if bad or not self.classes:
            raise ValueError(f"classes: {bad or classes!r} not in {list(page.CLASSES)}")
        self.types = str_list(types, page.TYPES, "types")
        if view not in page.VIEWS:
            raise ValueError(f"view: {view!r} not in {list(page.VIEWS)}")
        self.view = view
        self.size = int(size)
        if self.size not in page.SIZES:
            raise ValueError(f"size: {size!r} not in {list(page.SIZES)}")
        self.arguments.update(classes=classes, types=types, view=view, size=str(size))

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
