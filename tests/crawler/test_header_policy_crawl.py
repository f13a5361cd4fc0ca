"""The header policy end to end: `cricket-scrape statsguru` on real rows served with another header row, and on
the replica's ODI career lists without 4s/6s; what the manifest records (columns_absent, unknown_headers)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.real_lists import RealList, RealListsServer, Shape, load

FAST = [
    *("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"),
    *("-s", "CONCURRENT_REQUESTS=8", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
]
ROWS = 450  # the first rows of the real women's Test list: 3 pages of 200


def scrape(base_url: str, raw: Path, run_id: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "crawler.cli", "statsguru", "--base-url", base_url, "--raw", str(raw)]
    cmd += ["--run-id", run_id, "--types", "batting", *args, *FAST]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=dict(os.environ))


def run_of(raw: Path, run_id: str) -> tuple[dict | None, list[dict]]:
    run = raw / "statsguru" / f"run_id={run_id}"
    rows = []
    for part in sorted(run.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    manifest = run / "_manifest.json"
    return (json.loads(manifest.read_text()) if manifest.exists() else None), rows


@pytest.fixture(scope="module")
def real() -> RealList:
    lst = load(8)
    lst.rows = lst.rows[:ROWS]
    return lst


def crawl_shaped(
    real: RealList, shape: Shape, raw: Path, run_id: str
) -> tuple[subprocess.CompletedProcess, str]:
    """The real rows served with `shape`'s header row, crawled as a user would; (the process, the server URL)."""
    srv = RealListsServer({8: real}, shape=shape)
    try:
        return scrape(srv.url, raw, run_id, "--classes", "8", "--view", "innings"), srv.url
    finally:
        srv.stop()


def test_an_unknown_header_is_kept_in_cells_and_listed_in_the_manifest(real, tmp_path):
    proc, url = crawl_shaped(real, Shape(add={"Capt": "-", "Wkt Kpr": "no"}), tmp_path, "unknown")
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest, rows = run_of(tmp_path, "unknown")
    assert manifest["item_count"] == len(rows) == ROWS
    assert all(r["cells"]["Capt"] == "-" and r["cells"]["Wkt Kpr"] == "no" for r in rows)
    want = {(r.player_id, str(r.match_id), r.cells["Inns"]): r.cells for r in real.rows}
    for r in rows:  # every real cell as before, the new ones beside them
        cells = want[(r["player_id"], r["match_id"], r["cells"]["Inns"])]
        assert r["cells"] == {
            **{h: v.strip() for h, v in cells.items() if h != "Player"},
            "Capt": "-",
            "Wkt Kpr": "no",
        }
    first = (
        f"{url}/ci/engine/stats/index.html?class=8;template=results;type=batting;view=innings;page=1;size=200"
    )
    assert manifest["unknown_headers"] == {
        h: {"pages": 3, "tables": ["innings/batting/innings"], "first_url": first}
        for h in ("Capt", "Wkt Kpr")
    }
    assert manifest["columns_absent"] == {}
    # named once each in the log, not once a page
    assert (
        proc.stderr.count("unknown header 'Capt'") == 1 and proc.stderr.count("unknown header 'Wkt Kpr'") == 1
    )


def test_optional_columns_left_out_are_counted_not_drift(real, tmp_path):
    proc, _url = crawl_shaped(real, Shape(drop=("Mins", "4s", "6s")), tmp_path, "absent")
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest, rows = run_of(tmp_path, "absent")
    assert len(rows) == ROWS and not {"Mins", "4s", "6s"} & {h for r in rows for h in r["cells"]}
    absent = manifest["columns_absent"]["innings/batting/innings"]
    assert {h: (e["pages"], e["classes"]) for h, e in absent.items()} == {
        h: (3, [8]) for h in ("4s", "6s", "Mins")
    }
    assert manifest["unknown_headers"] == {}


@pytest.mark.parametrize(("old", "new"), [("Start Date", "Match Date"), ("Runs", "R")])
def test_a_renamed_required_header_stops_the_crawl(real, tmp_path, old, new):
    proc, _url = crawl_shaped(real, Shape(rename={old: new}), tmp_path, "drift")
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert f"missing headers ['{old}']" in proc.stderr and f"unknown headers ['{new}']" in proc.stderr
    assert "'layout_drift'" in proc.stderr
    assert run_of(tmp_path, "drift")[0] is None  # no manifest


def test_an_odi_career_list_without_4s_and_6s_crawls(replica_factory, tmp_path):
    """The replica's ODI career lists come without 4s/6s by default (`--no-boundary-columns 2`), as a real one."""
    srv = replica_factory("--players", "60", "--seed", "7")
    proc = scrape(srv.url, tmp_path, "odi", "--classes", "1,2", "--view", "career", "-a", "size=25")
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest, rows = run_of(tmp_path, "odi")
    odi = [r for r in rows if r["class"] == 2]
    tests = [r for r in rows if r["class"] == 1]
    assert odi and tests and manifest["item_count"] == len(rows)
    assert not {"4s", "6s"} & {h for r in odi for h in r["cells"]}
    assert all({"4s", "6s"} <= set(r["cells"]) for r in tests)
    pages = len({r["source_url"] for r in odi})
    assert pages > 1
    absent = manifest["columns_absent"]
    assert list(absent) == ["career/batting/career"]
    assert {h: (e["pages"], e["classes"]) for h, e in absent["career/batting/career"].items()} == {
        "4s": (pages, [2]),
        "6s": (pages, [2]),
    }
    assert manifest["unknown_headers"] == {}
