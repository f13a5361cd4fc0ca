"""Spider `profiles`: athlete JSON or __NEXT_DATA__ first, Chromium (crawler.browser) only when needed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import browser
from crawler.items import RawRows
from crawler.pages import profiles as page
from crawler.spiders.base import CricketSpider
from cricket_contract import profiles as readers
from cricket_contract.vocabulary import PROFILE

# The real site serves athlete JSON from ESPN's core API (over http; https was reported removed).
REAL_ATHLETE_BASE = "http://core.espnuk.org"

# After this many athlete JSON failures in a row (its host down, moved or refusing us), the players
# still to come go straight to their profile pages: a dead host would cost each of them its retries
# and timeouts first.
ATHLETE_GIVE_UP_AFTER = 10


def athlete_base_for(base_url: str) -> str:
    """Where athlete JSON lives: ESPN's core API for the real site, the same host for the replica."""
    host = urlsplit(base_url).hostname or ""
    return REAL_ATHLETE_BASE if host == "espncricinfo.com" or host.endswith(".espncricinfo.com") else base_url


class ProfilesSpider(CricketSpider):
    """Profiles for `player_ids` (or every player of the raw run `from_raw`).

    `render=auto` (default) reads the athlete JSON (one request per player), else `__NEXT_DATA__`
    from the profile page (the 302 and the page), and opens Chromium only for a player whose data is
    in neither; `always` renders every profile; `never` never starts a browser. Arguments:
    player_ids | from_raw, base_url, render, render_timeout_ms (how long to wait for the profile
    selector), athlete_base_url.
    """

    name = "profiles"
    custom_settings = {
        **browser.PLAYWRIGHT_SETTINGS,
        # Scrapy's check re-parses a generator callback's source whenever its small cache of bound
        # methods misses, which on the fast path is most responses: pure overhead here.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # A callback yields one item or one request, but Scrapy starts CONCURRENT_ITEMS (default
        # 100) asyncio tasks for every callback's output whatever its length: measured, about 30% of
        # the fast path's CPU went to creating and scheduling them.
        "CONCURRENT_ITEMS": 1,
    }

    player_ids: tuple[int, ...] | None
    from_raw: str | None
    render: str
    render_timeout_ms: int
    athlete_base_url: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._athlete_failures_in_row = 0
        self._athlete_given_up = False
        self._athlete_open = 0  # athlete JSON requests sent and not yet answered
        self._athlete_answered = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProfilesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)  # sets run_id and base_url
        spider.athlete_base_url = (spider.athlete_base_url or athlete_base_for(spider.base_url)).rstrip("/")
        spider.lanes = browser.RenderLanes(
            crawler=crawler,
            lanes=browser.lane_count(crawler.settings),
            timeout_ms=spider.render_timeout_ms,
            callback=spider.parse_rendered,
            errback=spider.render_failed,
        )
        # start() pauses at 3 × CONCURRENT_REQUESTS unanswered athlete requests and goes on at 2 ×:
        # the downloader stays full, and start() wakes once per CONCURRENT_REQUESTS answers.
        concurrency = max(1, crawler.settings.getint("CONCURRENT_REQUESTS") or 16)
        spider.athlete_window = (2 * concurrency, 3 * concurrency)
        if spider.render == "never" and crawler.settings.getpriority("DOWNLOAD_HANDLERS") <= 30:
            # Without a browser there is no reason to start Playwright's driver at all.
            crawler.settings.set("DOWNLOAD_HANDLERS", {}, priority="spider")
        return spider

    # ------------------------------------------------------------------ routing

    async def start(self) -> AsyncIterator[scrapy.Request]:
        ids = self.player_ids
        if ids is None and self.from_raw is not None:
            from crawler.rawread import player_ids_from_raw  # the crawler's raw-run reader

            ids = await asyncio.to_thread(player_ids_from_raw, self.from_raw)  # storage I/O: off the reactor
        if not ids:
            # Checked here, not in __init__, so `scrapy check` can build the spider without arguments.
            self.logger.error("profiles needs player_ids=1,2,… or from_raw=<finished raw run> naming players")
            self.run_incomplete("no players to crawl")
            return
        self.crawler.stats.set_value("cricket/profiles/requested", len(ids))
        self.logger.info("profiles: %d players, render=%s", len(ids), self.render)
        for player_id in ids:
            self.crawler.stats.inc_value("cricket/pages_known")  # progress counts one page per player
            if self.render == "always":
                for request in self.lanes.queue(self.profile_url(player_id), player_id):
                    yield request
                continue
            await self.room_for_athlete_request()
            if self._athlete_given_up:
                self.crawler.stats.inc_value("cricket/profiles/athlete_json_skipped")
                yield self.profile_request(player_id)
            else:
                # The athlete JSON first: one request where the profile page takes two (the 302
                # and the page), with every field a profile needs. It lists teams only as $refs;
                # the transformer takes `players.teams` from the lists' player cells first anyway.
                self._athlete_open += 1
                yield self.athlete_request(player_id)

    async def room_for_athlete_request(self) -> None:
        """Hold start() while too many athlete requests are unanswered (see `athlete_window`).

        Scrapy drains start() into its scheduler at once; without this, giving up on a dead API host
        would come after every player's request was queued for it. Five seconds' wait at most, so
        an answer that went uncounted can never stall the crawl.
        """
        while self._athlete_open >= self.athlete_window[1] and not self._athlete_given_up:
            self._athlete_answered.clear()
            try:
                await asyncio.wait_for(self._athlete_answered.wait(), timeout=5.0)
            except TimeoutError:
                return

    def athlete_answered(self) -> None:
        self._athlete_open -= 1
        if self._athlete_open <= self.athlete_window[0]:
            self._athlete_answered.set()

    def profile_url(self, player_id: int) -> str:
        return f"{self.base_url}/ci/content/player/{player_id}.html"

    def athlete_url(self, player_id: int) -> str:
        return f"{self.athlete_base_url}/v2/sports/cricket/athletes/{player_id}"

    def athlete_request(self, player_id: int) -> scrapy.Request:
        return scrapy.Request(
            self.athlete_url(player_id),
            callback=self.parse_athlete,
            errback=self.athlete_failed,
            cb_kwargs={"player_id": player_id},
            # ids are distinct already; skipping the dupe filter spares a fingerprint per profile.
            dont_filter=True,
            # The API host's robots.txt refusing it is no block: the profile page stands in.
            meta={"cricket_optional": True},
        )

    def profile_request(self, player_id: int) -> scrapy.Request:
        return scrapy.Request(
            self.profile_url(player_id),
            callback=self.parse_profile,
            errback=self.profile_failed,
            cb_kwargs={"player_id": player_id},
            dont_filter=True,  # one per player (the redirect inherits the flag)
        )

    # ------------------------------------------------------------------ callbacks

    def parse_athlete(self, response: Response, player_id: int | None = None) -> Iterator[Any]:
        """Fast path, first source: the ESPN core athlete JSON; else the profile page's __NEXT_DATA__.

        (`@meta` clears `cricket_page`: a JSON document has no `</html>` for the truncated-page check.)

        @replica_url /v2/sports/cricket/athletes/{player_id}
        @meta {"cricket_page": false}
        @returns items 1 1
        @rows 1 1
        @returns requests 0 0
        @row_fields record player_id source data source_url
        """
        player_id = player_id or _url_player_id(response)
        try:
            doc = response.json()
            profile = readers.parse_athlete(doc)
        except (ValueError, readers.ProfileParseError) as exc:
            retry = get_retry_request(response.request, spider=self, reason="unreadable_json")
            if retry is not None:  # most often a truncated transfer
                yield retry
                return
            self.logger.warning("athlete JSON for player %d unreadable: %s", player_id, exc)
            self.crawler.stats.inc_value("cricket/profiles/athlete_json_unreadable")
            self.athlete_answered()
            self.athlete_json_missed(str(exc))
            yield self.profile_request(player_id)
            return
        self.athlete_answered()
        self._athlete_failures_in_row = 0
        if profile.player_id != player_id:
            self.fail(player_id, "id_mismatch", f"{response.url} holds player {profile.player_id}")
        elif profile.complete:
            yield self.item(player_id, "athlete_json", doc, response.url)
        else:
            self.crawler.stats.inc_value("cricket/profiles/athlete_json_incomplete")
            yield self.profile_request(player_id)

    def parse_profile(self, response: Response, player_id: int | None = None) -> Iterator[Any]:
        """Fast path, second source: the profile page's __NEXT_DATA__ player object; the browser when
        the page lacks it (`render=auto`).

        @replica_url /ci/content/player/{player_id}.html
        @returns items 1 1
        @rows 1 1
        @returns requests 0 0
        @row_fields record player_id source data source_url
        """
        player_id = player_id or _url_player_id(response)
        if b"</html>" not in response.body[-2048:].lower():
            # Cut off in transit: retry like a failed download; once retries are spent, read what came.
            retry = get_retry_request(response.request, spider=self, reason="truncated_page")
            if retry is not None:
                yield retry
                return
        try:
            player = readers.next_data_player(response.text)
            profile = readers.parse_next_data_player(player) if player is not None else None
        except readers.ProfileParseError as exc:
            self.logger.warning("__NEXT_DATA__ of player %d unreadable: %s", player_id, exc)
            player = profile = None
        if profile is None:
            self.crawler.stats.inc_value("cricket/profiles/no_next_data")
            yield from self.after_fast_path(
                player_id, response.url, "no_next_data", f"{response.url} has no __NEXT_DATA__ player"
            )
        elif profile.player_id != player_id:
            self.fail(player_id, "id_mismatch", f"{response.url} holds player {profile.player_id}")
        elif profile.complete:
            yield self.item(player_id, "next_data", player, response.url)
        else:
            self.crawler.stats.inc_value("cricket/profiles/next_data_incomplete")
            yield from self.after_fast_path(
                player_id, response.url, "next_data_incomplete", f"missing {list(profile.missing)}"
            )

    def parse_rendered(self, response: Response, player_id: int) -> Iterator[Any]:
        """Chromium's DOM after the profile's script ran: the `data-field` details."""
        yield from self.rendered_item(response, player_id)
        yield from self.lanes.next(response.meta.get("playwright_page"))

    def rendered_item(self, response: Response, player_id: int) -> Iterator[Any]:
        fields = page.rendered_fields(response.text)
        if fields is None:
            self.fail(player_id, "not_rendered", f"{response.url} has no {page.PROFILE_SELECTOR}")
            return
        try:
            profile = readers.parse_rendered(fields, response.url)
        except readers.ProfileParseError as exc:
            self.fail(player_id, "unreadable", f"{response.url}: {exc}")
            return
        if profile.player_id != player_id:
            self.fail(player_id, "id_mismatch", f"{response.url} holds player {profile.player_id}")
            return
        yield self.item(player_id, "rendered", fields, response.url)

    # ------------------------------------------------------------------ failures

    def athlete_failed(self, failure: Failure) -> Iterator[Any]:
        """The athlete JSON failed after the downloader's retries: try the profile page instead."""
        player_id = failure.request.cb_kwargs["player_id"]
        self.crawler.stats.inc_value("cricket/profiles/athlete_json_failed")
        self.logger.info(
            "athlete JSON of player %d failed (%s); trying the profile page", player_id, _why(failure)
        )
        self.athlete_answered()
        self.athlete_json_missed(_why(failure))
        yield self.profile_request(player_id)

    def athlete_json_missed(self, why: str) -> None:
        self._athlete_failures_in_row += 1
        if self._athlete_failures_in_row >= ATHLETE_GIVE_UP_AFTER and not self._athlete_given_up:
            self._athlete_given_up = True
            self.logger.warning(
                "the athlete JSON failed for %d players in a row (last: %s); the players still to "
                "come go straight to their profile pages",
                self._athlete_failures_in_row,
                why,
            )

    def profile_failed(self, failure: Failure) -> Iterator[Any]:
        player_id = failure.request.cb_kwargs["player_id"]
        self.crawler.stats.inc_value("cricket/profiles/profile_page_failed")
        yield from self.after_fast_path(player_id, None, "profile_page_failed", _why(failure))

    def after_fast_path(
        self, player_id: int, page_url: str | None, reason: str, detail: str
    ) -> Iterator[Any]:
        """Neither fast source had the data: render in `auto`, give up in `never`."""
        if self.render == "auto":
            self.crawler.stats.inc_value("cricket/profiles/render_fallback")
            # The page the redirect led to, when known, spares the browser the redirect.
            yield from self.lanes.queue(page_url or self.profile_url(player_id), player_id)
        else:
            self.fail(player_id, reason, detail)

    def render_failed(self, failure: Failure) -> Iterator[Any]:
        """A browser request failed. A selector that never appeared (a timeout) is retried like any
        download error, up to RETRY_TIMES; then the player is reported failed and the crawl goes on."""
        request = failure.request
        player_id = request.cb_kwargs["player_id"]
        if "BrowserType.launch" in str(failure.value):
            # No browser, no rendered profiles: a clear stop, not a run of failed items.
            self.logger.error(
                "Chromium could not start (%s); install Debian's chromium (`make chromium`) or set "
                "CRICKET_CHROMIUM / PLAYWRIGHT_LAUNCH_OPTIONS",
                str(failure.value).strip().splitlines()[0],
            )
            raise CloseSpider("browser_unavailable")
        if not failure.check(HttpError):  # HTTP errors were already retried by RetryMiddleware
            retry = get_retry_request(
                request, spider=self, reason=f"playwright/{type(failure.value).__name__}"
            )
            if retry is not None:
                yield retry  # same lane, same page
                return
        reason = "render_timeout" if "Timeout" in type(failure.value).__name__ else "render_failed"
        self.fail(player_id, reason, _why(failure))
        yield from self.lanes.next(request.meta.get("playwright_page"))

    def fail(self, player_id: int, reason: str, detail: str) -> None:
        """Count and log a player whose profile could not be read; the crawl continues."""
        stats = self.crawler.stats
        stats.inc_value("cricket/profiles/failed")
        stats.inc_value(f"cricket/profiles/failed/{reason}")
        stats.inc_value("cricket/pages_done")
        self.logger.error("profile of player %d failed (%s): %s", player_id, reason, detail)

    # ------------------------------------------------------------------ items

    def item(self, player_id: int, source: str, data: dict[str, Any], url: str) -> RawRows:
        """A profile record, carried like every page's records: a RawRows of one row."""
        self.crawler.stats.inc_value(f"cricket/profiles/source/{source}")
        self.crawler.stats.inc_value("cricket/pages_done")
        return RawRows(
            url,
            [{"record": PROFILE, "player_id": player_id, "source": source, "data": data, "source_url": url}],
        )


def _url_player_id(response: Response) -> int:
    """The player a response is about, from its URL (callbacks run by `scrapy check` get no cb_kwargs)."""
    for url in (response.url, response.request.url if response.request else ""):
        player_id = readers.player_id_from_url(url)
        if player_id is not None:
            return player_id
    raise ValueError(f"no player id in {response.url}")


def _why(failure: Failure) -> str:
    value = failure.value
    if isinstance(value, HttpError):
        return f"HTTP {value.response.status} {value.response.url}"
    text = str(value).strip().splitlines()
    return f"{type(value).__name__}: {text[0] if text else ''}"
