"""Results lists: pagination tiles every row exactly once, and every cell equals the ground truth."""

from __future__ import annotations

import re

import pytest

from cricket_contract.columns import columns, list_row
from cricket_contract.teams import team_of_opposition
from tests.crawler.rawcheck import inns
from tests.replica.conftest import get_html

BASE = "/ci/engine/stats/index.html"
FORMAT = {1: "test", 2: "odi", 3: "t20i", 8: "wtest", 9: "wodi", 10: "wt20i"}


def parse_results(doc) -> tuple[tuple[int, int] | None, list[str], list[dict]]:
    """Throwaway parser: (page, of), header texts, rows as {header: text} plus link ids."""
    text = doc.text_content()
    m = re.search(r"Page (\d+) of (\d+)", text)
    table = doc.xpath('//table[caption="Overall figures" or caption="Innings by innings list"]')[0]
    heads = [th.text_content().strip() for th in table.xpath("./thead/tr/th")]
    rows = []
    for tr in table.xpath("./tbody/tr[@class='data1']"):
        tds = tr.xpath("./td")
        if len(tds) == 1:
            continue
        row = {h: td.text_content().strip() for h, td in zip(heads, tds, strict=True) if h}
        row["player_id"] = int(re.search(r"/player/(\d+)\.html", tds[0].xpath("./a/@href")[0]).group(1))
        link = tds[-1].xpath("./a/@href")
        if link:
            row["match_id"] = int(re.search(r"/match/(\d+)\.html", link[0]).group(1))
            row["match_label"] = tds[-1].text_content().strip()
        rows.append(row)
    return ((int(m.group(1)), int(m.group(2))) if m else None), heads, rows


