"""Spider `player_stats`: each player's Statsguru page per type → every "Career averages"/"Career summary" row."""

from __future__ import annotations

import asyncio

from crawler.pages import player as page
from crawler.rawread import player_ids_from_raw
from crawler.spiders.base import CricketSpider


class PlayerStatsSpider(CricketSpider):
    """Parameters (cricket_contract.params): player_ids | from_raw, types, classes (11 = Tests + ODIs + T20Is,
    men; women's players have their pages under 8, 9 and 10), base_url, run_id."""

    name = "player_stats"
    player_ids: tuple[int, ...] | None
    from_raw: str | None
    types: tuple[str, ...]
    classes: tuple[int, ...]

    async def start(self):
        # Reading the raw runs is storage I/O: off the reactor thread.
        ids = self.player_ids or (
            await asyncio.to_thread(player_ids_from_raw, self.from_raw) if self.from_raw else []
        )
        if not ids:
            self.logger.error("player_stats needs player_ids=1,2,… or from_raw=<finished raw run>")
            self.run_incomplete("no players to crawl")
            return
        self.logger.info(
            "player_stats: %d players × %d classes × %d types", len(ids), len(self.classes), len(self.types)
        )
        for pid in ids:
            for klass in self.classes:
                for type_ in self.types:
                    yield self.page_request(
                        page.player_url(self.base_url, pid, type_, klass), self.parse_player
                    )

    def parse_player(self, response):
        """A player's page: one item carrying a record per row of "Career averages" and "Career summary".

        @replica_url /ci/engine/player/{player_id}.html?class=11;template=results;type=batting
        @returns items 1 1
        @rows 3
        @returns requests 0 0
        @row_fields record class type player_id caption grouping section cells source_url
        """
        parsed = self.parse_guarded(page.parse_player_page, response)
        if parsed is not None:
            yield from self.page_rows(response, parsed.rows)
