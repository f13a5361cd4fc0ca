"""`statsguru since/until`: the span filter and start-date order on innings lists; the rows equal the truth of the
replica as of a day, restricted to the window (corrections included)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from crawler.spiders.statsguru import span_query
from cricket_contract import params
from tests.crawler.rawcheck import innings_key, read_run, read_truth
from tests.crawler.test_crawl_replica import FAST, scrape
from tests.helpers import REPO

AS_OF = dt.date(2026, 4, 24)
SINCE = dt.date(2026, 3, 27)
TYPES = ("batting", "bowling", "fielding")
WORLD = ["--players", "300", "--seed", "7", "--corrections", "5", "--as-of", AS_OF.isoformat()]


def test_the_window_is_the_sites_span_filter_ordered_by_start():
    assert span_query(None, None) == ""
    assert span_query(dt.date(2020, 1, 1), dt.date(2020, 2, 9)) == (
        ";spanmin1=01+Jan+2020;spanmax1=09+Feb+2020;spanval1=span;orderby=start"
    )
    assert span_query(dt.date(2024, 12, 3), None) == ";spanmin1=03+Dec+2024;spanval1=span;orderby=start"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"view": "innings", "since": "2026-13-01"}, "expected an ISO date"),
        ({"view": "innings", "since": "2026-04-02", "until": "2026-04-01"}, "is after"),
        ({"view": "career", "since": "2026-04-02"}, "innings lists only"),
    ],
)
def test_bad_windows_are_refused(given, message):
    with pytest.raises(ValueError, match=message):
        params.parse_arguments("statsguru", given)


def test_bad_window_exits_1_before_crawling(tmp_path):
    res = scrape("statsguru", "--view", "career", "--since", "2026-01-01", "--raw", str(tmp_path))
    assert res.returncode == 1 and "innings lists only" in res.stderr


@pytest.fixture(scope="module")
def truth_as_of(tmp_path_factory):
    out = tmp_path_factory.mktemp("truth-as-of")
    cmd = [sys.executable, "-m", "replica", "truth", *WORLD, "--out", str(out)]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=300)
    return out


def test_innings_window_equals_the_truth_restricted_to_it(replica_factory, truth_as_of, tmp_path):
    srv = replica_factory(*WORLD)
    res = scrape(
        "statsguru",
        "--base-url",
        srv.url,
        "--view",
        "innings",
        "--since",
        SINCE.isoformat(),
        "--until",
        AS_OF.isoformat(),
        "--raw",
        str(tmp_path),
        "--run-id",
        "window",
        *FAST,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    manifest, rows = read_run(tmp_path / "statsguru" / "run_id=window")
    assert manifest["arguments"]["since"] == SINCE.isoformat()
    assert manifest["arguments"]["until"] == AS_OF.isoformat()
    assert rows and all(
        "spanval1=span" in r["source_url"] and "orderby=start" in r["source_url"] for r in rows
    )
    for type_ in TYPES:
        want = {
            (r["player_id"], r["match_id"], r["innings_number"]): r
            for r in read_truth(truth_as_of, f"{type_}_innings")
            if SINCE.isoformat() <= r["match_date"] <= AS_OF.isoformat()
        }
        got = {innings_key(r): r for r in rows if r["type"] == type_}
        assert want and got.keys() == want.keys(), type_
        for key, r in got.items():
            day = dt.datetime.strptime(r["cells"]["Start Date"], "%d %b %Y").date()
            assert day.isoformat() == want[key]["match_date"]
            if type_ == "batting" and r["cells"]["Runs"].rstrip("*").isdigit():
                assert int(r["cells"]["Runs"].rstrip("*")) == want[key]["runs"]
            if type_ == "bowling" and r["cells"]["Wkts"].isdigit():
                assert int(r["cells"]["Wkts"]) == want[key]["wickets"]


def test_players_own_innings_views(replica_factory, truth_as_of, tmp_path):
    """`player_stats --view innings`: each player's own innings list of a class and type, every innings of the
    truth as of the day (corrections included), with the `Pos` the multi-player lists (and so the truth) do not
    show."""
    want = [r for r in read_truth(truth_as_of, "bowling_innings") if r["format"] == "odi"]
    ids = sorted({r["player_id"] for r in want})[:4]
    srv = replica_factory(*WORLD)
    res = scrape(
        "player_stats",
        "--base-url",
        srv.url,
        "--view",
        "innings",
        "--player-ids",
        ",".join(map(str, ids)),
        "--classes",
        "2",
        "--types",
        "bowling",
        "--raw",
        str(tmp_path),
        "--run-id",
        "own",
        *FAST,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    manifest, rows = read_run(tmp_path / "player_stats" / "run_id=own")
    assert manifest["arguments"]["view"] == "innings" and manifest["items"] == {"innings": len(rows)}
    truth = {(r["player_id"], r["match_id"], r["innings_number"]): r for r in want if r["player_id"] in ids}
    got = {innings_key(r): r for r in rows}
    assert got.keys() == truth.keys()
    for key, r in got.items():
        assert r["player_cell"] is None and r["class"] == 2 and "Pos" in r["cells"]
        if r["cells"]["Wkts"].isdigit():
            assert int(r["cells"]["Wkts"]) == truth[key]["wickets"]
