"""Real Statsguru player pages → typed rows, exactly (every row of every saved page)."""

from __future__ import annotations

import json
import math

import pytest

from tests.transform.conftest import read_table
from tests.transform.rawgen import player_page_items, write_run

PAGES = [
    ("statsguru_player_311158_class11_batting_career.html", 311158, "batting"),
    ("statsguru_player_311158_class11_bowling_career.html", 311158, "bowling"),
    ("statsguru_player_311158_class11_fielding_career.html", 311158, "fielding"),
    ("statsguru_player_464626_class11_batting_career_partial_formats.html", 464626, "batting"),
    ("statsguru_player_578769_class11_fielding_no_records.html", 578769, "fielding"),
    ("statsguru_player_887207_class11_batting_career_single_format.html", 887207, "batting"),
]


@pytest.fixture(scope="module")
def curated(real_fixtures, tmp_path_factory):
    import io

    from transform.flow import Progress
    from transform.job import Job

    tmp = tmp_path_factory.mktemp("real")
    items = []
    for name, pid, typ in PAGES:
        items += player_page_items(real_fixtures / name, pid, typ)
    write_run(tmp / "raw", "player_stats", "real", items)
    res = Job(str(tmp / "raw"), str(tmp / "cur"), None, "t-real", 0.0, 5, Progress(out=io.StringIO())).run()
    assert res.exit_code == 0, res.summary
    return tmp / "cur", items, res


EXPECTED_ROWS = 148 + 146 + 138 + 71 + 0 + 95  # rows of the six saved pages


def _row(rows, **key):
    hits = [r for r in rows if all(r[k] == v for k, v in key.items())]
    assert len(hits) == 1, (key, hits)
    return hits[0]


def test_stokes_overall_batting_exact(curated):
    cur, _, _ = curated
    r = _row(read_table(cur, "batting_splits"), player_id=311158, grouping_kind="overall")
    assert (r["start_year"], r["end_year"]) == (2011, 2026)
    assert (r["matches"], r["innings"], r["not_outs"], r["runs"]) == (277, 351, 33, 11264)
    assert (r["high_score"], r["high_score_not_out"]) == (258, False)
    assert r["average"] == pytest.approx(
        11264 / (351 - 33), rel=1e-12
    )  # recomputed, not the page's truncated "35.42"
    assert math.floor(r["average"] * 100) / 100 == 35.42
    assert (r["balls_faced"], r["hundreds"], r["fifties"], r["ducks"], r["fours"], r["sixes"]) == (
        16424,
        19,
        62,
        25,
        1152,
        267,
    )
    assert r["strike_rate"] == pytest.approx(11264 / 16424 * 100, rel=1e-12)


def test_stokes_format_rows_feed_career_tables(curated):
    cur, _, _ = curated
    bat = read_table(cur, "batting_career")
    t20 = _row(bat, player_id=311158, format="t20i")
    assert (t20["matches"], t20["innings"], t20["not_outs"], t20["runs"]) == (43, 36, 9, 585)
    assert (t20["high_score"], t20["high_score_not_out"]) == (52, True)
    assert t20["average"] == pytest.approx(585 / 27, rel=1e-12)
    assert t20["strike_rate"] == pytest.approx(585 / 457 * 100, rel=1e-12)
    test = _row(bat, player_id=311158, format="test")
    assert (test["start_year"], test["runs"], test["high_score"], test["balls_faced"]) == (
        2013,
        7216,
        258,
        12348,
    )
    bowl = _row(read_table(cur, "bowling_career"), player_id=311158, format="odi")
    # overs "518.2" style cells become balls; BBI "5/61"
    assert (bowl["balls"], bowl["wickets"], bowl["runs_conceded"]) == (3110, 74, 3137)
    assert (bowl["best_innings_wickets"], bowl["best_innings_runs"]) == (5, 61)
    assert bowl["economy"] == pytest.approx(3137 / (3110 / 6), rel=1e-12)
    assert bowl["strike_rate"] == pytest.approx(3110 / 74, rel=1e-12)
    fld = _row(read_table(cur, "fielding_career"), player_id=311158, format="test")
    assert (fld["dismissals"], fld["caught"], fld["stumped"], fld["caught_fielder"]) == (115, 115, 0, 115)
    assert (fld["max_dismissals_innings"], fld["max_dismissals_caught"], fld["max_dismissals_stumped"]) == (
        5,
        5,
        0,
    )
    assert fld["dismissals_per_innings"] == pytest.approx(115 / 230, rel=1e-12)
    # the partial-formats page has Test and ODI rows only
    assert {r["format"] for r in bat if r["player_id"] == 464626} == {"test", "odi"}


