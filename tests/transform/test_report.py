"""The run report (transform/report/): written with the publish and after the pointer, a refused run's page only
in its attempt, what changed by natural key, regeneration (`cricket-transform report`), escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cricket_storage import Location
from tests.transform.rawgen import write_run
from tests.transform.report_fixtures import HOSTILE_NAME, hostile_run
from tests.transform.test_rejects import item
from transform import cli
from transform.report import page as page_mod


def _page(cur: Path, run_id: str) -> Path:
    return cur / "_reports" / f"run_id={run_id}" / "index.html"


def _attempt_pages(cur: Path, run_id: str) -> list[Path]:
    return sorted((cur / "_reports" / f"run_id={run_id}").glob("attempt=*/index.html"))


def test_the_run_page_is_written_after_the_pointer_moves(tmp_path, transform_run, monkeypatch):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i) for i in range(1, 21)])
    writes: list[str] = []
    real = Location.write_bytes

    def spy(self, data):
        writes.append(self.uri.rsplit("/curated", 1)[-1])
        return real(self, data)

    monkeypatch.setattr(Location, "write_bytes", spy)
    res = transform_run(raw, cur, run_id="r1", raw_runs=["a"])
    assert res.published
    names = [w.rsplit("/", 2)[-2:] for w in writes]
    pointer = names.index(["cur", "_current.json"])
    run_page = names.index(["run_id=r1", "index.html"])
    attempt_page = next(
        i for i, n in enumerate(names) if n[0].startswith("attempt=") and n[1] == "index.html"
    )
    assert attempt_page < pointer < run_page
    assert f"report: {Location.parse(str(_page(cur, 'r1'))).uri}" in res.summary


def test_a_refused_run_has_a_page_only_in_its_attempt(tmp_path, transform_run):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "big", [item(pid=i) for i in range(1, 41)])
    write_run(raw, "statsguru", "small", [item(pid=i) for i in range(1, 5)])
    assert transform_run(raw, cur, run_id="r1", raw_runs=["big"]).published
    res = transform_run(raw, cur, run_id="r2", raw_runs=["small"])
    assert res.exit_code == 5 and not res.published
    assert not _page(cur, "r2").exists()  # never visible as the run's report: the run is not visible
    (attempt,) = _attempt_pages(cur, "r2")
    html = attempt.read_text()
    assert "refused" in html and "would fall from 40 to 4 rows" in html
    # it says what the refused run would have changed: 36 players removed against r1
    assert ">36<" in html
    assert json.loads((cur / "_current.json").read_text())["run_id"] == "r1"


def test_what_changed_counts_rows_added_changed_and_removed_by_natural_key(tmp_path, transform_run):
    from transform.report import published_report
    from transform.report.gather import gather

    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i) for i in range(1, 11)])
    # r2: players 1-8 (9, 10 removed), player 3's runs corrected, players 11-12 new
    rows = [item(pid=i) for i in range(1, 9)] + [item(pid=11), item(pid=12)]
    rows[2] = item(pid=3, cell_Runs="9999")
    write_run(raw, "statsguru", "b", rows)
    assert transform_run(raw, cur, run_id="r1", raw_runs=["a"]).published
    assert transform_run(raw, cur, run_id="r2", raw_runs=["b"], max_row_drop=0.5).published
    root = Location.parse(str(cur))
    data = gather(published_report(root, "r2"), published_report(root, "r1"))
    (fmt,) = data["changes"]["batting_career"]
    assert data["changes"]["batting_career"][fmt] == {"added": 2, "changed": 1, "removed": 2, "rows": 10}
    (ex,) = [x for x in data["changed_examples"] if x["table"] == "batting_career"]
    assert ex["key"].startswith("3 ") and "runs: " in ex["changed"] and "→ 9999" in ex["changed"]
    assert data["new_players"]["count"] == 2
    assert [p["player_id"] for p in data["new_players"]["listed"]] == [11, 12]
    assert data["top_runs"][fmt][0]["player_id"] == 3 and data["top_runs"][fmt][0]["value"] == 9999


def test_report_command_regenerates_the_current_an_older_or_any_out(tmp_path, transform_run, capsys):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i) for i in range(1, 11)])
    for rid in ("r1", "r2", "r3"):
        assert transform_run(raw, cur, run_id=rid, raw_runs=["a"], keep=2).published
    _page(cur, "r3").unlink()
    assert cli.main(["report", "--curated", str(cur)]) == 0
    assert _page(cur, "r3").is_file() and "report: " in capsys.readouterr().out
    out = tmp_path / "r2.html"
    assert cli.main(["report", "--curated", str(cur), "--run-id", "r2", "--out", str(out)]) == 0
    html = out.read_text()
    # r2 was compared with r1, which fell out of --keep 2 when r3 was published
    assert "Cricket stats run r2" in html and "no longer kept" in html
    assert cli.main(["report", "--curated", str(cur), "--run-id", "nope"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no report.json of run 'nope'" in err[0]


def test_a_report_that_cannot_be_built_does_not_hold_back_the_run(tmp_path, transform_run, monkeypatch):
    import transform.report as report

    def broken(*a, **k):
        raise RuntimeError("chart exploded")

    monkeypatch.setattr(report, "render", broken)
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i) for i in range(1, 6)])
    res = transform_run(raw, cur, run_id="r1", raw_runs=["a"])
    assert res.published and not _page(cur, "r1").exists()
    assert "report: NOT written" in res.summary and "cricket-transform report --run-id r1" in res.summary


def test_site_values_are_escaped_everywhere(tmp_path, transform_run):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    hostile_run(raw)
    res = transform_run(raw, cur, run_id="r1", raw_runs=["hostile1"], max_reject_ratio=0.9)
    assert res.published
    html = _page(cur, "r1").read_text()
    assert HOSTILE_NAME not in html and "<script" not in html.lower()
    assert page_mod.e(HOSTILE_NAME) in html
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src &#x27;none&#x27;" in html


@pytest.mark.parametrize(
    ("value", "text"),
    [("<b>", "&lt;b&gt;"), ('"x"', "&quot;x&quot;"), (None, "–"), (1234567, "1,234,567"), (True, "yes")],
)
def test_e_escapes_and_formats(value, text):
    assert page_mod.e(value) == text


def test_a_name_with_dollars_is_never_mathtext():
    from transform.report import charts

    svg = charts.leaders({"test": [{"player_id": 1, "name": "$\\frac{a}{b}$ $", "country": "X", "value": 5}]},
                         "runs", "t")  # fmt: skip
    assert svg and svg.startswith(b"<?xml")


def test_on_s3_the_page_is_published_with_its_reject_examples(tmp_path, transform_run, aws_env):
    import boto3

    from tests.transform.report_fixtures import HOSTILE_CELL

    bucket = "example-cricket-bucket-report"
    boto3.client("s3").create_bucket(Bucket=bucket)
    raw = tmp_path / "raw"
    hostile_run(raw)
    res = transform_run(raw, f"s3://{bucket}/cur", run_id="r1", raw_runs=["hostile1"], max_reject_ratio=0.9)
    assert res.published
    key = "cur/_reports/run_id=r1/index.html"
    html = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert page_mod.e(HOSTILE_CELL) in html and "non_numeric" in html
    assert f"report: s3://{bucket}/{key}" in res.summary
