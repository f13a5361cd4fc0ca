"""Command lines, run ids, exit verdicts and the published-run check of the cricket_stats DAG."""

from __future__ import annotations

import stat
import sys

import cricket_commands as cc
import cricket_plan as cp
import cricket_runtime as cr
import pytest

RAW = "s3://example-cricket-bucket/raw"
CURATED = "s3://example-cricket-bucket/curated"


def test_safe_run_id_makes_airflow_run_ids_path_safe():
    assert (
        cc.safe_run_id("manual__2026-11-26T11:42:32.123456+00:00")
        == "manual__2026-11-26T11-42-32.123456-00-00"
    )
    assert cc.safe_run_id("scheduled__2026-11-22T00:00:00+00:00") == "scheduled__2026-11-22T00-00-00-00-00"
    assert cc.safe_run_id("__odd//id__") == "odd-id__"
    assert len(cc.safe_run_id("x" * 300)) == 100
    with pytest.raises(ValueError, match="no usable characters"):
        cc.safe_run_id("::++")


def test_resolve_backend_env_wins_then_variable_then_default():
    assert cr.resolve_backend("Local", "ecs") == "local"
    assert cr.resolve_backend(None, "kubernetes") == "kubernetes"
    assert cr.resolve_backend(None, None) == cr.DEFAULT_BACKEND == "ecs"
    with pytest.raises(ValueError, match="CRICKET_BACKEND='docker' is not one of kubernetes, ecs, local"):
        cr.resolve_backend("docker", None)


def test_request_from_params_validates():
    req = cp.Request.from_params(
        {"mode": "lists", "classes": [1, 2, 2], "types": "batting,bowling", "views": ["career"]}
    )
    assert req.classes == (1, 2) and req.types == ("batting", "bowling") and req.views == ("career",)
    assert req.profiles is True and req.render == "auto" and req.max_reject_ratio == 0.01
    assert req.expected_tables() == ["players", "batting_career", "bowling_career"]
    with pytest.raises(ValueError, match=r"unknown class 11, type 'keeping', view 'season'"):
        cp.Request.from_params({"classes": [11], "types": ["keeping"], "views": ["season"]})
    with pytest.raises(ValueError, match="classes: at least one value"):
        cp.Request.from_params({"classes": []})


def test_plan_builds_every_command_line():
    req = cp.Request.from_params(
        {"mode": "lists", "classes": [1, 9], "views": ["career", "innings"], "render": "never"}
    )
    p = cp.plan(
        dag_run_id="manual__2026-11-26T11:00:00+00:00",
        request=req,
        raw=RAW,
        curated=CURATED,
        glue_database="cricket",
        base_url="http://127.0.0.1:8765",
        scrape_settings={"DOWNLOAD_DELAY": "0"},
    )
    run = "manual__2026-11-26T11-00-00-00-00"
    assert p.run_id == run
    assert p.scrape_runs == [f"{run}-c1-career", f"{run}-c1-innings", f"{run}-c9-career", f"{run}-c9-innings"]
    assert p.scrape[1] == [
        "cricket-scrape", "statsguru", "--classes", "1", "--types", "batting,bowling,fielding",
        "--view", "innings", "--raw", RAW, "--run-id", f"{run}-c1-innings", "--if-finished", "done",
        "--base-url", "http://127.0.0.1:8765", "-s", "DOWNLOAD_DELAY=0",
    ]  # fmt: skip
    # One profiles crawl over every class's career run: each player is fetched once.
    assert p.profile_runs == [f"{run}-profiles"]
    assert p.profiles == [[
        "cricket-scrape", "profiles", "--from-raw", f"{RAW}/statsguru/run_id={run}-c1-career",
        "--from-raw", f"{RAW}/statsguru/run_id={run}-c9-career",
        "--raw", RAW, "--run-id", f"{run}-profiles", "--if-finished", "done", "-a", "render=never",
        "--base-url", "http://127.0.0.1:8765", "-s", "DOWNLOAD_DELAY=0",
    ]]  # fmt: skip
    raw_runs = [a for prev, a in zip(p.transform, p.transform[1:], strict=False) if prev == "--raw-run"]
    assert raw_runs == p.scrape_runs + p.profile_runs
    assert p.transform[:6] == ["cricket-transform", "run", "--raw", RAW, "--curated", CURATED]
    assert p.transform[-4:] == ["--run-id", run, "--max-reject-ratio", "0.01"]
    assert p.publish == ["cricket-transform", "publish", "--curated", CURATED, "--glue-database", "cricket"]
    assert p.expected_tables == [
        "players", "batting_career", "bowling_career", "fielding_career",
        "batting_innings", "bowling_innings", "fielding_innings",
    ]  # fmt: skip


