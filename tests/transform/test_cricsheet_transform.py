"""cricket-transform over Cricsheet raw runs: matches, deliveries, people and innings from deliveries with exact
values from the real files; newest record per match over incremental runs; both sources in the innings tables and
the `_preferred` views; the reconciliation with Statsguru."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.pages import cricsheet as page
from cricket_contract.manifest import part_entries, part_info
from transform.cricsheet_reconcile import findings
from transform.job import Job
from transform.query import query
from transform.schemas import curated_schema

REAL = ("1249875", "1086066", "1403290", "1260097")
LINEAGE = {"scraped_at": "2026-11-30T03:00:00Z", "spider": "cricsheet"}


def write_run(raw: Path, run_id: str, rows: list[dict], written_at: str) -> None:
    """A finished cricsheet raw run, shaped as the crawler writes one (one part, manifest last)."""
    d = raw / "cricsheet" / f"run_id={run_id}"
    d.mkdir(parents=True)
    data = gzip.compress(
        b"".join(orjson.dumps({**r, **LINEAGE, "run_id": run_id}) + b"\n" for r in rows), mtime=0
    )
    (d / "part-00001.jsonl.gz").write_bytes(data)
    items: dict[str, int] = {}
    for r in rows:
        items[r["record"]] = items.get(r["record"], 0) + 1
    manifest = {"run_id": run_id, "spider": "cricsheet", "arguments": {}, "finish_reason": "finished",
                "written_at": written_at, **part_entries([part_info("part-00001.jsonl.gz", data, len(rows))]),
                "items": items}  # fmt: skip
    (d / "_manifest.json").write_text(json.dumps(manifest))


def person_rows(docs: dict) -> list[dict]:
    people = {}
    for doc in docs.values():
        for name, ident in doc["info"]["registry"]["people"].items():
            people[ident] = name
    header = "identifier,name,unique_name,key_cricinfo,key_cricinfo_2"
    lines = [header] + [
        f"{ident},{name},{name},{'' if n % 4 == 0 else 100000 + n},{200000 + n if n % 4 == 0 else ''}"
        for n, (ident, name) in enumerate(sorted(people.items()))
    ]
    return page.parse_people("\n".join(lines) + "\n", "https://cricsheet.org/register/people.csv")


@pytest.fixture(scope="module")
def docs(real_fixtures) -> dict:
    return {m: json.loads((real_fixtures / "cricsheet" / f"{m}.json").read_text()) for m in REAL}


@pytest.fixture(scope="module")
def curated(docs, tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("cs")
    raw, cur = tmp / "raw", tmp / "curated"
    matches = [
        page.match_record(
            "tests", f"{m}.json", orjson.dumps(docs[m]), "https://cricsheet.org/downloads/x.zip"
        )
        for m in REAL
    ]
    # an older run holds a stale copy of one match (another venue): the newer run's record wins
    stale = json.loads(json.dumps(docs["1403290"]))
    stale["info"]["venue"] = "stale venue"
    old = page.match_record(
        "t20s", "1403290.json", orjson.dumps(stale), "https://cricsheet.org/downloads/t20s_json.zip"
    )
    write_run(raw, "20261101T000000Z", [old], "2026-11-01T00:00:00Z")
    write_run(raw, "20261130T000000Z", matches + person_rows(docs), "2026-11-30T00:00:00Z")
    res = Job(str(raw), str(cur), None, "t1").run()
    assert res.exit_code == 0, res.summary
    return cur, res.tables


def read(tables: dict, table: str, source: str | None = None) -> list[dict]:
    rows = []
    for uri in tables[table]["files"]:
        path = Path(uri.removeprefix("file://"))
        tb = pq.read_table(path)
        fmt = path.parent.name.removeprefix("format=") if path.parent.name.startswith("format=") else None
        rows += [{**r, "format": fmt} for r in tb.to_pylist() if source is None or r["source"] == source]
    return rows


def test_matches_rows(curated, docs):
    _cur, tables = curated
    rows = {r["match_id"]: r for r in read(tables, "matches")}
    assert sorted(rows) == sorted(int(m) for m in REAL)
    wtc = rows[1249875]
    assert (wtc["format"], wtc["start_date"], wtc["end_date"], wtc["days"]) == (
        "test", dt.date(2021, 6, 18), dt.date(2021, 6, 23), 6)  # fmt: skip
    assert (wtc["team1_id"], wtc["team2_id"], wtc["winner"], wtc["by_wickets"], wtc["event_stage"]) == (
        "IND", "NZ", "New Zealand", 8, "Final")  # fmt: skip
    dl = rows[1260097]
    assert (dl["format"], dl["method"], dl["by_runs"], dl["team1_id"], dl["team2_id"]) == (
        "wt20i",
        "D/L",
        18,
        "ENG-W",
        "IND-W",
    )
    assert rows[1086066]["result"] == "draw" and rows[1086066]["format"] == "wtest"
    nepal = rows[1403290]
    assert nepal["venue"] == "Mulpani Cricket Ground"  # the newer run's record, not the stale one
    assert (nepal["data_version"], nepal["format"], nepal["overs"]) == ("1.1.0", "t20i", 20)
    assert tables["matches"]["partitions"] == {"test": 1, "wtest": 1, "t20i": 1, "wt20i": 1}


def test_every_delivery_is_a_row(curated, docs):
    _cur, tables = curated
    want = sum(len(o["deliveries"]) for d in docs.values() for i in d["innings"] for o in i["overs"])
    assert tables["deliveries"]["rows"] == want
    rows = [r for r in read(tables, "deliveries") if r["match_id"] == 1249875 and r["innings"] == 4]
    assert sum(r["runs_total"] for r in rows) == 140
    assert sum(r["legbyes"] for r in rows) == 11
    kw = docs["1249875"]["info"]["registry"]["people"]["KS Williamson"]
    assert sum(r["runs_batter"] for r in rows if r["batter_id"] == kw) == 52
    outs = [r for r in rows if r["wicket_kind"]]
    assert len(outs) == 2 and all(r["player_out_id"] for r in outs)


def test_people_and_their_cricinfo_ids(curated, docs):
    _cur, tables = curated
    rows = read(tables, "people")
    assert len(rows) == len({i for d in docs.values() for i in d["info"]["registry"]["people"].values()})
    second = [r for r in rows if r["key_cricinfo"] is None]
    assert second and all(r["player_id"] == r["key_cricinfo_2"] for r in second)
    assert all(r["player_id"] == r["key_cricinfo"] for r in rows if r["key_cricinfo"] is not None)


def test_innings_from_deliveries_carry_exact_figures(curated, docs):
    _cur, tables = curated
    ids = {r["identifier"]: r["player_id"] for r in read(tables, "people")}
    reg = docs["1249875"]["info"]["registry"]["people"]
    bat = {
        (r["player_id"], r["match_id"], r["innings_number"]): r
        for r in read(tables, "batting_innings", "cricsheet")
    }
    kohli = bat[ids[reg["V Kohli"]], 1249875, 1]
    assert (kohli["runs"], kohli["balls_faced"], kohli["fours"], kohli["sixes"], kohli["not_out"]) == (
        44,
        132,
        1,
        0,
        False,
    )
    assert (kohli["dismissal"], kohli["country"], kohli["opposition"], kohli["source"]) == (
        "lbw",
        "IND",
        "NZ",
        "cricsheet",
    )
    assert (
        kohli["match_date"] == dt.date(2021, 6, 18) and kohli["format"] == "test" and kohli["minutes"] is None
    )
    bowl = {
        (r["player_id"], r["match_id"], r["innings_number"]): r
        for r in read(tables, "bowling_innings", "cricsheet")
    }
    jam = bowl[ids[reg["KA Jamieson"]], 1249875, 1]
    assert (jam["balls"], jam["maidens"], jam["runs_conceded"], jam["wickets"], jam["country"]) == (
        132,
        12,
        31,
        5,
        "NZ",
    )
    assert tables["batting_innings"]["partitions"].keys() == {"test", "wtest", "t20i", "wt20i"}


def _write(tmp: Path, table: str, rows: list[dict], fmt: str, tables: dict) -> dict:
    """Statsguru rows of `table` beside the run's Cricsheet rows of it (the two sources share the table)."""
    d = tmp / table / f"format={fmt}"
    d.mkdir(parents=True)
    sch = curated_schema(table)
    tb = pa.Table.from_pylist([{**r, "format": fmt, "source": "statsguru"} for r in rows], schema=sch)
    pq.write_table(tb.drop_columns(["format"]), d / "part-00000.parquet")
    return {"files": [str(d / "part-00000.parquet"), *tables[table]["files"]], "rows": len(rows)}


