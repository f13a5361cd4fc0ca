"""What a refresh must crawl: full (the backfill) or a delta since the watermark, its runs and their estimated cost."""

from __future__ import annotations

import datetime as dt
import math
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cricket_contract.refresh import OVERLAP_DAYS, RefreshState, RunRef
from cricket_contract.vocabulary import ALL_MEN_CLASS, DEFAULT_PAGE_SIZE, FORMAT_CLASSES, TYPES, WOMEN_CLASSES

SIZE = DEFAULT_PAGE_SIZE
LISTS = [(c, t) for c in FORMAT_CLASSES for t in TYPES]


@dataclass
class PlannedRun:
    """One raw run of a refresh. `arguments`: the spider's parameters as text (run_id included); `requests`:
    estimated requests per host; `stage` 1 runs need nothing, stage 2 runs are derived from stage 1's rows
    (their arguments are only known then: `arguments` lists what is known); `snapshot`: whether the transform
    reads it (a player's own innings views only locate amended innings and are not)."""

    spider: str
    purpose: str
    arguments: dict[str, Any]
    requests: dict[str, int]
    stage: int = 1
    snapshot: bool = True

    @property
    def run_id(self) -> str:
        return self.arguments["run_id"]

    def ref(self) -> RunRef:
        return RunRef(self.spider, self.run_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "spider": self.spider,
            "purpose": self.purpose,
            "run_id": self.arguments.get("run_id"),
            "arguments": self.arguments,
            "requests": self.requests,
            "stage": self.stage,
            "snapshot": self.snapshot,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PlannedRun:
        return cls(
            doc["spider"],
            doc["purpose"],
            dict(doc["arguments"]),
            dict(doc["requests"]),
            int(doc.get("stage", 1)),
            bool(doc.get("snapshot", True)),
        )


@dataclass
class Decision:
    """What this refresh is: `full` (a new backfill, or continuing one), `delta`, or `none` (already done)."""

    kind: str
    refresh_id: str
    until: dt.date
    since: dt.date | None = None
    continuing: bool = False  # a backfill a previous refresh started (its `done` runs are skipped)
    reason: str = ""


def decide(
    state: RefreshState | None,
    until: dt.date,
    full: bool,
    overlap_days: int = OVERLAP_DAYS,
    full_every_weeks: int | None = None,
) -> Decision:
    """Full without a state (or a snapshot), with --full, every `full_every_weeks` weeks, or while a backfill is
    unfinished; else the delta since the watermark minus the overlap; `none` when the refresh up to `until`
    has already finished."""
    if state is not None and state.backfill:
        bf = state.backfill
        day = dt.date.fromisoformat(bf["until"])
        return Decision("full", bf["refresh_id"], day, continuing=True, reason="continuing the backfill")
    if state is None or not state.snapshot or state.watermark is None:
        return Decision("full", f"full-{until.isoformat()}", until, reason="no refresh state: the backfill")
    last = state.refreshes[-1] if state.refreshes else {}
    last_full = (state.last_full or {}).get("until")
    why = "--full"
    if (
        not full
        and full_every_weeks
        and last_full
        and until.toordinal() - dt.date.fromisoformat(last_full).toordinal() >= 7 * full_every_weeks
    ):
        full, why = True, f"the last full crawl read up to {last_full}, {full_every_weeks} weeks or more ago"
    if full:
        rid = f"full-{until.isoformat()}"
        if last.get("refresh_id") == rid:
            return Decision("none", rid, until, reason=f"{rid} already finished")
        return Decision("full", rid, until, reason=why)
    rid = f"delta-{until.isoformat()}"
    if last.get("refresh_id") in (rid, f"full-{until.isoformat()}") or until <= state.watermark:
        return Decision("none", rid, until, reason=f"the raw zone is complete up to {state.watermark}")
    since = state.watermark - dt.timedelta(days=overlap_days)
    return Decision(
        "delta", rid, until, since=since, reason=f"delta since {state.watermark} − {overlap_days} days"
    )


# ---------------------------------------------------------------------------------------------- hosts


def host(url: str) -> str:
    return urlsplit(url).netloc


def profile_host(base_url: str) -> str:
    from crawler.spiders.profiles import athlete_base_for

    return host(athlete_base_for(base_url))


def robots(base: str, user_agent: str):
    """The host's robots.txt parsed by Protego (Scrapy's parser: `*` and `$` patterns, as the site's file
    uses), or None when there is none to read."""
    from protego import Protego

    try:
        req = urllib.request.Request(f"{base.rstrip('/')}/robots.txt", headers={"User-Agent": user_agent})
        with urllib.request.urlopen(req, timeout=20) as resp:
            return Protego.parse(resp.read().decode("utf-8", "replace"))
    except OSError:
        return None


def crawl_delay(rp, user_agent: str, default: float) -> float:
    """The robots.txt Crawl-delay for our user agent, else `default` (DOWNLOAD_DELAY)."""
    delay = rp.crawl_delay(user_agent) if rp is not None else None
    return max(float(delay), default) if delay else default


class ProbeBlocked(PermissionError):
    """robots.txt forbids a page the plan would read to cost a full crawl (the crawl would be blocked too)."""


# ---------------------------------------------------------------------------------------------- runs


def _args(run_id: str, **kwargs: Any) -> dict[str, Any]:
    out = {"run_id": run_id}
    for k, v in kwargs.items():
        if v is None:
            continue
        out[k] = (
            v.isoformat()
            if isinstance(v, dt.date)
            else ",".join(map(str, v))
            if isinstance(v, (list, tuple))
            else str(v)
        )
    return out


def list_runs(d: Decision, stats_host: str, pages: dict[str, dict[str, int]]) -> list[PlannedRun]:
    """Stage 1: every career list, and the innings lists: for a delta the window (one run), for a full crawl
    one run per class and type (the longest a few hours at Crawl-delay 15, so a backfill can stop between
    them). `pages`: estimated pages per list (`class/type`) of each view."""
    rid = d.refresh_id
    career = PlannedRun(
        "statsguru",
        "career lists",
        _args(f"{rid}.career", view="career"),
        {stats_host: sum(pages["career"].values())},
    )
    if d.kind == "delta":
        window = PlannedRun(
            "statsguru",
            "innings window",
            _args(f"{rid}.innings", view="innings", since=d.since, until=d.until),
            {stats_host: sum(pages["innings"].values())},
        )
        return [career, window]
    return [career] + [
        PlannedRun(
            "statsguru",
            "innings lists",
            _args(f"{rid}.innings-{c}-{t}", view="innings", classes=(c,), types=(t,), until=d.until),
            {stats_host: pages["innings"].get(f"{c}/{t}", 1)},
        )
        for c, t in LISTS
    ]


def chunks(ids: list[int], per_id: int, max_requests: int | None) -> list[list[int]]:
    """`ids` in runs of at most `max_requests` requests each (one run without a budget)."""
    if not ids:
        return []
    n = len(ids) if not max_requests else max(1, max_requests // max(per_id, 1))
    return [ids[i : i + n] for i in range(0, len(ids), n)]


def player_runs(
    rid: str,
    men: list[int],
    everyone: list[int],
    stats_host: str,
    prof_host: str,
    max_requests: int | None = None,
) -> list[PlannedRun]:
    """Stage 2 of both kinds: the player pages of `men` (class 11, every type) and the profiles of `everyone`."""
    runs = []
    for i, part in enumerate(chunks(men, len(TYPES), max_requests)):
        suffix = f"-{i + 1}" if len(men) > len(part) else ""
        runs.append(
            PlannedRun(
                "player_stats",
                "player pages",
                _args(f"{rid}.players{suffix}", player_ids=part),
                {stats_host: len(part) * len(TYPES)},
                stage=2,
            )
        )
    for i, part in enumerate(chunks(everyone, 1, max_requests)):
        suffix = f"-{i + 1}" if len(everyone) > len(part) else ""
        runs.append(
            PlannedRun(
                "profiles",
                "profiles",
                _args(f"{rid}.profiles{suffix}", player_ids=part),
                {prof_host: len(part)},
                stage=2,
            )
        )
    return runs


def estimated_player_runs(
    rid: str, men: int, players: int, stats_host: str, prof_host: str, max_requests: int | None = None
) -> list[PlannedRun]:
    """The player runs of `player_runs` before their players are known (a plan): counts stand for the ids."""
    runs = player_runs(rid, list(range(men)), list(range(players)), stats_host, prof_host, max_requests)
    for r in runs:
        n = len(r.arguments["player_ids"].split(","))
        who = "men" if r.spider == "player_stats" else "players"
        r.arguments["player_ids"] = f"<{n} {who} of the career lists>"
    return runs


def own_view_runs(
    rid: str, candidates: dict[tuple[int, str], list[int]], stats_host: str
) -> list[PlannedRun]:
    """Stage 2 of a delta: the own innings views of players whose careers moved more than their innings did."""
    return [
        PlannedRun(
            "player_stats",
            "own innings views",
            _args(f"{rid}.own-{c}-{t}", view="innings", player_ids=ids, classes=(c,), types=(t,)),
            {stats_host: len(ids)},
            stage=2,
            snapshot=False,
        )
        for (c, t), ids in sorted(candidates.items())
    ]


def one_day_runs(rid: str, days: set[tuple[int, str, dt.date]], stats_host: str) -> list[PlannedRun]:
    """Stage 3 of a delta: the innings list of each amended match's day, class and type, read again."""
    return [
        PlannedRun(
            "statsguru",
            "one-day lists",
            _args(f"{rid}.day-{c}-{t}-{day}", view="innings", classes=(c,), types=(t,), since=day, until=day),
            {stats_host: 1},
            stage=3,
        )
        for c, t, day in sorted(days)
    ]


# ---------------------------------------------------------------------------------------------- estimates


@dataclass
class Estimate:
    """Pages per list and player counts a plan is costed with, and where they came from."""

    pages: dict[str, dict[str, int]]
    men: int = 0
    players: int = 0
    own_views: int = 0
    one_day: int = 0
    source: str = ""
    lists: dict[str, Any] = field(default_factory=dict)


def _pages(rows: int) -> int:
    return max(1, math.ceil(rows / SIZE))


def probe_full(base_url: str, user_agent: str, delay: float, rp=None, sleep=None) -> Estimate:
    """Cost a full crawl from the site itself: page 1 of every list (its "Page 1 of N"), and the last page of
    the fielding career lists of class 11 and the women's classes (everyone who played is on them) to count
    the players: about 40 requests, spaced by `delay` (the host's Crawl-delay)."""
    import time

    from scrapy.http import HtmlResponse

    from crawler.pages import statsguru as page

    sleep = sleep or time.sleep
    first = [True]

    def fetch(url: str):
        if rp is not None and not rp.can_fetch(url, user_agent):
            raise ProbeBlocked(f"robots.txt disallows {url}: a full crawl would be blocked (exit 2)")
        if not first[0] and delay:
            sleep(delay)
        first[0] = False
        req = urllib.request.Request(url, headers={"User-Agent": user_agent})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return page.parse_results(HtmlResponse(url, body=resp.read(), encoding="utf-8"))

    def rows(klass: int, parsed) -> int:
        """Rows of the fielding career list of `klass` (everyone who played it), from its first page."""
        n = max(parsed.pages, 1)
        last = parsed if n == 1 else fetch(page.results_url(base_url, klass, "fielding", "career", n, SIZE))
        return (n - 1) * SIZE + len(last.rows)

    pages: dict[str, dict[str, int]] = {"career": {}, "innings": {}}
    women: list[int] = []
    for view in ("career", "innings"):
        for c, t in LISTS:
            parsed = fetch(page.results_url(base_url, c, t, view, 1, SIZE))
            pages[view][f"{c}/{t}"] = max(parsed.pages, 1)
            if view == "career" and t == "fielding" and c in WOMEN_CLASSES:
                women.append(rows(c, parsed))
    # class 11 lists every man once (his page covers his three formats); women have no such class: their
    # number lies between the largest format's list and the sum of the three, taken half way
    men = rows(ALL_MEN_CLASS, fetch(page.results_url(base_url, ALL_MEN_CLASS, "fielding", "career", 1, SIZE)))
    woman = (max(women, default=0) + sum(women)) // 2
    return Estimate(pages, men=men, players=men + woman, source="probed page 1 of every list")


def from_history(state: RefreshState, d: Decision) -> Estimate:
    """Cost a refresh from what the last refreshes found (their `counts`): career pages as last read, the
    innings window scaled by its length, own views and one-day lists as the last refresh needed."""
    counts = [r.get("counts") or {} for r in state.refreshes]
    last = counts[-1] if counts else {}
    career = dict(last.get("career_pages") or {})
    window = next((c for c in reversed(counts) if c.get("window_pages")), None)
    days = (d.until - d.since).days + 1 if d.since else 1
    innings = {}
    for key in [f"{c}/{t}" for c, t in LISTS]:
        career.setdefault(key, 1)
        if window:
            rows = window["window_rows"].get(key, 0) * days / max(window.get("window_days", days), 1)
            innings[key] = _pages(int(math.ceil(rows)))
        else:
            innings[key] = 1
    deltas = [c for c in counts if c.get("kind") == "delta"]
    prev = deltas[-1] if deltas else {}
    return Estimate(
        {"career": career, "innings": innings},
        men=int(prev.get("moved_men", 0)),
        players=int(prev.get("new_players", 0)),
        own_views=int(prev.get("own_views", 0)),
        one_day=int(prev.get("one_day", 0)),
        source="the last refreshes' counts" if prev else "the last full crawl's counts",
    )
