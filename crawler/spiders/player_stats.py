"""Spider `player_stats`: each player's Statsguru page per type → every "Career averages"/"Career summary" row."""

from __future__ import annotations

from crawler.pages import player as page
from crawler.pages.statsguru import CLASSES, TYPES
from crawler.rawread import player_ids_from_raw
from crawler.spiders.base import CricketSpider, int_list, str_list


class PlayerStatsSpider(CricketSpider):
    name = "player_stats"

    def __init__(
        self,
        player_ids: str | None = None,
        from_raw: str | None = None,
        types: str = "batting,bowling,fielding",
        classes: str = "11",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if player_ids and from_raw:
            raise ValueError("give player_ids or from_raw, not both")
        self.player_ids = int_list(player_ids, "player_ids")
        self.from_raw = from_raw
        self.types = str_list(types, TYPES, "types")
        # 11 = Tests + ODIs + T20Is (men); women's players have their pages under 8, 9 and 10.
        self.classes = int_list(classes, "classes")
        bad = [c for c in self.classes if c not in CLASSES]
        if bad or not self.classes:
            raise ValueError(f"classes: {bad or classes!r} not in {list(CLASSES)}")
        self.arguments.update(types=types, classes=classes)
        if player_ids:
            self.arguments["player_ids"] = player_ids
        if from_raw:
            self.arguments["from_raw"] = from_raw

    async def start(self):
        ids = self.player_ids or (player_ids_from_raw(self.from_raw) if self.from_raw else [])
        if not ids:
            self.logger.error("player_stats needs player_ids=1,2,… or from_raw=<finished raw run>")
            self.crawler.stats.inc_value("cricket/failed_pages")
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
        rows = self.parse_guarded(page.parse_player_page, response)
        if rows:
            yield from self.page_rows(response, rows)