def test_reconciliation_lists_every_differing_cell_and_a_match_whose_teams_disagree(curated, docs, tmp_path):
    _cur, tables = curated
    ids = {r["identifier"]: r["player_id"] for r in read(tables, "people")}
    reg = docs["1249875"]["info"]["registry"]["people"]
    cs = {
        (r["player_id"], r["innings_number"]): r
        for r in read(tables, "batting_innings", "cricsheet")
        if r["match_id"] == 1249875
    }
    kohli, rahane = cs[ids[reg["V Kohli"]], 1], cs[ids[reg["AM Rahane"]], 1]
    same = {k: v for k, v in kohli.items() if k not in ("source", "format")}
    wrong = {
        **{k: v for k, v in rahane.items() if k not in ("source", "format")},
        "fours": 6,
        "balls_faced": None,
    }
    # a Statsguru row for a match Cricsheet has under the same id but other teams: the id assumption fails there
    odd = {**same, "match_id": 1403290, "innings_number": 1, "country": "AUS", "opposition": "SA"}
    sg = {
        "batting_innings": _write(tmp_path, "batting_innings", [same, wrong, odd], "test", tables),
        "bowling_innings": _write(tmp_path, "bowling_innings", [], "test", tables),
        "fielding_innings": _write(tmp_path, "fielding_innings", [], "test", tables),
    }
    got = list(findings({**tables, **sg}))
    differs = [f for f in got if f["finding"] == "differs"]
    assert [(f["name"], f["field"], f["statsguru"], f["cricsheet"]) for f in differs] == [
        ("AM Rahane", "fours", "6", "5")
    ]
    teams = [f for f in got if f["finding"] == "match_teams"]
    assert [(f["match_id"], f["statsguru"], f["cricsheet"]) for f in teams] == [
        (1403290, "AUS,SA", "HKG,NEP")
    ]
    # every other batter of that Test is in Cricsheet only (Statsguru's rows here are the two above)
    only = {
        (f["name"], f["innings_number"])
        for f in got
        if f["finding"] == "only_cricsheet" and f["match_id"] == 1249875
    }
    assert ("RG Sharma", 1) in only and ("V Kohli", 3) in only and ("V Kohli", 1) not in only


