"""Spider `player_stats`: each player's Statsguru page per type → every "Career averages"/"Career summary" row,
or (view=innings) the player's own innings list."""

from __future__ import annotations

import asyncio

from crawler.pages import player as page
from crawler.rawread import player_ids_from_raw
from crawler.spiders.base import CricketSpider


class PlayerStatsSpider(CricketSpider):
    """Parameters (cricket_contract.params): player_ids | from_raw, view, types, classes (11 = Tests + ODIs +
    T20Is, men; women's players have their pages under 8, 9 and 10), base_url, run_id.

    `view=innings` reads each player's own innings list of each class and type instead (one page, every innings,
    with `Pos` and `Dismissal`): what a refresh reads to find which innings of a player the site amended."""

    name = "player_stats"
    player_ids: tuple[int, ...] | None
    from_raw: str | None
    view: str
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
                    if self.view == "innings":
                        url = page.innings_url(self.base_url, pid, type_, klass)
                        yield self.page_request(url, self.parse_innings)
                    else:
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

    def parse_innings(self, response):
        """A player's own innings view: one item carrying an `innings` record per row.

        @replica_url /ci/engine/player/{player_id}.html?class=11;template=results;type=bowling;view=innings
        @returns items 1 1
        @returns requests 0 0
        @row_fields record class type view player_id player_cell cells source_url page match_id match_label
        """
        parsed = self.parse_guarded(page.parse_player_innings, response)
        if parsed is not None:
            yield from self.page_rows(response, parsed.rows)
