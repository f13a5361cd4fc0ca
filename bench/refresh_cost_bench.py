"""What each way of refreshing a week would cost and miss, counted on the replica's own world (no crawl).

For 15,000 players with `--corrections 5`, a full crawl as of four weeks before the world's last day and four
weekly refreshes: per strategy, the requests each week needs (pages at `size=200`), the amended innings it
misses and the curated cells that would then differ from the truth. The crawl benchmark (refresh_bench)
(bench/refresh_bench.py) crawls the chosen strategy for real; this is the arithmetic that chose it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from cricket_contract.vocabulary import FORMAT_CLASSES, MEN_CLASSES, TYPES
from replica import timeline
from replica.model import LAST_DATE, Model

PLAYERS = 15_000
SEED = 7
CORRECTIONS = 5
WEEKS = 4
OVERLAP = 7
SIZE = 200
CRAWL_DELAY = 15.0


def _pages(n: int) -> int:
    return max(1, -(-n // SIZE))  # an empty list still costs its first page


def _tabs(m: Model) -> dict[str, dict]:
    return {"batting": m.B, "bowling": m.BW, "fielding": m.F}


def full_crawl(m: Model) -> dict[str, int]:
    """Requests of a full crawl: every list of every class × type in both views, each man's class-11 player page
    per type (a woman's class-11 page has no records), one athlete JSON per player."""
    lists = careers = 0
    for tab in _tabs(m).values():
        for cls in FORMAT_CLASSES:
            sel = tab["cls"] == cls
            lists += _pages(int(sel.sum()))
            careers += _pages(len(np.unique(tab["p"][sel])))
    men = np.unique(m.F["p"][np.isin(m.F["cls"], list(MEN_CLASSES))])
    return {
        "innings lists": lists,
        "career lists": careers,
        "player pages": len(men) * len(TYPES),
        "profiles": int(m.played.sum()),
    }


def week(prev: Model, now: Model) -> dict:
    """What changed between two as-of worlds a week apart, and what each strategy fetches for it."""
    since = (prev.as_of - dt.timedelta(days=OVERLAP)).toordinal()
    until = now.as_of.toordinal()
    window = {}
    new_players: set[int] = set()
    changed: dict[str, set[int]] = {t: set() for t in TYPES}
    for typ, tab in _tabs(now).items():
        inwin = (tab["date"] >= since) & (tab["date"] <= until)
        for cls in FORMAT_CLASSES:
            window[(cls, typ)] = int((inwin & (tab["cls"] == cls)).sum())
        fresh = tab["date"] > prev.as_of.toordinal()
        changed[typ] |= set(np.unique(tab["p"][fresh]).tolist())
    new_players = set(np.flatnonzero(now.played & ~prev.played).tolist())
    # the week's corrections: outside the window they are only seen in the career totals
    amended = now.corrections[len(prev.corrections) :]
    outside = []
    for typ, row, _c, _o, _n in amended:
        tab = _tabs(now)[typ]
        changed[typ].add(int(tab["p"][row]))
        if tab["date"][row] < since:
            outside.append((typ, int(tab["p"][row]), int(tab["cls"][row]), int(tab["date"][row])))
    men = set(np.unique(now.F["p"][np.isin(now.F["cls"], list(MEN_CLASSES))]).tolist())
    moved = set().union(*changed.values()) & men
    own_views = {(t, p, c) for t, p, c, _d in outside}
    one_day = {(t, c, d) for t, _p, c, d in outside}
    own_rows = 0
    for t, p, c in own_views:
        tab = _tabs(now)[t]
        own_rows += int(((tab["p"] == p) & (tab["cls"] == c)).sum())
    return {
        "innings lists (window)": sum(_pages(n) for n in window.values()),
        "career lists": full_crawl(now)["career lists"],
        "own innings views": len(own_views),
        "one-day lists": len(one_day),
        "player pages": len(moved) * len(TYPES),
        "profiles": len(new_players),
        "amended": len(amended),
        "amended outside the window": len(outside),
        # a player's own view has Pos (and batting Dismissal) the lists never show: upserted, those cells would
        # differ from the lists' truth (1 bowling, 2 batting cells a row)
        "own-view cells differing": sum(
            int(((_tabs(now)[t]["p"] == p) & (_tabs(now)[t]["cls"] == c)).sum())
            * (2 if t == "batting" else 1)
            for t, p, c in own_views
        ),
        "own-view rows": own_rows,
    }


STRATEGIES = {
    # name: (request keys it makes, exact?, why not)
    "innings window only": (
        ("innings lists (window)",),
        "no: careers stale, every amendment outside the window missed",
    ),
    "innings window + career lists": (
        ("innings lists (window)", "career lists"),
        "no: amendments outside the window missed (the reconciliation names them)",
    ),
    "+ own innings views upserted (design notes)": (
        ("innings lists (window)", "career lists", "own innings views"),
        "no: the re-read players' Pos/Dismissal cells are filled where every other row (and the truth) has none",
    ),
    "+ own views to locate, one-day lists to re-read (chosen)": (
        ("innings lists (window)", "career lists", "own innings views", "one-day lists"),
        "yes",
    ),
}
EXTRAS = (
    "player pages",
    "profiles",
)  # every strategy: the splits of the players who moved, new players' profiles


def run(work: Path) -> str:
    base = Model(PLAYERS, SEED)
    start = LAST_DATE - dt.timedelta(days=7 * WEEKS)
    worlds = [timeline.as_of(base, start + dt.timedelta(days=7 * k), CORRECTIONS) for k in range(WEEKS + 1)]
    full = full_crawl(worlds[0])
    full_total = sum(full.values())
    weeks = [week(worlds[k], worlds[k + 1]) for k in range(WEEKS)]
    lines = [
        "## Weekly refresh: what each strategy costs (counted on the replica's world, issue 15)\n",
        f"{PLAYERS:,} players, seed {SEED}, `--corrections {CORRECTIONS}`; full crawl as of {start}, then four weekly"
        f" refreshes (overlap {OVERLAP} days, `size={SIZE}`). Requests are pages counted from the model (the"
        " refresh benchmark below crawls the chosen one for real). Full crawl: "
        + ", ".join(f"{k} {v:,}" for k, v in full.items())
        + f" = **{full_total:,}** requests ({full_total * CRAWL_DELAY / 3600:,.0f} h at Crawl-delay 15).\n",
        "| week (as of) | innings-list pages (window) | amended | outside window | own views | one-day lists"
        " | players moved (men) | new players |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, w in enumerate(weeks):
        lines.append(
            f"| {worlds[k + 1].as_of} | {w['innings lists (window)']} pages | {w['amended']} |"
            f" {w['amended outside the window']} | {w['own innings views']} | {w['one-day lists']} |"
            f" {w['player pages'] // 3} | {w['profiles']} |"
        )
    lines += [
        "",
        "| strategy | requests a week (max of 4) | share of the full crawl | hours at Crawl-delay 15 | exact |",
        "|---|---|---|---|---|",
    ]
    for name, (keys, exact) in STRATEGIES.items():
        per = [sum(w[k] for k in (*keys, *EXTRAS)) for w in weeks]
        worst = max(per)
        lines.append(
            f"| {name} | {worst:,} | {worst / full_total:.2%} | {worst * CRAWL_DELAY / 3600:.1f} | {exact} |"
        )
    cells = max(w["own-view cells differing"] for w in weeks)
    lines += [
        "",
        f"Upserting a player's own innings view re-reads all of that player's innings of the class (up to"
        f" {max(w['own-view rows'] for w in weeks):,} rows a week here) and fills their `position` (batting also"
        f" `dismissal`), which no results list shows: up to {cells:,} cells a week that differ from every other"
        " row and from the truth. The chosen strategy uses the view only to find the amended match, then re-reads"
        " that day's results list for the class and type (one page), so every innings row keeps the lists' shape.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(Path("/tmp")))