def test_without_statsguru_the_innings_tables_hold_cricsheets_rows_only(curated):
    cur, tables = curated
    cols, rows = query(
        "SELECT source, COUNT(*) FROM batting_innings GROUP BY source ORDER BY source", str(cur)
    )
    assert rows == [("cricsheet", 94)] and tables["batting_innings"]["rows"] == 94
    assert tables["batting_innings"]["sources"]["statsguru"] == {"rows": 0, "partitions": {}}
    cols, rows = query("SELECT COUNT(*) FROM batting_innings_preferred", str(cur))
    assert rows == [(94,)]
    cols, rows = query("SELECT COUNT(*) FROM reconciliation", str(cur))
    assert rows == [(0,)]  # no Statsguru run read: nothing to reconcile
    names = {Path(f).name for f in tables["batting_innings"]["files"]}
    assert names == {"part-cricsheet-00000.parquet"}  # named apart from the Statsguru writer's part-00000


def test_a_side_teams_csv_does_not_know_and_a_club_match_are_findings(docs, tmp_path):
    renamed = json.loads(json.dumps(docs["1403290"]))
    renamed["info"]["teams"] = ["Nepal", "Atlantis"]
    club = json.loads(json.dumps(docs["1260097"]))
    club["info"]["team_type"] = "club"
    recs = [
        page.match_record("t20s", "1403290.json", orjson.dumps(renamed), "u"),
        page.match_record("recently_added_7", "1260097.json", orjson.dumps(club), "u"),
    ]
    write_run(tmp_path / "raw", "r1", recs, "2026-11-30T00:00:00Z")
    res = Job(str(tmp_path / "raw"), str(tmp_path / "cur"), None, "t1").run()
    assert res.exit_code == 0, res.summary
    checks = res.report["dq"]["checks"]["matches"]
    assert checks["unknown_team"]["failed"] == 1 and checks["not_international"]["failed"] == 1
    assert res.report["dq"]["samples"]["matches.unknown_team"] == [
        {"match_id": 1403290, "team": "Atlantis", "gender": "male"}
    ]
    assert res.tables["matches"]["rows"] == 1


