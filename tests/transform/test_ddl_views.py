"""Athena DDL parses with sqlglot's Athena dialect; views transpiled to DuckDB give the expected answers."""

from __future__ import annotations

import json

import pytest
import sqlglot
from sqlglot import exp

from tests.transform.rawgen import write_run
from tests.transform.test_rejects import GOOD, item
from transform.ddl import VIEWS, render
from transform.query import format_result, query
from transform.schemas import NATURAL_KEYS, PARTITIONED, TABLES

BOWL = {
    **GOOD,
    "type": "bowling",
    "cells": {
        "Span": "2001-2010",
        "Mat": "10",
        "Inns": "18",
        "Overs": "100.3",
        "Mdns": "5",
        "Runs": "400",
        "Wkts": "20",
        "BBI": "5/40",
        "BBM": "7/90",
        "Ave": "20",
        "Econ": "3.98",
        "SR": "30.1",
        "5": "1",
        "10": "0",
    },
}


def _bat(pid, cls, runs, cell):
    return item(
        pid=pid,
        player_cell=cell,
        cell_Runs=str(runs),
        cell_HS="99",
        cell_Ave="-",
        cell_SR="-",
        cell_BF="-",
        **{"class": cls},
    )


@pytest.fixture(scope="module")
def curated(tmp_path_factory, real_fixtures):
    import io

    from transform.flow import Progress
    from transform.job import Job

    tmp = tmp_path_factory.mktemp("ddl")
    rows = [
        _bat(1, 1, 500, "AB One (ENG)"),
        _bat(2, 1, 900, "CD Two (AUS)"),
        _bat(3, 1, 700, "EF Three (ENG)"),
        _bat(1, 2, 300, "AB One (ENG)"),
        _bat(4, 9, 800, "GH Four (IND-W)"),
        item(BOWL, pid=2, player_cell="CD Two (AUS)"),
    ]
    for r in rows:  # Ave/SR "-" with balls unknown; make the shown averages consistent for a clean run
        if r["type"] == "batting":
            r["cells"]["Ave"] = (
                str(int(r["cells"]["Runs"]) // 15) if int(r["cells"]["Runs"]) % 15 == 0 else "-"
            )
    players = json.loads(
        (real_fixtures / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text()
    )
    mandhana = next(
        p["player"] for t in players["teamPlayers"] for p in t["players"] if p["player"]["objectId"] == 597806
    )
    prof = {
        "record": "profile",
        "player_id": 597806,
        "source": "next_data",
        "data": mandhana,
        "source_url": "http://replica/cricketers/smriti-mandhana-597806",
        "scraped_at": "2026-11-26T03:04:05Z",
        "run_id": "p1",
        "spider": "profiles",
    }
    write_run(tmp / "raw", "statsguru", "s1", rows)
    write_run(
        tmp / "raw", "profiles", "p1", [prof, {**prof, "player_id": 1, "data": {**mandhana, "objectId": 1}}]
    )
    res = Job(str(tmp / "raw"), str(tmp / "cur"), None, "v1", 1.0, 5, Progress(out=io.StringIO())).run()
    assert res.exit_code == 0, res.summary
    return tmp / "cur"


def test_ddl_parses_as_athena(curated):
    sql = render(str(curated), "cricket")
    stmts = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    kinds = [s.args.get("kind") for s in stmts]
    assert (
        kinds.count("DATABASE") == 1
        and kinds.count("TABLE") == len(TABLES)
        and kinds.count("VIEW") == len(VIEWS)
    )
    for s in stmts:
        if s.args.get("kind") != "TABLE":
            continue
        name = s.this.this.name
        props = {p.name: p.text("value") for p in s.find_all(exp.Property) if p.name}
        loc = s.find(exp.LocationProperty).this.name
        attempt = json.loads((curated / "_current.json").read_text())["attempt"]
        assert loc == f"file://{curated}/{name}/run_id=v1/attempt={attempt}/"
        cols = [c.name for c in s.this.expressions]
        # the first column is the key's first (after `source`, which a key of a sourced table begins with)
        assert "format" not in cols and cols[0] == next(k for k in NATURAL_KEYS[name] if k != "source")
        if name in PARTITIONED:
            assert s.find(exp.PartitionedByProperty) is not None
            assert props["projection.enabled"] == "true" and props["projection.format.type"] == "enum"
            assert props["projection.format.values"] == "test,odi,t20i,wtest,wodi,wt20i"
            assert props["storage.location.template"] == f"{loc}format=${{format}}/"
        else:
            assert s.find(exp.PartitionedByProperty) is None


def test_views_on_duckdb_give_expected_answers(curated):
    cols, rows = query(
        "SELECT player_id, name, full_name, format, runs, wickets, gender FROM player_career "
        "ORDER BY player_id, format",
        str(curated),
    )
    got = [dict(zip(cols, r, strict=True)) for r in rows]
    assert [(r["player_id"], r["format"], r["runs"], r["wickets"]) for r in got] == [
        (1, "odi", 300, None),
        (1, "test", 500, None),
        (2, "test", 900, 20),
        (3, "test", 700, None),
        (4, "wodi", 800, None),
    ]
    one = got[0]
    # the list's player cell names the player; the profile brings the full name and gender
    assert one["name"] == "AB One" and one["full_name"] == "Smriti Mandhana" and one["gender"] == "female"
    cols, rows = query(
        "SELECT format, rank, player_id, runs FROM batting_rankings WHERE format = 'test' ORDER BY rank",
        str(curated),
    )
    assert rows == [("test", 1, 2, 900), ("test", 2, 3, 700), ("test", 3, 1, 500)]
    cols, rows = query(
        "SELECT format, country, players, runs FROM country_summary ORDER BY format, country", str(curated)
    )
    assert rows == [
        ("odi", "ENG", 1, 300),
        ("test", "AUS", 1, 900),
        ("test", "ENG", 2, 1200),
        ("wodi", "IND-W", 1, 800),
    ]
    cols, rows = query(
        "SELECT player_id, wickets, balls, best_match_wickets FROM bowling_career", str(curated)
    )
    assert rows == [(2, 20, 603, 7)]
    cols, rows = query(
        "SELECT player_id, name, full_name, teams, country, date_of_birth FROM players "
        "WHERE player_id IN (4, 597806) ORDER BY player_id",
        str(curated),
    )
    assert rows[0][:5] == (4, "GH Four", None, ["IND-W"], "IND-W")
    assert rows[1][1:3] == ("S Mandhana", "Smriti Mandhana") and str(rows[1][5]) == "1996-07-18"


def test_views_name_the_teams_and_one_filter_finds_both_genders(curated):
    """`teams` is written by every run; the views show the sides by name; `nation` spans men's and women's."""
    cols, rows = query(
        "SELECT format, country, country_name, nation, players FROM country_summary ORDER BY format, country",
        str(curated),
    )
    assert rows == [
        ("odi", "ENG", "England", "England", 1),
        ("test", "AUS", "Australia", "Australia", 1),
        ("test", "ENG", "England", "England", 2),
        ("wodi", "IND-W", "India Women", "India", 1),
    ]
    _, rows = query(
        "SELECT player_id, country_name, nation FROM player_career WHERE nation = 'India'", str(curated)
    )
    assert rows == [(4, "India Women", "India")]
    _, rows = query("SELECT team_id FROM teams WHERE nation = 'England' ORDER BY team_id", str(curated))
    assert [r[0] for r in rows] == ["ENG", "ENG-W", "YEN-W"]
    _, rows = query("SELECT COUNT(*), COUNT(DISTINCT team_id) FROM teams", str(curated))
    assert rows[0][0] == rows[0][1] > 190
    _, rows = query("SELECT player_codes, opposition FROM teams WHERE team_id = 'BAN-W'", str(curated))
    assert rows == [(["BD-W", "BAN-W"], ["Bdesh Wmn", "BAN Women"])]


def test_query_output_formats(curated):
    cols, rows = query(
        "SELECT format, SUM(runs) AS runs FROM batting_career GROUP BY format ORDER BY format", str(curated)
    )
    assert format_result(cols, rows, "csv").splitlines() == [
        "format,runs",
        "odi,300",
        "test,2100",
        "wodi,800",
    ]
    table = format_result(cols, rows)
    assert table.splitlines()[0].split() == ["format", "runs"] and table.endswith("(3 rows)")


def test_views_run_on_duckdb_without_sqlglot(curated, monkeypatch):
    """The runtime image has no sqlglot: the views' SQL must then run on DuckDB as written."""
    import sys

    def rows(view):  # whole rows sorted: a view has a row per player and format, so column prefixes tie
        return sorted(query(f"SELECT * FROM {view}", str(curated))[1], key=repr)

    with_sqlglot = {v: rows(v) for v in VIEWS}
    monkeypatch.setitem(sys.modules, "sqlglot", None)
    for v in VIEWS:
        assert rows(v) == with_sqlglot[v]


def test_published_views_differ_from_the_ddl_only_by_qualified_table_names():
    """What publish sends to Athena is the DDL's view with every table as "db"."table", nothing else."""
    import re

    from transform.glue import qualified_view

    for name in VIEWS:
        sql = qualified_view("cricket_stats_prod", name)
        stmt = sqlglot.parse_one(sql, read="athena")
        refs = [t for t in stmt.find_all(exp.Table) if t.name in TABLES]
        assert refs and all(t.db == "cricket_stats_prod" for t in refs), name
        unqualified = re.sub(r'"cricket_stats_prod"\."(\w+)"', r"\1", sql)
        assert unqualified == f"CREATE OR REPLACE VIEW {name} AS{VIEWS[name].rstrip()}"
