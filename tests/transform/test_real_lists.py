"""Real rows end to end: the two real lists (13,915 rows) served as results pages → `cricket-scrape statsguru
--view innings` → `cricket-transform run`; every curated value is the real cell, every side a canonical team."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cricket_contract.teams import team, team_of_code, team_of_opposition
from tests.real_lists import TEAM, RealListsServer
from tests.transform.conftest import read_table

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FAST = [
    *("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"),
    *("-s", "CONCURRENT_REQUESTS=8", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
]
MARKERS = {"DNB": "dnb", "TDNB": "tdnb", "absent": "absent", "sub": "sub"}
FORMAT = {8: "wtest", 10: "wt20i"}


def _int(cell: str) -> int | None:
    cell = cell.strip()
    return None if cell == "-" else int(cell)


@pytest.fixture(scope="module")
def site():
    srv = RealListsServer()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory):
    """The crawl of both real lists, as a user runs it; (the finished process, the raw directory)."""
    raw = tmp_path_factory.mktemp("real") / "raw"
    cmd = [str(BIN / "cricket-scrape"), "statsguru", "--base-url", site.url, "--classes", "8,10"]
    cmd += ["--types", "batting", "--view", "innings", "--raw", str(raw), "--run-id", "real1", *FAST]
    proc = subprocess.run(cmd, cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    return proc, raw


def _raw_rows(raw: Path) -> list[dict]:
    rows = []
    for part in sorted((raw / "statsguru" / "run_id=real1").glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    return rows


def test_the_crawl_reads_every_real_row_verbatim(site, crawl):
    proc, raw = crawl
    assert proc.returncode == 0, f"cricket-scrape exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    manifest = json.loads((raw / "statsguru" / "run_id=real1" / "_manifest.json").read_text())
    want = {(r.player_id, r.match_id, r.cells["Inns"]): (k, r) for k, r in site.rows()}
    got = _raw_rows(raw)
    assert manifest["item_count"] == len(got) == len(want) == 13_915
    for item in got:
        klass, row = want[(item["player_id"], int(item["match_id"]), item["cells"]["Inns"])]
        assert item["class"] == klass and item["player_cell"] == row.cells["Player"]
        assert item["match_label"] == row.label
        # every titled cell, as the page shows it (the crawler strips the padding the files carry: " 7")
        assert item["cells"] == {h: v.strip() for h, v in row.cells.items() if h != "Player"}
    # The real TDNB rows have no innings number: the site shows "-" (the files' empty cell), kept verbatim.
    tdnb = [item for item in got if item["cells"]["Runs"] == "TDNB"]
    assert len(tdnb) == 44 and all(item["cells"]["Inns"] == "-" for item in tdnb)
    # The real column set: no optional column absent (lists never show Pos/Dismissal), no unknown header.
    assert (manifest["columns_absent"], manifest["unknown_headers"]) == ({}, {})


def test_the_transform_types_every_real_cell(site, crawl, tmp_path):
    proc, raw = crawl
    assert proc.returncode == 0, f"no raw run to transform: cricket-scrape exited {proc.returncode}"
    cur = tmp_path / "cur"
    cmd = [str(BIN / "cricket-transform"), "run", "--raw", str(raw), "--curated", str(cur)]
    cmd += ["--raw-run", "real1", "--run-id", "real", "--max-reject-ratio", "0"]
    done = subprocess.run(cmd, cwd=REPO, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"cricket-transform exited {done.returncode}:\n{done.stderr[-3000:]}"
    curated = read_table(cur, "batting_innings")
    want = {(r.player_id, r.match_id, r.cells["Inns"]): (k, r) for k, r in site.rows()}
    assert len(curated) == len(want)
    assert sum(r["participation"] == "tdnb" for r in curated) == 44
    ids = {t for t in (r["country"] for r in curated)} | {r["opposition"] for r in curated}
    assert all(team(t).gender == "female" for t in ids)  # canonical ids only, no raw spelling left
    for got in curated:
        inns = "-" if got["innings_number"] is None else str(got["innings_number"])
        klass, row = want[(got["player_id"], got["match_id"], inns)]
        c = row.cells
        runs = c["Runs"].strip()
        marker = MARKERS.get(runs)
        assert got["format"] == FORMAT[klass]
        assert got["participation"] == (marker or "batted"), c
        assert got["runs"] == (None if marker or runs == "-" else int(runs.rstrip("*"))), c
        assert got["not_out"] == (None if marker or runs == "-" else runs.endswith("*")), c
        assert [got[k] for k in ("minutes", "balls_faced", "fours", "sixes")] == [
            None if marker else _int(c[h]) for h in ("Mins", "BF", "4s", "6s")
        ], c
        assert got["innings_number"] == _int(c["Inns"])
        if marker == "tdnb":  # the real TDNB rows' Inns is "-": no innings number, the row kept
            assert got["innings_number"] is None and c["Inns"] == "-"
        assert got["match_date"] == dt.datetime.strptime(c["Start Date"], "%d %b %Y").date()
        assert got["ground"] == c["Ground"]
        assert got["country"] == team_of_code(TEAM.search(c["Player"]).group(1)).team_id
        assert got["opposition"] == team_of_opposition(c["Opposition"]).team_id
        assert (got["position"], got["dismissal"]) == (None, None)  # multi-player lists show neither
        assert got["name"] == re.sub(r" \([^()]*\)$", "", c["Player"])
    report = json.loads((cur / "_current.json").read_text())
    assert report["rejects"] == 0
    assert not [c for t in report["dq"]["checks"].values() for c in t if c.startswith("unknown_")]