def test_grouping_kinds_by_section(curated):
    cur, _, _ = curated
    rows = read_table(cur, "batting_splits")
    kind = {r["grouping"]: r["grouping_kind"] for r in rows if r["player_id"] == 311158}
    assert kind["v Australia"] == "opposition"
    assert kind["in England"] == "host" and kind["in Asia"] == "continent"
    assert kind["home"] == "home_away" and kind["year 2019"] == "year" and kind["season 2013/14"] == "season"
    assert kind["*JE Root"] == "captain" and kind["won toss & batted"] == "toss_decision"
    assert kind["The Ashes"] == "series" and kind["tournament finals"] == "stage"
    no_result = _row(rows, player_id=311158, grouping="no result")
    assert (no_result["innings"], no_result["not_outs"], no_result["average"]) == (1, 1, None)  # Ave "-"
    tredwell = _row(rows, player_id=311158, grouping="*JC Tredwell")
    assert tredwell["matches"] == 1 and tredwell["innings"] is None and tredwell["runs"] is None
    bowl = read_table(cur, "bowling_splits")
    assert _row(bowl, player_id=311158, grouping="1st position")["grouping_kind"] == "position"


def _int(v):
    return None if v in ("-", "") else int(v.rstrip("*"))


COUNTS = {
    "batting": {
        "Mat": "matches",
        "Inns": "innings",
        "NO": "not_outs",
        "Runs": "runs",
        "HS": "high_score",
        "BF": "balls_faced",
        "100": "hundreds",
        "50": "fifties",
        "0": "ducks",
        "4s": "fours",
        "6s": "sixes",
    },
    "bowling": {
        "Mat": "matches",
        "Inns": "innings",
        "Mdns": "maidens",
        "Runs": "runs_conceded",
        "Wkts": "wickets",
        "5": "five_wickets",
        "10": "ten_wickets",
    },
    "fielding": {
        "Mat": "matches",
        "Inns": "innings",
        "Dis": "dismissals",
        "Ct": "caught",
        "St": "stumped",
        "Ct Wk": "caught_keeper",
        "Ct Fi": "caught_fielder",
    },
}


def test_every_row_of_every_page(curated):
    """Each raw row's cells, read by a throwaway oracle here, equal the typed row in its curated table."""
    cur, items, res = curated
    tables = {
        t: read_table(cur, t)
        for t in (
            "batting_career",
            "bowling_career",
            "fielding_career",
            "batting_splits",
            "bowling_splits",
            "fielding_splits",
        )
    }
    from cricket_contract.vocabulary import FORMAT_BY_SUMMARY_LABEL

    checked = 0
    for it in items:
        typ, g = it["type"], it["grouping"]
        fmt = FORMAT_BY_SUMMARY_LABEL.get(g) if it["caption"] == "Career summary" else None
        if fmt:
            row = _row(tables[f"{typ}_career"], player_id=it["player_id"], format=fmt)
        else:
            grouping = "overall" if it["caption"] == "Career averages" else g
            row = _row(tables[f"{typ}_splits"], player_id=it["player_id"], grouping=grouping)
        for h, col in COUNTS[typ].items():
            if h in it["cells"]:
                assert row[col] == _int(it["cells"][h]), (it, h)
        span = it["cells"]["Span"]
        assert (row["start_year"], row["end_year"]) == (
            (int(span[:4]), int(span[5:])) if span else (None, None)
        )
        if typ == "batting" and "HS" in it["cells"]:
            hs = it["cells"]["HS"]
            assert row["high_score_not_out"] == (hs.endswith("*") if hs != "-" else None), (it, hs)
        for cell, prefix in (("BBI", "best_innings"), ("BBM", "best_match")):
            if typ == "bowling" and cell in it["cells"]:
                w, _, r = it["cells"][cell].partition("/")
                assert (row[f"{prefix}_wickets"], row[f"{prefix}_runs"]) == (
                    _int(w),
                    _int(r) if r else None,
                ), it
        if typ == "fielding":
            md = it["cells"]["MD"]  # "5 (5ct 0st)", a bare "0", or "-"
            parts = md.replace("(", " ").replace("ct", " ").replace("st)", " ").split()
            want = tuple(_int(x) for x in parts) if len(parts) == 3 else (_int(md), None, None)
            got = (row["max_dismissals_innings"], row["max_dismissals_caught"], row["max_dismissals_stumped"])
            assert got[: 3 if len(parts) == 3 else 1] == want[: 3 if len(parts) == 3 else 1], (it, md, got)
        if typ == "bowling" and it["cells"]["Overs"] != "-":
            o, _, b = it["cells"]["Overs"].partition(".")
            assert row["balls"] == int(o) * 6 + int(b or 0)
        checked += 1
    assert checked == len(items) == EXPECTED_ROWS
    # every average, economy, strike rate and D/I the pages show is the truncation of the recomputed value
    assert res.report["dq"]["checks"]["batting_career"]["average_matches_site"]["failed"] == 0
    failed = {
        f"{t}.{c}": v["failed"]
        for t, cs in res.report["dq"]["checks"].items()
        for c, v in cs.items()
        if c.endswith("_matches_site") and v["failed"]
    }
    assert failed == {}
    assert res.report["rejects"] == 0


def test_no_records_page_has_no_rows(real_fixtures):
    items = player_page_items(real_fixtures / PAGES[4][0], 578769, "fielding")
    assert items == []
    assert json.dumps(items) == "[]"
