"""The replica in time: `--as-of`, weekly `--corrections`, the results lists' date filter and order, `info`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from replica.model import LAST_DATE
from tests.crawler.rawcheck import inns
from tests.replica.conftest import REPO, get_html, load_truth
from tests.replica.test_results_lists import BASE, all_rows

DAY = dt.date(2026, 4, 17)  # a Friday: the Monday after it starts a correction week
PAST = dt.date(2025, 6, 30)
INNINGS_KEY = ("player_id", "match_id", "innings_number")


def _replica(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "replica", *args], cwd=REPO, check=check, capture_output=True, text=True
    )


def _truth(tmp_path, name: str, *args: str) -> dict[str, list[dict]]:
    out = tmp_path / name
    _replica("truth", "--players", "300", "--seed", "7", "--out", str(out), *args)
    return load_truth(out)


def _by_key(rows: list[dict]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in INNINGS_KEY): r for r in rows}


def test_the_last_day_is_the_default_byte_for_byte(tmp_path, truth_300):
    out = tmp_path / "last"
    _replica("truth", "--players", "300", "--seed", "7", "--out", str(out), "--as-of", LAST_DATE.isoformat())
    for table, rows in truth_300.items():
        lines = (out / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines == [json.dumps(r, ensure_ascii=False) for r in rows], table


def test_as_of_shows_the_past(tmp_path, truth_300):
    """Only matches started by the day; careers are the sums of those innings; later debutants are absent."""
    past = _truth(tmp_path, "past", "--as-of", PAST.isoformat())
    for kind in ("batting", "bowling", "fielding"):
        full = truth_300[f"{kind}_innings"]
        # innings rows never change once played (no corrections asked): the past list is the full one, cut
        assert past[f"{kind}_innings"] == [r for r in full if r["match_date"] <= PAST.isoformat()]
    players = {r["player_id"] for r in past["players"]}
    later = {r["player_id"] for r in truth_300["players"]} - players
    assert later and all(
        min(r["match_date"] for r in truth_300["fielding_innings"] if r["player_id"] == p) > PAST.isoformat()
        for p in later
    )
    grown = 0
    for r in past["batting_career"]:
        assert r["player_id"] in players
        inns = [
            i
            for i in past["batting_innings"]
            if (i["player_id"], i["format"]) == (r["player_id"], r["format"])
            and i["participation"] == "batted"
        ]
        assert (r["runs"] or 0, r["innings"] or 0) == (sum(i["runs"] for i in inns), len(inns))
        assert r["end_year"] <= PAST.year
        now = next(
            c
            for c in truth_300["batting_career"]
            if (c["player_id"], c["format"]) == (r["player_id"], r["format"])
        )
        grown += now["matches"] > r["matches"]
    assert grown > 0


def test_corrections_amend_played_innings_a_week_at_a_time(tmp_path):
    before = _truth(tmp_path, "before", "--as-of", DAY.isoformat(), "--corrections", "5")
    after = _truth(
        tmp_path, "after", "--as-of", (DAY + dt.timedelta(days=7)).isoformat(), "--corrections", "5"
    )
    changed = []
    for kind, counted in (("batting", "runs"), ("bowling", "wickets")):
        old, new = _by_key(before[f"{kind}_innings"]), _by_key(after[f"{kind}_innings"])
        assert old.keys() <= new.keys()
        for key, row in old.items():
            if row != new[key]:
                diff = {k for k in row if row[k] != new[key][k]}
                # a changed run count (and the strike rate that follows it) or wicket count, nothing else
                assert diff <= {counted, "strike_rate"} and counted in diff, (key, diff)
                assert abs(row[counted] - new[key][counted]) <= (4 if kind == "batting" else 1)
                changed.append((kind, row["match_date"], row["player_id"], row["format"]))
    assert len(changed) == 5
    ages = sorted((DAY - dt.date.fromisoformat(d)).days for _k, d, _p, _f in changed)
    assert ages[0] >= 0 and ages[-1] > 365  # some recent, some years old
    # everything else derives from the amended rows: the amended players' careers moved with them
    for kind, _d, pid, fmt in changed:
        was = next(r for r in before[f"{kind}_career"] if (r["player_id"], r["format"]) == (pid, fmt))
        now = next(r for r in after[f"{kind}_career"] if (r["player_id"], r["format"]) == (pid, fmt))
        counted = "runs" if kind == "batting" else "wickets"
        inns = [r for r in after[f"{kind}_innings"] if (r["player_id"], r["format"]) == (pid, fmt)]
        assert now[counted] == sum(r[counted] or 0 for r in inns) != was[counted]
    # seeded: the same again
    again = _truth(tmp_path, "again", "--as-of", DAY.isoformat(), "--corrections", "5")
    assert again == before


def test_results_lists_honour_the_date_filter_and_order(replica_300, truth_300):
    span = "spanmin1=01+Jan+2024;spanmax1=31+Dec+2025;spanval1=span"
    query = f"class=3;template=results;type=batting;view=innings;{span};orderby=start;orderbyad=reverse"
    rows, total = all_rows(replica_300.url, query, 25)
    want = [
        r
        for r in truth_300["batting_innings"]
        if r["format"] == "t20i" and "2024-01-01" <= r["match_date"] <= "2025-12-31"
    ]
    want.sort(key=lambda r: r["match_date"], reverse=True)  # stable: ties keep the list's default order
    assert total == len(want) > 25
    assert [(r["player_id"], r["match_id"], inns(r["Inns"])) for r in rows] == [
        (r["player_id"], r["match_id"], r["innings_number"]) for r in want
    ]
    doc = get_html(f"{replica_300.url}{BASE}?{query};page=1;size=25")
    links = doc.xpath("//span[@class='pagination']/a/@href")
    assert links and all(span in h and "orderbyad=reverse" in h for h in links)
    assert "Ordered by start date (descending)" in " ".join(doc.text_content().split())
    # a career list over the span aggregates the span's innings, as the real site does
    rows, _ = all_rows(replica_300.url, f"class=3;template=results;type=batting;{span}", 200)
    runs: dict[int, int] = {}
    for r in want:
        runs[r["player_id"]] = runs.get(r["player_id"], 0) + (r["runs"] or 0)
    assert {r["player_id"]: int(r["Runs"]) for r in rows if r["Runs"] != "-"} == {
        p: n for p, n in runs.items() if any(w["player_id"] == p and w["runs"] is not None for w in want)
    }
    # without spanval1=span the span is ignored (as on the site); an unreadable date is a 400
    plain = f"{replica_300.url}{BASE}?class=3;template=results;type=batting;page=1;size=50"
    with urllib.request.urlopen(plain) as a, urllib.request.urlopen(plain + ";spanmin1=01+Jan+2024") as b:
        assert a.read() == b.read()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(plain + ";spanmin1=32+Foo+2024;spanval1=span")
    assert err.value.code == 400


def test_served_as_of(replica_factory, tmp_path, truth_300):
    """A site served as of a day: later debutants and matches are not there; the lists equal that day's truth."""
    args = ("--players", "300", "--seed", "7", "--as-of", PAST.isoformat(), "--corrections", "5")
    srv = replica_factory(*args)
    truth = _truth(tmp_path, "served", "--as-of", PAST.isoformat(), "--corrections", "5")
    full = truth_300
    rows, total = all_rows(srv.url, "class=2;template=results;type=batting", 200)
    odi = {r["player_id"]: r for r in truth["batting_career"] if r["format"] == "odi"}
    assert total == len(odi) and {r["player_id"]: _int(r["Runs"]) for r in rows} == {
        p: r["runs"] for p, r in odi.items()
    }
    later = sorted({r["player_id"] for r in full["players"]} - {r["player_id"] for r in truth["players"]})
    for path in (
        f"/ci/engine/player/{later[0]}.html?class=11;type=batting",
        f"/v2/sports/cricket/athletes/{later[0]}",
    ):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(srv.url + path)
        assert err.value.code == 404
    future = next(r for r in full["batting_innings"] if r["match_date"] > PAST.isoformat())
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{srv.url}/ci/engine/match/{future['match_id']}.html")
    assert err.value.code == 404
    # a player's own innings view as of the day, filtered by the span like the lists
    odi = [r for r in truth["batting_innings"] if r["format"] == "odi" and r["match_date"] >= "2000-01-01"]
    pid = odi[0]["player_id"]
    own = get_html(
        f"{srv.url}/ci/engine/player/{pid}.html?class=2;template=results;type=batting;view=innings;"
        "spanmin1=01+Jan+2000;spanval1=span"
    )
    table = own.xpath("//table[caption='Innings by innings list']")[0]
    shown = [tr.xpath("./td")[-2].text_content().strip() for tr in table.xpath("./tbody/tr[@class='data1']")]
    want = sorted(r["match_date"] for r in odi if r["player_id"] == pid)
    assert [dt.datetime.strptime(d, "%d %b %Y").date().isoformat() for d in shown] == want