def statsguru_innings(
    pid: int, cell: str, runs: str, bf: str, fours: str, mins: str, match: str, **cells
) -> dict:
    """A Statsguru results-list innings row (class 1, batting) as the crawler stores one."""
    from tests.transform.test_rejects import INNINGS, item

    row = item(INNINGS, pid=pid, player_cell=cell, cell_Pos=None, cell_Dismissal=None, match_id=match,
               match_label="Test # 2424", cell_Runs=runs, cell_BF=bf, cell_4s=fours, cell_6s="0", cell_Mins=mins,
               cell_SR="-", cell_Opposition="v New Zealand", cell_Ground="Southampton",
               cell_Start_Date="18 Jun 2021", **{"class": 1})  # fmt: skip
    row["cells"].update(cells)
    return row


@pytest.fixture(scope="module")
def both(docs, curated, tmp_path_factory) -> tuple[Path, dict, dict[str, int]]:
    """The Cricsheet runs above and a Statsguru run: Kohli's first innings of the WTC final as Cricsheet has it
    (and his minutes, which Cricsheet lacks), Rahane's with six fours where Cricsheet counts five, and an innings
    of a match Cricsheet does not have."""
    from tests.transform.rawgen import write_run as write_statsguru

    cs_raw = Path(str(curated[0]).removesuffix("curated")) / "raw"
    tmp = tmp_path_factory.mktemp("both")
    raw = tmp / "raw"
    for run in (cs_raw / "cricsheet").iterdir():
        (raw / "cricsheet" / run.name).mkdir(parents=True)
        for f in run.iterdir():
            (raw / "cricsheet" / run.name / f.name).write_bytes(f.read_bytes())
    ids = {r["name"]: r["player_id"] for r in read(curated[1], "people")}
    rows = [
        statsguru_innings(ids["V Kohli"], "V Kohli (IND)", "44", "132", "1", "201", "1249875"),
        statsguru_innings(ids["AM Rahane"], "AM Rahane (IND)", "49", "117", "6", "180", "1249875"),
        statsguru_innings(999, "XY Other (IND)", "12", "30", "2", "40", "1234"),
    ]
    write_statsguru(raw, "statsguru", "s1", rows)
    res = Job(str(raw), str(tmp / "curated"), None, "t2").run()
    assert res.exit_code == 0, res.summary
    return tmp / "curated", res.tables, ids, res.report


def test_a_run_with_both_sources_has_both_in_the_innings_tables(both, monkeypatch):
    cur, tables, ids, report = both
    bat = tables["batting_innings"]
    assert bat["sources"] == {
        "statsguru": {"rows": 3, "partitions": {"test": 3}},
        "cricsheet": {"rows": 94, "partitions": {"test": 37, "wtest": 26, "t20i": 18, "wt20i": 13}},
    }
    assert bat["rows"] == 97 and bat["partitions"]["test"] == 40
    cols, rows = query("SELECT source, COUNT(*) FROM batting_innings GROUP BY 1 ORDER BY 1", str(cur))
    assert rows == [("cricsheet", 94), ("statsguru", 3)]
    # both writers' files in the same partition directories, named apart
    base = bat["location"].removeprefix("file://")
    names = sorted(Path(f.removeprefix("file://")).relative_to(base).as_posix() for f in bat["files"])
    assert "format=test/part-00000.parquet" in names and "format=test/part-cricsheet-00000.parquet" in names
    # DQ checks of the innings tables are Statsguru's rows' (what the site shows), not Cricsheet's
    assert report["dq"]["checks"]["batting_innings"]["boundary_runs_le_runs"]["checked"] == 3
    # the careers' reconciliation and the DAG's check count Statsguru's rows only
    monkeypatch.syspath_prepend(
        str(Path(__file__).resolve().parents[2] / "dags")
    )  # as on MWAA: dags/ on the path
    from cricket_runtime import check_current

    published = json.loads((cur / "_current.json").read_text())
    _, checked = check_current(
        published, run_id="t2", expected_tables=["batting_innings"], max_reject_ratio=1
    )
    assert checked["rows"]["batting_innings"] == 3


