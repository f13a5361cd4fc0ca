"""The cricsheet step of the DAG: its command line per mode, beside scrape; the transform reads it whatever it names."""

from __future__ import annotations

import pytest


def plan_for(mode: str, url: str | None = None):
    from cricket_commands import Request, plan

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
    from cricket_commands import Request, plan

    (argv,) = plan_for("full").cricsheet
    assert "--recent" not in argv and "--base-url" not in argv
    assert plan_for("off").cricsheet == []
    refresh = Request.from_params({"cricsheet": "recent"})  # the weekly refresh runs it too
    p = plan(
        dag_run_id="scheduled__x", request=refresh, raw="s3://b/raw", curated="s3://b/cur", glue_database="c",
        until="2026-11-29",
    )  # fmt: skip
    assert [a[:2] for a in p.cricsheet] == [["cricket-scrape", "cricsheet"]] and p.scrape[0][1] == "refresh"
    assert plan_for("").cricsheet == []
    with pytest.raises(ValueError, match="cricsheet 'weekly'"):
        plan_for("weekly")


def test_a_smoke_run_never_crawls_cricsheet():
    from cricket_commands import SMOKE_PARAMS, Request, plan

    req = Request.from_params({**SMOKE_PARAMS, "cricsheet": "recent"})
    p = plan(dag_run_id="manual__x", request=req, raw="s3://b/raw", curated="s3://b/cur", glue_database="c")
    assert p.cricsheet == []