def all_rows(url: str, query: str, size: int) -> tuple[list[dict], int]:
    doc = get_html(f"{url}{BASE}?{query};page=1;size={size}")
    pg, _heads, rows = parse_results(doc)
    total = int(re.search(r"Showing \d+ - \d+ of (\d+)", doc.text_content()).group(1))
    assert pg == (1, -(-total // size))
    for page in range(2, pg[1] + 1):
        got, _h, more = parse_results(get_html(f"{url}{BASE}?{query};page={page};size={size}"))
        assert got == (page, pg[1])
        assert len(more) == (size if page < pg[1] else total - size * (pg[1] - 1))
        rows += more
    past = get_html(f"{url}{BASE}?{query};page={pg[1] + 1};size={size}")
    assert "No records available to match this query" in past.text_content()
    return rows, total


@pytest.mark.parametrize(
    ("query", "size", "key"),
    [
        ("class=1;template=results;type=batting", 25, ("player_id",)),
        ("type=bowling&class=11&template=results", 10, ("player_id",)),  # `&`, any order
        ("class=9;template=results;type=fielding;view=innings", 200, ("player_id", "match_id", "Inns")),
        ("template=results;view=innings;type=batting;class=3", 150, ("player_id", "match_id", "Inns")),
    ],
)
def test_pagination_covers_every_row_once(replica_300, query, size, key):
    rows, total = all_rows(replica_300.url, query, size)
    keys = [tuple(r[k] for k in key) for r in rows]
    assert len(keys) == total == len(set(keys))


def test_default_size_and_order(replica_300):
    doc = get_html(f"{replica_300.url}{BASE}?class=2;template=results;type=batting")
    (_p, _of), heads, rows = parse_results(doc)
    assert len(rows) == 50
    runs = [int(r["Runs"]) for r in rows]
    assert runs == sorted(runs, reverse=True)
    # by default an ODI career list comes without 4s and 6s, as a real 2019 one (tests/replica/test_real_varieties.py)
    assert heads == [h for h in list_row(2, "batting", "career") if h not in ("4s", "6s")]
    assert heads[-3:] == ["50", "0", ""]


def test_bowling_columns_by_class(replica_300):
    tests = parse_results(get_html(f"{replica_300.url}{BASE}?class=1;template=results;type=bowling;size=10"))[
        1
    ]
    odis = parse_results(get_html(f"{replica_300.url}{BASE}?class=11;template=results;type=bowling;size=10"))[
        1
    ]
    assert tests[8:10] == ["BBI", "BBM"] and tests[-3:] == ["5", "10", ""]
    assert "BBM" not in odis and odis[-4:] == ["SR", "4", "5", ""]
    inn = parse_results(
        get_html(f"{replica_300.url}{BASE}?class=1;template=results;type=batting;view=innings;size=10")
    )[1]
    # the real multi-player list (the map's row, checked literally in tests/contract): no Pos, no Dismissal,
    # an untitled spacer after Inns and the match link
    assert inn == list(list_row(1, "batting", "innings")) and "Pos" not in inn and inn[8] == ""


def _dash(v):
    return None if v == "-" else v


def _int(v):
    return None if v == "-" else int(v)


def _check_ratio(shown: str, value: float | None, places: int, fixed: bool = False) -> None:
    """The page shows the exact value truncated to `places` decimals: trailing zeros dropped, or (`fixed`, the
    women's lists) always `places` decimals."""
    if value is None:
        assert shown == "-"
        return
    if fixed:
        assert len(shown.partition(".")[2]) == places, shown
    else:
        assert "." not in shown or not shown.endswith("0"), shown
    scale = 10**places
    assert float(shown) * scale == pytest.approx(int(value * scale + 1e-9), abs=1e-6), (shown, value)


def test_career_lists_equal_truth(replica_300, truth_300):
    for cls in (1, 2, 10):
        truth = {r["player_id"]: r for r in truth_300["batting_career"] if r["format"] == FORMAT[cls]}
        rows, total = all_rows(replica_300.url, f"class={cls};template=results;type=batting", 200)
        assert total == len(truth)
        fixed = cls >= 8
        # the map's counting columns of a batting career and the curated column each fills
        counts = {c.header: c.out[0] for c in columns("career", "batting") if c.parser == "count"}
        for row in rows:
            t = truth[row["player_id"]]
            assert row["Player"].startswith(t["name"] + " (")
            assert row["Span"] == f"{t['start_year']}-{t['end_year']}"
            assert [_int(row[h]) if h in row else None for h in counts] == [t[k] for k in counts.values()]
            hs = _dash(row["HS"])
            assert (None if hs is None else int(hs.rstrip("*"))) == t["high_score"]
            assert (None if hs is None else hs.endswith("*")) == t["high_score_not_out"]
            _check_ratio(row["Ave"], t["average"], 2, fixed)
            _check_ratio(row["SR"], t["strike_rate"], 2, fixed)
    truth = {r["player_id"]: r for r in truth_300["bowling_career"] if r["format"] == "test"}
    rows, total = all_rows(replica_300.url, "class=1;template=results;type=bowling", 200)
    assert total == len(truth)
    never_bowled = 0
    wickets = [_int(r["Wkts"]) for r in rows]
    assert [w for w in wickets if w is not None] == sorted(
        (w for w in wickets if w is not None), reverse=True
    )
    assert all(w is None for w in wickets[wickets.index(None) :])  # non-bowlers close the list
    for row in rows:
        t = truth[row["player_id"]]
        if row["Overs"] == "-":  # listed although never bowled: "-" from Inns on
            assert t["innings"] is None and t["balls"] is None and row["Inns"] == "-"
            assert {
                row[h] for h in ("Mdns", "Runs", "Wkts", "BBI", "BBM", "Ave", "Econ", "SR", "5", "10")
            } == {"-"}
            never_bowled += 1
            continue
        o, _, b = row["Overs"].partition(".")
        assert int(o) * 6 + int(b) == t["balls"]
        assert [_int(row[h]) for h in ("Mat", "Inns", "Mdns", "Runs", "Wkts", "5", "10")] == [
            t[k]
            for k in (
                "matches",
                "innings",
                "maidens",
                "runs_conceded",
                "wickets",
                "five_wickets",
                "ten_wickets",
            )
        ]
        bbi = None if row["BBI"] == "-" else tuple(map(int, row["BBI"].split("/")))
        assert bbi == (
            None if t["best_innings_wickets"] is None else (t["best_innings_wickets"], t["best_innings_runs"])
        )
        bbm = None if row["BBM"] == "-" else tuple(map(int, row["BBM"].split("/")))
        assert bbm == (
            None if t["best_match_wickets"] is None else (t["best_match_wickets"], t["best_match_runs"])
        )
        _check_ratio(row["Ave"], t["average"], 2)
        _check_ratio(row["Econ"], t["economy"], 2)
        _check_ratio(row["SR"], t["strike_rate"], 1)
        assert t["four_wickets"] is None
    assert never_bowled > 0
    truth = {r["player_id"]: r for r in truth_300["fielding_career"] if r["format"] == "t20i"}
    rows, total = all_rows(replica_300.url, "class=3;template=results;type=fielding", 200)
    assert total == len(truth)
    for row in rows:
        t = truth[row["player_id"]]
        assert [_int(row[h]) for h in ("Mat", "Inns", "Dis", "Ct", "St", "Ct Wk", "Ct Fi")] == [
            t[k]
            for k in (
                "matches",
                "innings",
                "dismissals",
                "caught",
                "stumped",
                "caught_keeper",
                "caught_fielder",
            )
        ]
        md = row["MD"]
        assert (None if md == "-" else int(md.split(" ")[0])) == t["max_dismissals_innings"]
        _check_ratio(row["D/I"], t["dismissals_per_innings"], 3)


def test_innings_list_equals_truth(replica_300, truth_300):
    truth = {
        (r["player_id"], r["match_id"], r["innings_number"]): r
        for r in truth_300["batting_innings"]
        if r["format"] == "odi"
    }
    rows, total = all_rows(replica_300.url, "class=2;template=results;type=batting;view=innings", 200)
    assert total == len(truth)
    parts = set()
    for row in rows:
        t = truth[(row["player_id"], row["match_id"], inns(row["Inns"]))]
        assert (
            team_of_opposition(row["Opposition"]).team_id == t["opposition"] and row["Ground"] == t["ground"]
        )
        d, mon, y = row["Start Date"].split(" ")
        assert (
            f"{y}-{'JanFebMarAprMayJunJulAugSepOctNovDec'.index(mon) // 3 + 1:02d}-{int(d):02d}"
            == t["match_date"]
        )
        assert row["match_label"].startswith("ODI # ")
        assert "Pos" not in row and t["position"] is None and t["dismissal"] is None  # a list shows neither
        parts.add(t["participation"])
        if t["participation"] != "batted":
            assert (
                row["Runs"] == t["participation"].upper()
                if t["participation"] in ("dnb", "tdnb")
                else row["Runs"] == t["participation"]
            )
            assert [row[h] for h in ("Mins", "BF", "4s", "6s", "SR")] == ["-"] * 5
            continue
        assert row["Runs"] == f"{t['runs']}{'*' if t['not_out'] else ''}"
        assert [_int(row[h]) for h in ("Mins", "BF", "4s", "6s")] == [
            t["minutes"],
            t["balls_faced"],
            t["fours"],
            t["sixes"],
        ]
        _check_ratio(row["SR"], t["strike_rate"], 2)
    assert {"batted", "dnb"} <= parts
    # bowling innings: DNB rows hold the marker in Overs, figures otherwise
    truth = {
        (r["player_id"], r["match_id"], r["innings_number"]): r
        for r in truth_300["bowling_innings"]
        if r["format"] == "test"
    }
    doc = get_html(f"{replica_300.url}{BASE}?class=1;template=results;type=bowling;view=innings;size=200")
    _pg, _h, rows = parse_results(doc)
    for row in rows:
        t = truth[(row["player_id"], row["match_id"], inns(row["Inns"]))]
        o, _, b = row["Overs"].partition(".")
        assert (int(o) * 6 + int(b), int(row["Wkts"]), int(row["Runs"]), int(row["Mdns"])) == (
            t["balls"],
            t["wickets"],
            t["runs_conceded"],
            t["maidens"],
        )
        _check_ratio(row["Econ"], t["economy"], 2)


def test_player_page_format_rows_equal_truth(replica_300, truth_300):
    """Career summary format rows and the overall row agree with the results lists' truth."""
    by_player: dict[int, dict[str, dict]] = {}
    for r in truth_300["batting_career"]:
        by_player.setdefault(r["player_id"], {})[r["format"]] = r
    labels = {"Test matches": "test", "One-Day Internationals": "odi", "Twenty20 Internationals": "t20i"}
    sample = [p for p, f in sorted(by_player.items()) if len(set(f) & {"test", "odi", "t20i"}) >= 2][:6]
    assert sample
    for pid in sample:
        doc = get_html(
            f"{replica_300.url}/ci/engine/player/{pid}.html?class=11;template=results;type=batting"
        )
        summary = doc.xpath('//table[caption="Career summary"]')[0]
        heads = [th.text_content().strip() for th in summary.xpath("./thead/tr/th")]
        first = summary.xpath("./tbody")[0]
        mats = 0
        for tr in first.xpath("./tr"):
            cells = {h: td.text_content().strip() for h, td in zip(heads, tr.xpath("./td"), strict=True)}
            t = by_player[pid][labels[cells["Grouping"]]]
            assert int(cells["Mat"]) == t["matches"] and _int(cells["Runs"]) == t["runs"]
            _check_ratio(cells["Ave"], t["average"], 2)
            mats += t["matches"]
        avg = doc.xpath('//table[caption="Career averages"]')[0]
        overall = [td.text_content().strip() for td in avg.xpath("./tbody/tr/td")]
        assert overall[0] == "overall" and int(overall[2]) == mats