def test_the_preferred_view_has_each_innings_once_statsguru_first(both):
    cur, _tables, ids, _report = both
    sql = "SELECT player_id, match_id, innings_number, COUNT(*) FROM {} GROUP BY 1, 2, 3 HAVING COUNT(*) > 1"
    assert query(sql.format("batting_innings_preferred"), str(cur))[1] == []
    assert (
        len(query(sql.format("batting_innings"), str(cur))[1]) == 2
    )  # Kohli's and Rahane's: in both sources
    cols, rows = query("SELECT COUNT(*) FROM batting_innings_preferred", str(cur))
    assert rows == [(95,)]  # 94 + 3 - the 2 both have
    cols, rows = query(
        "SELECT player_id, innings_number, source, runs, balls_faced, fours, minutes FROM batting_innings_preferred "
        f"WHERE match_id = 1249875 AND player_id IN ({ids['V Kohli']}, {ids['AM Rahane']}) ORDER BY 1, 2",
        str(cur),
    )
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert got[ids["V Kohli"], 1] == ("statsguru", 44, 132, 1, 201)  # Statsguru's row: with its minutes
    assert got[ids["V Kohli"], 3] == ("cricsheet", 13, 29, 0, None)  # Statsguru lacks it: Cricsheet's
    assert got[ids["AM Rahane"], 1] == (
        "statsguru",
        49,
        117,
        6,
        180,
    )  # Statsguru's six fours, not Cricsheet's five
    assert query("SELECT source, runs FROM batting_innings_preferred WHERE player_id = 999", str(cur))[1] == [
        ("statsguru", 12)
    ]
    # the one differing cell is the reconciliation's finding
    cols, rows = query(
        "SELECT name, field, statsguru, cricsheet FROM reconciliation WHERE finding = 'differs'", str(cur)
    )
    assert rows == [("AM Rahane", "fours", "6", "5")]


def test_a_run_without_cricsheet_has_only_statsguru_rows(tmp_path):
    from tests.transform.rawgen import write_run as write_statsguru

    write_statsguru(
        tmp_path / "raw",
        "statsguru",
        "s1",
        [statsguru_innings(7, "CD Two (IND)", "20", "30", "2", "40", "55")],
    )
    res = Job(str(tmp_path / "raw"), str(tmp_path / "cur"), None, "t3").run()
    assert res.exit_code == 0, res.summary
    assert res.tables["batting_innings"]["sources"] == {
        "statsguru": {"rows": 1, "partitions": {"test": 1}},
        "cricsheet": {"rows": 0, "partitions": {}},
    }
    cur = str(tmp_path / "cur")
    assert query("SELECT source, COUNT(*) FROM batting_innings GROUP BY 1", cur)[1] == [("statsguru", 1)]
    assert query("SELECT player_id, source FROM batting_innings_preferred", cur)[1] == [(7, "statsguru")]


def test_the_run_report_counts_each_source_apart(both):
    from transform.report import render
    from transform.report.gather import gather

    _cur, tables, _ids, report = both
    data = gather(report, report)  # compared with itself: nothing changed, every row counted once per source
    assert data["rows_per_format"]["batting_innings"] == {"test": 3}
    assert data["rows_per_format"]["batting_innings (cricsheet)"] == {
        "test": 37,
        "wtest": 26,
        "t20i": 18,
        "wt20i": 13,
    }
    assert data["changes"]["batting_innings"] == {"test": {"added": 0, "changed": 0, "removed": 0, "rows": 3}}
    assert {f: v["rows"] for f, v in data["changes"]["batting_innings (cricsheet)"].items()} == {
        "t20i": 18, "test": 37, "wt20i": 13, "wtest": 26}  # fmt: skip
    # freshness is Statsguru's innings' (the careers'); Cricsheet's latest match per format beside it
    assert data["freshness"]["this"] == {"test": "2021-06-18"}
    starts = {r["format"]: r["start_date"].isoformat() for r in read(tables, "matches")}
    assert data["freshness"]["cricsheet"] == starts
    html = render(report, None).decode()
    assert "Cricsheet&#x27;s latest (this run)" in html or "Cricsheet's latest (this run)" in html
