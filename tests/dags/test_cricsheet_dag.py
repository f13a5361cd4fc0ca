"""The cricsheet step of the DAG: its command line per mode, beside scrape; the transform reads it whatever it names."""

from __future__ import annotations

import pytest


def plan_for(mode: str, url: str | None = None):
    from cricket_plan import Request, plan

    req = Request.from_params(
        {"mode": "lists", "classes": [1], "types": ["batting"], "views": ["career"], "cricsheet": mode}
    )
    return plan(
        dag_run_id="scheduled__2026-11-30T00:00:00+00:00",
        request=req,
        raw="s3://example-bucket/raw",
        curated="s3://example-bucket/curated",
        glue_database="cricket",
        cricsheet_url=url,
        scrape_settings={"DOWNLOAD_DELAY": "2"},
    )


def test_recent_is_the_weekly_delta_on_its_own_host():
    p = plan_for("recent", "https://cricsheet.org")
    (argv,) = p.cricsheet
    run = p.run_id
    assert argv == [
        "cricket-scrape", "cricsheet", "--raw", "s3://example-bucket/raw", "--run-id", f"{run}-cricsheet",
        "--if-finished", "done",
        "--recent", "7", "--base-url", "https://cricsheet.org", "-s", "DOWNLOAD_DELAY=2",
    ]  # fmt: skip
    # the transform reads every finished cricsheet run by itself: its --raw-run list is the Statsguru runs'
    assert f"{run}-cricsheet" not in p.transform


def test_full_and_off():
    (argv,) = plan_for("full").cricsheet
    assert "--recent" not in argv and "--base-url" not in argv
    assert plan_for("off").cricsheet == []
    assert plan_for("").cricsheet == []
    with pytest.raises(ValueError, match="cricsheet 'weekly'"):
        plan_for("weekly")


def _refresh_plan(mode: str, **params):
    from cricket_plan import Request, plan

    return plan(
        dag_run_id="scheduled__2026-11-29T00:00:00+00:00", request=Request.from_params({"cricsheet": mode, **params}),
        raw="s3://b/raw", curated="s3://b/cur", glue_database="c", until="2026-11-28",
        base_url="https://stats.espncricinfo.com", cricsheet_url="https://cricsheet.org",
    )  # fmt: skip


def test_refresh_mode_runs_the_refreshs_own_cricsheet_run_in_the_cricsheet_task():
    """The scrape step's refresh leaves Cricsheet out; the cricsheet step runs the refresh's Cricsheet run alone
    (the backfill without a finished cricsheet run, recently_added_7 after one, _30 or the backfill if older)."""
    p = _refresh_plan("recent")
    (scrape,) = p.scrape
    assert scrape[:2] == ["cricket-scrape", "refresh"]
    assert scrape[scrape.index("--cricsheet") + 1] == "without" and "--cricsheet-url" not in scrape
    assert p.cricsheet == [[
        "cricket-scrape", "refresh", "--raw", "s3://b/raw", "--until", "2026-11-28", "--overlap-days", "7",
        "--full-every-weeks", "13", "-a", "render=auto", "--base-url", "https://stats.espncricinfo.com",
        "--cricsheet", "only", "--cricsheet-url", "https://cricsheet.org",
    ]]  # fmt: skip
    # full: the refresh's Cricsheet run is the backfill whatever the state; off: no cricsheet task, none in scrape
    (full,) = _refresh_plan("full").cricsheet
    assert "--full" in full and full[full.index("--cricsheet") + 1] == "only"
    off = _refresh_plan("off")
    assert off.cricsheet == [] and off.scrape[0][off.scrape[0].index("--cricsheet") + 1] == "without"


def test_a_smoke_run_never_crawls_cricsheet():
    from cricket_plan import SMOKE_PARAMS, Request, plan

    req = Request.from_params({**SMOKE_PARAMS, "cricsheet": "recent"})
    p = plan(dag_run_id="manual__x", request=req, raw="s3://b/raw", curated="s3://b/cur", glue_database="c")
    assert p.cricsheet == []
