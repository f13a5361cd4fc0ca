"""End to end on the replica: cricket-scrape cricsheet → cricket-transform; the innings from the deliveries equal
the Statsguru path's truth for every replica match the archives hold, and an unchanged archive costs one 304."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.helpers import REPO
from transform.job import Job

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
COMPARED = {
    "batting_innings": (
        "runs",
        "not_out",
        "balls_faced",
        "fours",
        "sixes",
        "country",
        "opposition",
        "match_date",
    ),
    "bowling_innings": ("balls", "maidens", "runs_conceded", "wickets", "country", "opposition"),
    "fielding_innings": ("caught", "stumped"),
}
PLAYED = {"batting_innings": "batted", "bowling_innings": "bowled", "fielding_innings": "fielded"}


def scrape(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "crawler.cli", "cricsheet", *args, *FAST]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900, env=os.environ.copy())


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    cmd = [sys.executable, "-m", "replica", "truth", "--players", "300", "--seed", "7", "--out", str(out)]
    cmd += ["--cricsheet-from", "2025"]  # matches.jsonl and people.jsonl of the archives the tests serve
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=600)
    return out


def rows_of(tables: dict, table: str) -> list[dict]:
    out = []
    for uri in tables[table]["files"]:
        path = Path(uri.removeprefix("file://"))
        fmt = path.parent.name.removeprefix("format=") if path.parent.name.startswith("format=") else None
        out += [{**r, "format": fmt} if fmt else r for r in pq.read_table(path).to_pylist()]
    return out


def test_the_cricsheet_path_gives_the_statsguru_paths_innings(replica_factory, truth, tmp_path):
    site = replica_factory("--players", "300", "--seed", "7", "--cricsheet-from", "2025")
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    first = scrape("--base-url", site.url, "--raw", str(raw), "--run-id", "c1")
    assert first.returncode == 0, first.stderr[-3000:]
    res = Job(str(raw), str(cur), None, "t1").run()
    assert res.exit_code == 0, res.summary
    tables = res.tables
    matches = {r["match_id"] for r in rows_of(tables, "matches")}
    assert len(matches) > 100
    compared = 0
    for table, cols in COMPARED.items():
        want = {}
        for line in (truth / f"{table}.jsonl").open():
            r = json.loads(line)
            if r["match_id"] in matches and r["participation"] == PLAYED[table]:
                assert r["source"] == "statsguru"  # the truth is the Statsguru path's
                want[r["player_id"], r["match_id"], r["innings_number"]] = r
        got = {
            (r["player_id"], r["match_id"], r["innings_number"]): r
            for r in rows_of(tables, table)
            if r["source"] == "cricsheet"
        }
        assert len(got) == tables[table]["sources"]["cricsheet"]["rows"] == tables[table]["rows"]
        missing = [k for k in want if k not in got]
        assert not missing, (
            f"{table}: {len(missing)} innings of the truth not derived from deliveries: {missing[:3]}"
        )
        for key, w in want.items():
            g = got[key]
            for c in cols:
                assert str(g[c]) == str(w[c]), (table, key, c, g[c], w[c])
            compared += 1
    assert compared > 1000
    # matches and people equal the replica's truth of them (`archive` is the crawl's: tests, odis or t20s)
    from replica.truth import differences
    from transform.schemas import TABLES

    for table in ("matches", "people"):
        want = [json.loads(line) for line in (truth / f"{table}.jsonl").open()]
        cols = [c for c in TABLES[table].names if c != "archive"]
        assert not differences(table, rows_of(tables, table), want, cols)[:5]
        assert len(want) > 100

    second = scrape("--base-url", site.url, "--raw", str(raw), "--run-id", "c2")
    assert second.returncode == 0, second.stderr[-3000:]
    manifest = json.loads((raw / "cricsheet" / "run_id=c2" / "_manifest.json").read_text())
    assert manifest["stats"]["cricket/cricsheet/not_modified"] == 4  # three archives and the register
    assert manifest["stats"]["downloader/response_status_count/304"] == 4
    assert manifest["parts"] == []
    # the transform still takes every match from the first run
    res2 = Job(str(raw), str(cur), None, "t2").run()
    assert res2.exit_code == 0 and res2.tables["matches"]["rows"] == len(matches)


def test_perturbed_matches_are_exactly_the_reconciliations_findings(replica_factory, truth, tmp_path):
    """Statsguru's side is the replica's truth (what the Statsguru path yields, tests/transform/test_replica_e2e.py)."""
    import pyarrow as pa

    from replica.cricsheet import Downloads
    from replica.model import Model
    from transform.cricsheet_reconcile import findings
    from transform.schemas import curated_schema

    site = replica_factory(
        "--players", "300", "--seed", "7", "--cricsheet-from", "2025", "--cricsheet-perturb", "0.2"
    )
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    out = scrape("--base-url", site.url, "--raw", str(raw), "--run-id", "p1", "--register", "yes")
    assert out.returncode == 0, out.stderr[-3000:]
    res = Job(str(raw), str(cur), None, "t1").run()
    assert res.exit_code == 0, res.summary
    tables = res.tables
    matches = {r["match_id"] for r in rows_of(tables, "matches")}
    statsguru = {}
    for table in COMPARED:
        rows = [json.loads(line) for line in (truth / f"{table}.jsonl").open()]
        rows = [r for r in rows if r["match_id"] in matches]
        sch = curated_schema(table)
        for r in rows:
            r["match_date"] = dt.date.fromisoformat(r["match_date"])
        tb = pa.Table.from_pylist(rows, schema=sch).drop_columns(["format"])
        d = tmp_path / "sg" / table
        d.mkdir(parents=True)
        pq.write_table(tb, d / "part-00000.parquet")
        # Statsguru's rows beside the run's Cricsheet rows, as a run that read both writes them
        files = [str(d / "part-00000.parquet"), *tables[table]["files"]]
        statsguru[table] = {"files": files, "rows": len(rows) + tables[table]["rows"]}
    got = list(findings({**tables, **statsguru}))
    dl = Downloads(Model(300, 7), from_year=2025, perturb=0.2)
    for i in dl.idxs():
        dl.match_bytes(i)
    assert dl.cs.perturbed
    by_kind: dict[str, set] = {}
    for f in got:
        by_kind.setdefault(f["finding"], set()).add((f["match_id"], f["innings_number"]))
    # every finding is a perturbed match's first innings, and every perturbed match has one; no match's date
    # or teams disagree: the file names are the Cricinfo ids here
    assert set(by_kind) == {"differs"}, {k: sorted(v)[:3] for k, v in by_kind.items()}
    assert by_kind["differs"] == {(m, 1) for m in dl.cs.perturbed}
