"""Transforming deltas: the snapshot the refresh state names, upserted on the natural keys, equals each week's truth;
careers that disagree with their innings are DQ findings naming player, format and columns."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cricket_contract.refresh import RefreshState, RunRef
from cricket_contract.vocabulary import FORMAT_BY_CLASS, TYPES
from replica import timeline
from replica.model import Model
from replica.pages import ListQuery, Site
from replica.truth import differences, table_rows
from tests.crawler.rawcheck import innings_key
from tests.transform.conftest import read_table
from tests.transform.sitegen import list_run
from transform.schemas import TRUTH_TABLES

DAY0 = dt.date(2026, 4, 17)
DAY1 = DAY0 + dt.timedelta(days=7)
OVERLAP = dt.timedelta(days=7)
TABLES = [t for t in TRUTH_TABLES if t != "players"]


@pytest.fixture(scope="module")
def world() -> Model:
    return Model(300, 7)


def _site(world: Model, day: dt.date) -> Site:
    return Site(timeline.as_of(world, day, 5))


def _state(raw, runs: list[str], watermark: dt.date) -> None:
    state = RefreshState(watermark=watermark, snapshot=[RunRef("statsguru", r) for r in runs])
    (raw / "_state").mkdir(parents=True, exist_ok=True)
    (raw / "_state" / "refresh.json").write_bytes(state.dumps())


def _diff(curated, site: Site) -> list[str]:
    out = []
    for table in TABLES:
        out += differences(table, read_table(curated, table), list(table_rows(site, table)))
    # no profiles here: the lists' own columns of `players`
    out += differences(
        "players",
        read_table(curated, "players"),
        list(table_rows(site, "players")),
        ["name", "teams", "country"],
    )
    return out


def _amended(site: Site, after: dt.date) -> list[tuple[str, int, str, dt.date, int]]:
    """(table, player id, format, match date, class) of the innings amended since `after`."""
    m = site.m
    out = []
    for typ, row, _col, _old, _new in m.corrections[len(timeline.corrections(m, after, 5)) :]:
        tab = m.B if typ == "batting" else m.BW
        cls = int(tab["cls"][row])
        date = dt.date.fromordinal(int(tab["date"][row]))
        out.append((f"{typ}_career", int(m.pid[int(tab["p"][row])]), FORMAT_BY_CLASS[cls], date, cls))
    return out


def test_full_then_a_week_of_deltas_equals_each_weeks_truth(tmp_path, world, transform_run):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    s0 = _site(world, DAY0)
    list_run(s0, raw, "full-career", "2026-04-17T06:00:00Z", "career")
    list_run(s0, raw, "full-innings", "2026-04-17T07:00:00Z", "innings")
    snapshot = ["full-career", "full-innings"]
    _state(raw, snapshot, DAY0)
    res = transform_run(raw, curated, run_id="w0")
    assert res.exit_code == 0 and res.report["refresh"]["snapshot_runs"] == 2
    assert _diff(curated, s0) == []
    rec = res.report["reconciliation"]
    assert rec["mismatched"] == 0 and rec["findings"] == []
    assert {t: sorted(f) for t, f in rec["compared"].items()} == {
        f"{t}_career": sorted(FORMAT_BY_CLASS[c] for c in (1, 2, 3, 8, 9, 10)) for t in TYPES
    }

    # a week later: the innings since the watermark less the overlap, every career list
    s1 = _site(world, DAY1)
    window = ListQuery(first=(DAY0 - OVERLAP).toordinal(), last=DAY1.toordinal())
    list_run(s1, raw, "d1-innings", "2026-04-24T06:00:00Z", "innings", window)
    list_run(s1, raw, "d1-career", "2026-04-24T06:30:00Z", "career")
    snapshot += ["d1-innings", "d1-career"]
    _state(raw, snapshot, DAY1)
    res = transform_run(raw, curated, run_id="w1-missed")
    assert res.exit_code == 0
    # the week's amendments of innings before the window are missed: the reconciliation names each one
    amended = _amended(s1, DAY0)
    assert len(amended) == 5
    outside = {(t, p, f) for t, p, f, d, _c in amended if d < DAY0 - OVERLAP}
    rec = res.report["reconciliation"]
    assert outside and {(x["table"], x["player_id"], x["format"]) for x in rec["players"]} == outside
    for x in rec["players"]:
        counted = "runs" if x["table"] == "batting_career" else "wickets"
        assert counted in x["columns"] and x["career"] != x["from_innings"], x
    checks = res.report["dq"]["checks"]
    assert sum(checks[t]["innings_reconciliation"]["failed"] for t in checks if t.endswith("_career")) == len(
        outside
    )
    samples = [
        s
        for t in ("batting_career", "bowling_career")
        for s in res.report["dq"]["samples"].get(f"{t}.innings_reconciliation", [])
    ]
    assert {(s["player_id"], s["format"]) for s in samples} == {(p, f) for _t, p, f in outside}
    assert all(s["columns"] and s["career"] and s["from_innings"] for s in samples)
    assert {f["check"].split(".")[1] for f in rec["findings"]} >= {"runs"} or {
        f["check"].split(".")[1] for f in rec["findings"]
    } >= {"wickets"}
    diff = _diff(curated, s1)
    assert diff and all("_innings" in d for d in diff)  # only the missed innings differ

    # the amended matches' lists read again (one day, one class and type each): every cell is the truth's
    for i, (table, _p, _f, day, cls) in enumerate(amended):
        one_day = ListQuery(first=day.toordinal(), last=day.toordinal())
        typ = table.split("_")[0]
        list_run(s1, raw, f"d1-fix{i}", "2026-04-24T07:00:00Z", "innings", one_day, (cls,), (typ,))
        snapshot.append(f"d1-fix{i}")
    _state(raw, snapshot, DAY1)
    res = transform_run(raw, curated, run_id="w1")
    assert res.exit_code == 0 and res.report["reconciliation"]["mismatched"] == 0
    assert _diff(curated, s1) == []
    assert json.loads((curated / "_current.json").read_text())["run_id"] == "w1"


def test_a_state_without_a_snapshot_or_with_a_lost_run_is_refused(tmp_path, world, transform_run):
    from cricket_storage.rawruns import RawRunError

    raw, curated = tmp_path / "raw", tmp_path / "curated"
    list_run(_site(world, DAY0), raw, "full-career", "2026-04-17T06:00:00Z", "career", classes=(8,))
    state = RefreshState(
        backfill={"done": [{"spider": "statsguru", "run_id": "full-career"}], "remaining": [{}, {}]}
    )
    (raw / "_state").mkdir()
    (raw / "_state" / "refresh.json").write_bytes(state.dumps())
    with pytest.raises(
        RawRunError, match=r"names no complete snapshot yet \(the backfill has finished 1 of 3 runs\)"
    ):
        transform_run(raw, curated)
    _state(raw, ["full-career", "gone"], DAY0)
    with pytest.raises(RawRunError, match="the refresh state names statsguru/gone, which cannot be read"):
        transform_run(raw, curated)
    # --raw-run still names runs explicitly, whatever the state says
    assert transform_run(raw, curated, raw_runs=["full-career"]).exit_code == 0
    assert not (curated / "_current.json").read_text().count("refresh.json")


def _expected_columns(kind: str, career: dict, innings: list[dict]) -> list[str]:
    """A plain-Python oracle: the career columns its innings do not reproduce (the rules of transform/reconcile)."""
    played = [
        r
        for r in innings
        if r["participation"] == {"batting": "batted", "bowling": "bowled"}.get(kind, "fielded")
    ]
    years = [int(r["match_date"][:4]) for r in innings]
    derived = {
        "matches": len({r["match_id"] for r in innings}),
        "start_year": min(years, default=None),
        "end_year": max(years, default=None),
        "innings": len(played),
    }
    if kind == "batting":
        best = max(played, key=lambda r: (r["runs"], r["not_out"]), default=None)
        derived |= {
            "not_outs": sum(r["not_out"] for r in played),
            "runs": sum(r["runs"] for r in played),
            "high_score": best and best["runs"],
            "high_score_not_out": best and best["not_out"],
            "hundreds": sum(r["runs"] >= 100 for r in played),
            "fifties": sum(50 <= r["runs"] < 100 for r in played),
            "ducks": sum(r["runs"] == 0 and not r["not_out"] for r in played),
        }
        for c in ("balls_faced", "fours", "sixes"):
            derived[c] = sum(r[c] for r in played) if all(r[c] is not None for r in played) else None
    elif kind == "bowling":
        wk = sum(r["wickets"] for r in played)
        best = max(played, key=lambda r: (r["wickets"], -r["runs_conceded"]), default=None)
        by_match: dict = {}
        for r in played:
            w, c = by_match.get(r["match_id"], (0, 0))
            by_match[r["match_id"]] = (w + r["wickets"], c + r["runs_conceded"])
        bm = max(by_match.values(), key=lambda x: (x[0], -x[1]), default=None)
        derived |= {
            "balls": sum(r["balls"] for r in played),
            "maidens": sum(r["maidens"] for r in played),
            "runs_conceded": sum(r["runs_conceded"] for r in played),
            "wickets": wk,
            "best_innings_wickets": best["wickets"] if wk else None,
            "best_innings_runs": best["runs_conceded"] if wk else None,
            "best_match_wickets": bm[0] if wk else None,
            "best_match_runs": bm[1] if wk else None,
            "four_wickets": sum(r["wickets"] == 4 for r in played),
            "five_wickets": sum(r["wickets"] >= 5 for r in played),
            "ten_wickets": sum(w >= 10 for w, _c in by_match.values()),
        }
    else:
        derived |= {c: sum(r[c] for r in played) for c in ("dismissals", "caught", "stumped")}
        derived |= {c: sum(r[c] for r in played) for c in ("caught_keeper", "caught_fielder")}
        derived["max_dismissals_innings"] = max((r["dismissals"] for r in played), default=None)
    from transform.reconcile import COLUMNS

    out = []
    for c, rule in COLUMNS[kind]:
        a, b = career[c], derived[c]
        if c == "innings":
            a = a or 0
        if rule == "batted" and career["innings"] is None:
            continue
        if rule == "known" and (a is None or (b is None and not c.startswith("best_"))):
            continue
        if rule == "known" and c.startswith("best_") and career["innings"] is None:
            continue
        if a != b:
            out.append(c)
    return out


def test_the_reconciliation_names_the_columns_a_lost_innings_moves(tmp_path, world, transform_run):
    """Innings rows lost from the snapshot: each (player, format) is named with exactly the columns it moves."""
    from tests.transform.rawgen import write_run
    from tests.transform.sitegen import list_rows

    raw, curated = tmp_path / "raw", tmp_path / "curated"
    s0 = _site(world, DAY0)
    list_run(s0, raw, "full-career", "2026-04-17T06:00:00Z", "career")
    truth = {t: list(table_rows(s0, t)) for t in TABLES}
    lost: dict[tuple, str] = {}  # (player_id, match_id, innings) of the rows left out → type
    for kind, wanted in (("batting", "runs"), ("bowling", "wickets"), ("fielding", "caught")):
        best = [
            r for r in truth[f"{kind}_innings"] if (r[wanted] or 0) > 0 and r["format"] in ("test", "odi")
        ]
        for r in best[:2] + best[-1:]:  # the list's top rows (a best figure, a high score) and its last
            lost[(r["player_id"], r["match_id"], r["innings_number"])] = kind
    items = []
    for cls in (1, 2, 3, 8, 9, 10):
        for kind in TYPES:
            for row in list_rows(s0, cls, kind, "innings"):
                key = innings_key(row)
                if lost.get(key) != kind:
                    items.append(
                        row
                        | {
                            "scraped_at": "2026-04-17T07:00:00Z",
                            "run_id": "part-innings",
                            "spider": "statsguru",
                        }
                    )
    write_run(raw, "statsguru", "part-innings", items)
    _state(raw, ["full-career", "part-innings"], DAY0)
    rec = transform_run(raw, curated).report["reconciliation"]
    want = {}
    for (pid, mid, _inn), kind in lost.items():
        fmt = next(
            r["format"] for r in truth[f"{kind}_innings"] if (r["player_id"], r["match_id"]) == (pid, mid)
        )
        kept = [
            r
            for r in truth[f"{kind}_innings"]
            if (r["player_id"], r["format"]) == (pid, fmt)
            and lost.get((r["player_id"], r["match_id"], r["innings_number"])) != kind
        ]
        career = next(r for r in truth[f"{kind}_career"] if (r["player_id"], r["format"]) == (pid, fmt))
        want[(f"{kind}_career", pid, fmt)] = _expected_columns(kind, career, kept)
    got = {(x["table"], x["player_id"], x["format"]): x["columns"] for x in rec["players"]}
    assert got == want and all(want.values())
    assert {c for cols in want.values() for c in cols} >= {"innings", "runs", "wickets", "caught", "matches"}
