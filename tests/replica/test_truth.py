"""Ground truth: exactly the schema's columns and types, deterministic from the seed, internally consistent."""

from __future__ import annotations

import datetime as dt
import filecmp
import subprocess
import sys

import pyarrow as pa
import pyarrow.json as paj

from cricket_contract.teams import team, teams
from tests.replica.conftest import REPO
from transform.schemas import TABLES, TRUTH_TABLES


def _truth(out, players: int, seed: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "replica",
            "truth",
            "--players",
            str(players),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def test_same_seed_same_truth_other_seed_other_truth(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _truth(a, 80, 11)
    _truth(b, 80, 11)
    _truth(c, 80, 12)
    names = [f"{t}.jsonl" for t in TRUTH_TABLES]
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert match == names and not mismatch and not errors
    assert (a / "players.jsonl").read_bytes() != (c / "players.jsonl").read_bytes()


def test_truth_files_follow_the_column_contract(truth_300, tmp_path):
    assert set(truth_300) == set(TRUTH_TABLES)
    for table, rows in truth_300.items():
        assert rows, table
        names = TABLES[table].names
        assert all(list(r) == names for r in rows), table
        # typed exactly as the schema says: pyarrow reads every file with the explicit schema
        f = tmp_path / f"{table}.jsonl"
        f.write_text("".join(__import__("json").dumps(r) + "\n" for r in rows))
        schema = pa.schema(
            [(fld.name, pa.string() if pa.types.is_date(fld.type) else fld.type) for fld in TABLES[table]]
        )
        got = paj.read_json(
            f, parse_options=paj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        )
        assert got.num_rows == len(rows)


def test_truth_is_consistent(truth_300):
    players = {r["player_id"]: r for r in truth_300["players"]}
    assert len(str(min(players))) == 6 and len(str(max(players))) == 6
    for p in players.values():
        # canonical ids of cricket_contract/teams.csv: the country is one of the player's sides, never a composite
        country = team(p["country"])
        assert not country.composite and country.gender == p["gender"] and p["country"] in p["teams"]
        assert p["gender"] in ("male", "female")
        assert all(team(t).gender == p["gender"] for t in p["teams"])
        dt.date.fromisoformat(p["date_of_birth"])
    assert any(not p["full_name"].isascii() for p in players.values())
    assert any(len(p["teams"]) > 1 for p in players.values())
    # careers are the sums of their innings
    for kind, (count, inn_count) in {
        "batting": ("runs", "runs"),
        "bowling": ("wickets", "wickets"),
        "fielding": ("dismissals", "dismissals"),
    }.items():
        sums: dict[tuple, int] = {}
        inns: dict[tuple, int] = {}
        for r in truth_300[f"{kind}_innings"]:
            k = (r["player_id"], r["format"])
            sums[k] = sums.get(k, 0) + (r[inn_count] or 0)
            inns[k] = inns.get(k, 0) + (r["participation"] in ("batted", "bowled", "fielded"))
        for r in truth_300[f"{kind}_career"]:
            k = (r["player_id"], r["format"])
            assert (r[count] or 0) == sums[k] and (r["innings"] or 0) == inns[k], (kind, r)
            assert r["player_id"] in players and r["name"] == players[r["player_id"]]["name"]
    # realistic edge cases occur
    bat = truth_300["batting_career"]
    assert any(r["average"] is None and r["innings"] for r in bat)  # never dismissed: Ave "-"
    assert any(r["balls_faced"] is None and r["innings"] for r in bat)  # old matches: BF "-"
    assert {r["participation"] for r in truth_300["batting_innings"]} >= {"batted", "dnb", "tdnb"}
    assert {r["participation"] for r in truth_300["bowling_innings"]} >= {"bowled", "dnb", "tdnb"}
    formats = {}
    for r in bat:
        formats.setdefault(r["player_id"], set()).add(r["format"])
    assert any(len(f) == 1 for f in formats.values()) and any(len(f) == 3 for f in formats.values())
    bowl = truth_300["bowling_career"]
    assert all(
        r["four_wickets"] is None and (r["ten_wickets"] is not None or r["innings"] is None)
        for r in bowl
        if r["format"] in ("test", "wtest")
    )
    assert any(r["innings"] is None for r in bowl)  # listed, never bowled
    assert all(
        r["best_match_wickets"] is None and r["ten_wickets"] is None
        for r in bowl
        if r["format"] not in ("test", "wtest")
    )
    for r in bowl:
        if r["wickets"]:
            assert abs(r["average"] - r["runs_conceded"] / r["wickets"]) < 1e-12
            assert abs(r["strike_rate"] - r["balls"] / r["wickets"]) < 1e-12


def test_truth_teams_are_canonical(truth_300):
    """`python -m replica truth` names every side by its canonical team_id, whatever the page spells."""
    ids = {t.team_id for t in teams()}
    for table, rows in truth_300.items():
        for r in rows:
            assert r["country"] in ids and not team(r["country"]).composite, (table, r)
            if "opposition" in r:
                assert r["opposition"] in ids, (table, r)
    opp = {r["opposition"] for r in truth_300["batting_innings"]}
    assert {"UAE", "PNG", "BAN-W", "NL-W"} <= opp


def test_natural_keys_are_unique(truth_300):
    from transform.schemas import NATURAL_KEYS

    for table, rows in truth_300.items():
        keys = [tuple(r[k] for k in NATURAL_KEYS[table]) for r in rows]
        assert len(keys) == len(set(keys)), table