def test_plan_without_profiles_and_with_missing_locations():
    req = cp.Request.from_params({"mode": "lists", "classes": [3], "profiles": False})
    p = cp.plan(dag_run_id="r1", request=req, raw=RAW, curated=CURATED, glue_database="cricket")
    assert p.profiles == [] and p.profile_runs == []
    assert "--base-url" not in p.scrape[0]
    with pytest.raises(ValueError, match="CRICKET_RAW_URI"):
        cp.plan(dag_run_id="r1", request=req, raw="", curated=CURATED, glue_database="cricket")


def test_refresh_plan_is_one_refresh_up_to_the_intervals_last_day_and_a_snapshot_transform():
    import datetime as dt

    req = cp.Request.from_params({})
    assert (req.mode, req.full, req.max_requests, req.full_every_weeks, req.overlap_days) == (
        "refresh", False, 34_000, 13, 7,
    )  # fmt: skip
    assert req.expected_tables() == [
        "players", "batting_career", "bowling_career", "fielding_career",
        "batting_innings", "bowling_innings", "fielding_innings",
    ]  # fmt: skip
    end = dt.datetime(2026, 4, 19, tzinfo=dt.timezone.utc)  # @weekly: the interval [12 Apr, 19 Apr)
    assert cc.until_of(end) == "2026-04-18"
    p = cp.plan(
        dag_run_id="scheduled__2026-04-19T00:00:00+00:00",
        request=cp.Request.from_params({"full": True, "max_requests": 0, "render": "never"}),
        raw=RAW,
        curated=CURATED,
        glue_database="cricket",
        base_url="http://127.0.0.1:8765",
        scrape_settings={"DOWNLOAD_DELAY": "0"},
        until=cc.until_of(end),
    )
    assert p.scrape == [[
        "cricket-scrape", "refresh", "--raw", RAW, "--until", "2026-04-18", "--overlap-days", "7", "--full",
        "--full-every-weeks", "13", "-a", "render=never", "--base-url", "http://127.0.0.1:8765",
        "--cricsheet", "without", "-s", "DOWNLOAD_DELAY=0",
    ]]  # fmt: skip
    assert p.profiles == [] and p.scrape_runs == []
    # the transform reads the snapshot the refresh state names: no --raw-run
    assert "--raw-run" not in p.transform and p.transform[:6] == [
        "cricket-transform", "run", "--raw", RAW, "--curated", CURATED,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="the day it reads up to"):
        cp.plan(dag_run_id="r", request=req, raw=RAW, curated=CURATED, glue_database="cricket")
    with pytest.raises(ValueError, match=r"unknown mode 'weekly', max_requests -1"):
        cp.Request.from_params({"mode": "weekly", "max_requests": -1})


def test_parse_settings():
    assert cr.parse_settings(" A=1, B = x=y ,") == {"A": "1", "B": "x=y"}
    assert cr.parse_settings(None) == {}
    with pytest.raises(ValueError, match="'OOPS' is not NAME=VALUE"):
        cr.parse_settings("OOPS")


def test_launch_payload_per_backend():
    argv = ["cricket-transform", "publish", "--curated", CURATED, "--glue-database", "cricket"]
    assert cr.launch_payload("local", argv) == argv
    assert cr.launch_payload("kubernetes", argv) == argv
    # ECS keeps the image's ENTRYPOINT, so the override carries only the arguments.
    assert cr.launch_payload("ecs", argv, "transformer") == {
        "containerOverrides": [{"name": "transformer", "command": argv[1:]}]
    }
    with pytest.raises(ValueError, match="container name"):
        cr.launch_payload("ecs", argv)


def test_exit_verdicts():
    assert cr.exit_verdict("scrape", 3, ["x", "layout drift: unknown header 'Avg'"]) == (
        False,
        "scrape stopped: layout drift (a table header the parser does not know) (exit 3); not retried\n"
        "x\nlayout drift: unknown header 'Avg'",
    )
    assert cr.exit_verdict("profiles", 2)[0] is False
    assert cr.exit_verdict("transform", 4)[0] is False
    assert cr.exit_verdict("transform", 5) == (
        False,
        "transform stopped: the run has no rows or would shrink the published tables (--allow-shrink); "
        "nothing was published (exit 5); not retried",
    )
    assert cr.exit_verdict("scrape", 1) == (True, "scrape failed with exit 1")
    assert cr.exit_verdict("transform", 3)[0] is True  # only the scraper's 3 means drift
    assert cr.exit_verdict("publish", 2)[0] is True


CURRENT = {
    "run_id": "r1",
    "published_at": "2026-11-26T12:00:00+00:00",
    "tables": {
        "players": {"rows": 300, "files": ["a"]},
        "batting_career": {"rows": 250, "files": ["b"]},
        "batting_splits": {"rows": 0, "files": []},
    },
    "rejects": 3,
    "rows_read": 1000,
    "dq": {"findings": 2, "checks": {"batting_career": {"runs_ge_hs": {"checked": 250, "failed": 2}}}},
}


