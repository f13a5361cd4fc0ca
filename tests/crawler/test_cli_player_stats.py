"""`cricket-scrape`: player_stats from a finished raw run (rows checked against truth), and argument errors."""

from __future__ import annotations

import sys

from cricket_contract.vocabulary import FORMAT_BY_SUMMARY_LABEL
from tests.crawler.rawcheck import _int, read_run, read_truth
from tests.crawler.test_crawl_replica import FAST, scrape, truth  # noqa: F401  (module fixture)


def test_player_stats_from_raw_run(replica_300, truth, tmp_path):  # noqa: F811
    res = scrape(
        "statsguru",
        "--base-url",
        replica_300.url,
        "--classes",
        "3",
        "--types",
        "batting",
        "--raw",
        str(tmp_path),
        "--run-id",
        "t20i",
        *FAST,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    _, career = read_run(tmp_path / "statsguru" / "run_id=t20i")
    ids = {r["player_id"] for r in career}
    res = scrape(
        "player_stats",
        "--base-url",
        replica_300.url,
        "--from-raw",
        (tmp_path / "statsguru" / "run_id=t20i").as_uri(),
        "--types",
        "batting,fielding",
        "--raw",
        str(tmp_path),
        "--run-id",
        "pages",
        *FAST,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    manifest, rows = read_run(tmp_path / "player_stats" / "run_id=pages")
    assert "t20i" in manifest["arguments"]["from_raw"]
    assert {r["player_id"] for r in rows} == ids
    assert {(r["caption"], r["grouping"]) for r in rows if r["section"] == 0} >= {
        ("Career averages", "overall")
    }
    want = {(r["player_id"], r["format"]): r for r in read_truth(truth, "batting_career")}
    checked = 0
    for r in rows:
        fmt = FORMAT_BY_SUMMARY_LABEL.get(r["grouping"])
        if r["type"] == "batting" and r["caption"] == "Career summary" and fmt:
            t = want[(r["player_id"], fmt)]
            assert (_int(r["cells"]["Mat"]), _int(r["cells"]["Runs"])) == (t["matches"], t["runs"]), r
            checked += 1
    assert checked >= len(ids) // 2  # players of one format only have their summary grouped by opposition


def test_cli_argument_errors(tmp_path):
    res = scrape("no_such_spider", "--raw", str(tmp_path))
    assert (
        res.returncode == 1 and "unknown spider 'no_such_spider'" in res.stderr and "statsguru" in res.stderr
    )
    res = scrape("statsguru", "--classes", "1,x", "--raw", str(tmp_path))
    assert res.returncode == 1 and "classes" in res.stderr
    res = scrape("statsguru", "--view", "weekly", "--raw", str(tmp_path))
    assert res.returncode == 2 and "invalid choice" in res.stderr  # argparse's own usage error
    res = scrape("statsguru", "-a", "novalue", "--raw", str(tmp_path))
    assert res.returncode != 0 and "NAME=VALUE" in res.stderr
    res = scrape("statsguru", "--run-id", "bad/id", "--raw", str(tmp_path))
    assert res.returncode == 1 and "run id" in res.stderr
    assert sys.executable
