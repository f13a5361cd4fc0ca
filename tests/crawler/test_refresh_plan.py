"""What a refresh is (crawler.plan.decide) and a backfill split by --max-requests, continued run after run."""

from __future__ import annotations

import datetime as dt
import json

from crawler.plan import chunks, decide
from cricket_contract.refresh import RefreshState, RunRef
from tests.crawler.test_crawl_replica import FAST
from tests.crawler.test_refresh_crawl import _plan, _refresh, _state

D = dt.date(2026, 4, 24)


def _done(until: str, **kw) -> RefreshState:
    return RefreshState(
        watermark=dt.date.fromisoformat(until),
        snapshot=[RunRef("statsguru", "full-x.career")],
        last_full={"refresh_id": "full-x", "until": kw.get("full_until", until)},
        refreshes=[{"refresh_id": kw.get("rid", f"full-{until}")}],
    )


def test_what_a_refresh_is():
    assert decide(None, D, False).kind == "full"
    assert decide(RefreshState(), D, False).reason == "no refresh state: the backfill"
    d = decide(_done("2026-04-17"), D, False)
    assert (d.kind, d.refresh_id, d.since, d.until) == ("delta", "delta-2026-04-24", dt.date(2026, 4, 10), D)
    assert decide(_done("2026-04-17"), D, False, overlap_days=3).since == dt.date(2026, 4, 14)
    assert decide(_done("2026-04-24", rid="delta-2026-04-24"), D, False).kind == "none"  # a DAG re-run
    assert decide(_done("2026-04-17"), D, True).kind == "full"
    assert decide(_done("2026-04-24"), D, True).kind == "none"  # that full crawl already finished
    # a full re-crawl once the last one is 13 weeks old
    old = _done("2026-04-17", full_until="2026-01-23")
    assert decide(old, D, False, full_every_weeks=13).kind == "full"
    assert decide(old, D, False, full_every_weeks=14).kind == "delta"
    going = RefreshState(
        backfill={"refresh_id": "full-2026-04-03", "until": "2026-04-03", "done": [], "remaining": []}
    )
    d = decide(going, D, False)
    assert (d.kind, d.refresh_id, d.until, d.continuing) == (
        "full",
        "full-2026-04-03",
        dt.date(2026, 4, 3),
        True,
    )


def test_chunks():
    assert chunks([], 3, 10) == []
    assert chunks([1, 2, 3, 4, 5], 3, None) == [[1, 2, 3, 4, 5]]
    assert chunks([1, 2, 3, 4, 5], 3, 7) == [[1, 2], [3, 4], [5]]
    assert chunks([1, 2], 3, 1) == [[1], [2]]


def test_a_backfill_split_by_max_requests_continues_until_complete(replica_factory, tmp_path):
    raw = tmp_path / "raw"
    srv = replica_factory("--players", "30", "--seed", "7", "--as-of", "2026-04-17")
    _runs, total = _plan(raw, dt.date(2026, 4, 17), srv.url, "--max-requests", "40")
    planned = sum(total["requests"].values())
    steps = []
    for _ in range(12):
        res = _refresh(raw, dt.date(2026, 4, 24 if steps else 17), srv.url, "--max-requests", "40")
        assert res.returncode == 0, res.stderr[-3000:]
        state = _state(raw)
        steps.append(state["backfill"])
        if state["backfill"] is None:
            break
        assert state["snapshot"] == [] and state["watermark"] is None
        runs, total = _plan(raw, dt.date(2026, 4, 24), srv.url, "--max-requests", "40")
        assert total["backfill"]["done"] == len(state["backfill"]["done"]) > 0
        # the runs still to make: the state's, and the player runs once the career lists named the players
        assert total["backfill"]["remaining"] == len(runs) >= len(state["backfill"]["remaining"])
        assert {r["run_id"] for r in state["backfill"]["remaining"]} <= {r["run_id"] for r in runs}
    assert len(steps) >= 3 and steps[-1] is None, [s and len(s["done"]) for s in steps]
    state = _state(raw)
    # the backfill keeps the day it started with, whatever later refreshes ask for
    assert state["watermark"] == "2026-04-17" and state["last_full"]["refresh_id"] == "full-2026-04-17"
    spiders = [r["spider"] for r in state["snapshot"]]
    assert spiders.count("statsguru") == 19 and "player_stats" in spiders and "profiles" in spiders
    for ref in state["snapshot"]:
        assert (raw / ref["spider"] / f"run_id={ref['run_id']}" / "_manifest.json").exists(), ref
    assert planned > 0 and len(state["snapshot"]) == len(set(map(json.dumps, state["snapshot"])))


def test_plan_obeys_robots_txt_when_it_costs_a_full_crawl(replica_factory, tmp_path):
    from tests.crawler.test_crawl_replica import scrape

    srv = replica_factory("--players", "30", "--seed", "7", "--robots", "strict")
    res = scrape(
        "plan", "--raw", str(tmp_path / "raw"), "--until", "2026-04-17", "--base-url", srv.url, *FAST
    )
    assert res.returncode == 2 and "robots.txt disallows" in res.stderr and not res.stdout