def test_check_current_passes_and_reports():
    problems, report = cr.check_current(
        CURRENT, run_id="r1", expected_tables=["players", "batting_career"], max_reject_ratio=0.01
    )
    assert problems == []
    assert report["rows"] == {"players": 300, "batting_career": 250, "batting_splits": 0}
    assert report["reject_ratio"] == 0.003 and report["rows_read"] == 1000
    assert report["dq_findings"] == 2 and report["dq_failing_checks"] == {"batting_career.runs_ge_hs": 2}


def test_check_current_finds_every_problem():
    problems, _ = cr.check_current(
        CURRENT,
        run_id="r2",
        expected_tables=["players", "batting_splits", "bowling_career"],
        max_reject_ratio=0.001,
    )
    assert problems == [
        "_current.json names run 'r1', not this DAG run's 'r2'",
        "table batting_splits has no rows",
        "table bowling_career is missing from _current.json",
        "rejects: 3 of 1000 raw rows (0.30%) exceed 0.10%",
    ]


def test_report_page_names_the_runs_page_and_whether_it_is_there(tmp_path):
    uri, exists = cr.report_page(str(tmp_path), "r1")
    assert uri == f"file://{tmp_path}/_reports/run_id=r1/index.html" and not exists
    page = tmp_path / "_reports" / "run_id=r1" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!DOCTYPE html>")
    assert cr.report_page(str(tmp_path), "r1") == (uri, True)


def _script(tmp_path, name: str, body: str):
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_local_run_step_streams_output_and_classifies_exits(tmp_path, monkeypatch, capfd):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
    from cricket_local import run_step

    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    _script(tmp_path, "fake-ok", "print('crawled 3 pages'); sys.exit(0)")
    _script(tmp_path, "fake-drift", "print('layout drift: unknown header Avg', file=sys.stderr); sys.exit(3)")
    _script(tmp_path, "fake-flaky", "print('connection reset'); sys.exit(1)")

    run_step("scrape", ["fake-ok", "--x"])
    out, err = capfd.readouterr()
    # Each child line is a log record (Airflow prints records to stdout here; in a task, to the task log).
    assert "crawled 3 pages" in out + err and "scrape finished (exit 0)" in out + err

    with pytest.raises(
        AirflowFailException, match=r"(?s)layout drift .*exit 3.*not retried.*unknown header Avg"
    ):
        run_step("scrape", ["fake-drift"])
    with pytest.raises(AirflowException, match="scrape failed with exit 1\nconnection reset") as exc:
        run_step("scrape", ["fake-flaky"])
    assert not isinstance(exc.value, AirflowFailException)
    with pytest.raises(FileNotFoundError, match="no-such-program is not on PATH"):
        run_step("scrape", ["no-such-program"])


def test_check_current_counts_statsguru_innings_only():
    """Cricsheet's innings share the innings tables: they must not pass a run whose Statsguru innings are empty."""
    sources = {
        "statsguru": {"rows": 0, "partitions": {}},
        "cricsheet": {"rows": 94, "partitions": {"test": 94}},
    }
    current = {
        **CURRENT,
        "tables": {**CURRENT["tables"], "batting_innings": {"rows": 94, "sources": sources}},
    }
    problems, report = cr.check_current(
        current, run_id="r1", expected_tables=["batting_innings"], max_reject_ratio=0.01
    )
    assert problems == ["table batting_innings has no rows"] and report["rows"]["batting_innings"] == 0
    sources["statsguru"] = {"rows": 3, "partitions": {"test": 3}}
    problems, report = cr.check_current(
        current, run_id="r1", expected_tables=["batting_innings"], max_reject_ratio=0.01
    )
    assert problems == [] and report["rows"]["batting_innings"] == 3


def test_the_vocabulary_is_the_contracts_not_restated():
    """The DAG bundle carries cricket_contract (scripts/dag_bundle.py): its classes, types, views, render modes,
    exit codes and overlap are the contract's own objects."""
    from cricket_contract import refresh, vocabulary

    assert cc.CLASSES is vocabulary.FORMAT_CLASSES and cc.CLASSES == (1, 2, 3, 8, 9, 10)
    assert (cp.TYPES, cp.VIEWS, cp.RENDER_MODES) == (
        vocabulary.TYPES,
        vocabulary.VIEWS,
        vocabulary.RENDER_MODES,
    )
    assert cp.TYPES is vocabulary.TYPES and cp.VIEWS is vocabulary.VIEWS
    assert cc.OVERLAP_DAYS is refresh.OVERLAP_DAYS == 7
    assert cr.FINAL_EXITS["scrape"].keys() == {vocabulary.EXIT_BLOCKED, vocabulary.EXIT_DRIFT} == {2, 3}
    assert cr.FINAL_EXITS["transform"].keys() == {vocabulary.EXIT_TOO_MANY_REJECTS, vocabulary.EXIT_SHRINK}