def _int(v: str) -> int | None:
    return None if v == "-" else int(v)


def test_info_prints_one_json_line():
    out = _replica(
        "info", "--players", "300", "--seed", "7", "--as-of", DAY.isoformat(), "--corrections", "5"
    )
    lines = out.stdout.splitlines()
    assert len(lines) == 1
    got = json.loads(lines[0])
    from replica import timeline
    from replica.model import Model

    model = timeline.as_of(Model(300, 7), DAY, 5)
    dates = [m.date for m in model.matches if m.date <= DAY]
    year = [d for d in dates if d > DAY - dt.timedelta(days=364)]
    assert got["first_match_date"] == dates[0].isoformat() == "1877-01-03"
    assert got["last_match_date"] == dates[-1].isoformat()
    assert got["matches"] == len(dates) and got["matches_per_week_last_year"] == round(len(year) / 52, 2)
    assert got["as_of"] == DAY.isoformat() and got["players"] == 300 and got["corrections_per_week"] == 5
    assert got["innings_rows"] == {
        "batting": len(model.B["p"]),
        "bowling": len(model.BW["p"]),
        "fielding": len(model.F["p"]),
    }
    bad = _replica("info", "--players", "300", "--as-of", "2027-01-01", check=False)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "python -m replica info: --as-of 2027-01-01: the replica's world runs from 1877-01-03 to 2026-05-15"
    ]
