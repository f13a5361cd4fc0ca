"""Atomic publish: `_current.json` is written last; a killed run changes nothing readers see; re-runs and --keep."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.transform_gen import generate
from tests.transform.conftest import read_table
from tests.transform.rawgen import write_run
from tests.transform.test_rejects import item

REPO = Path(__file__).resolve().parents[2]


def _listed(curated: Path) -> dict[str, str]:
    cur = json.loads((curated / "_current.json").read_text())
    out = {}
    for meta in cur["tables"].values():
        for f in meta["files"]:
            out[f] = hashlib.sha256(Path(f.removeprefix("file://")).read_bytes()).hexdigest()
    return out


def test_sigkill_mid_write_leaves_readers_on_the_previous_run(tmp_path, transform_run):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "small", [item(pid=i) for i in range(1, 21)])
    assert transform_run(raw, cur, run_id="r1", raw_runs=["small"]).exit_code == 0
    before_current = (cur / "_current.json").read_bytes()
    before_files = _listed(cur)
    generate(raw, 60_000, run_id="big", per_part=5000)

    cmd = [
        sys.executable,
        "-m",
        "transform",
        "run",
        "--raw",
        str(raw),
        "--curated",
        str(cur),
        "--raw-run",
        "big",
        "--run-id",
        "r2",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        written = [p for p in cur.glob("*/run_id=r2/**/*") if p.is_file()]
        if written:
            seen = written[0]
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(30)
    assert seen is not None and proc.returncode == -signal.SIGKILL, (
        "the run finished before it could be killed"
    )
    # the kill happened while r2's parts were being written: readers still see r1, byte for byte
    assert (cur / "_current.json").read_bytes() == before_current
    assert _listed(cur) == before_files
    assert sorted(r["player_id"] for r in read_table(cur, "batting_career")) == list(range(1, 21))
    assert not (cur / "_reports" / "run_id=r2").exists()

    # the same run id again completes and replaces its partial output
    res = transform_run(raw, cur, run_id="r2", raw_runs=["big"])
    assert res.exit_code == 0
    current = json.loads((cur / "_current.json").read_text())
    assert current["run_id"] == "r2" and current["history"] == ["r2", "r1"]
    tables = [
        p
        for p in cur.glob("*/run_id=r2/**/*")
        if p.is_file() and not p.relative_to(cur).parts[0].startswith("_")
    ]
    on_disk = {f"file://{p}" for p in tables}
    assert on_disk == {
        f for m in current["tables"].values() for f in m["files"]
    }  # no leftovers, no .tmp files
    assert current["tables"]["batting_innings"]["rows"] == len(read_table(cur, "batting_innings")) > 20_000


def test_rerun_same_id_replaces_its_output_and_keep_prunes(tmp_path, transform_run):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i, **{"class": 1 + (i % 3)}) for i in range(1, 31)])
    write_run(raw, "statsguru", "b", [item(pid=i) for i in range(1, 6)])
    first = transform_run(raw, cur, run_id="r1", raw_runs=["a"])
    assert first.exit_code == 0
    run_dir = cur / "batting_career" / "run_id=r1"
    attempt = run_dir / f"attempt={first.report['attempt']}"
    assert sorted(run_dir.iterdir()) == [attempt]
    assert sorted(attempt.iterdir()) == [attempt / f"format={f}" for f in ("odi", "t20i", "test")]
    # same id, input with Test rows only: a new attempt is published; the first one's files go afterwards
    second = transform_run(raw, cur, run_id="r1", raw_runs=["b"], max_row_drop=1.0)
    assert second.exit_code == 0 and second.report["attempt"] != first.report["attempt"]
    parts = sorted(p.relative_to(cur).as_posix() for p in run_dir.rglob("*.parquet"))
    assert parts == [
        f"batting_career/run_id=r1/attempt={second.report['attempt']}/format=test/part-00000.parquet"
    ]
    assert len(read_table(cur, "batting_career")) == 5
    # a table an earlier version wrote, since dropped from the contract: its runs are pruned all the same
    retired = cur / "retired_table" / "run_id=r1" / "attempt=x" / "part-00000.parquet"
    retired.parent.mkdir(parents=True)
    retired.write_bytes(b"PAR1")
    for rid in ("r2", "r3", "r4"):
        assert transform_run(raw, cur, run_id=rid, raw_runs=["b"], keep=2, max_row_drop=1.0).exit_code == 0
    current = json.loads((cur / "_current.json").read_text())
    assert current["history"] == ["r4", "r3"]
    assert sorted(p.name for p in (cur / "batting_career").iterdir()) == ["run_id=r3", "run_id=r4"]
    assert list((cur / "retired_table").iterdir()) == []
    assert sorted(p.name for p in (cur / "_rejects").iterdir()) == ["run_id=r3", "run_id=r4"]


def test_default_picks_newest_finished_run_per_spider_and_arguments(tmp_path, transform_run):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "old", [item(pid=1)], arguments={"view": "career"})
    time.sleep(0.01)
    write_run(raw, "statsguru", "new", [item(pid=2)], arguments={"view": "career"})
    write_run(raw, "statsguru", "other", [item(pid=3)], arguments={"view": "career", "classes": "2"})
    write_run(raw, "statsguru", "unfinished", [item(pid=4)], manifest=False)
    os.utime(raw / "statsguru" / "run_id=new" / "_manifest.json", (time.time() + 5, time.time() + 5))
    res = transform_run(raw, cur, run_id="d1")
    assert sorted(r["run_id"] for r in res.report["raw_runs"]) == ["new", "other"]
    assert sorted(r["player_id"] for r in read_table(cur, "batting_career")) == [2, 3]


def test_shrink_is_judged_per_source_and_a_dropped_table_is_no_loss():
    from transform.publish import shrink_problems

    def innings(sg: int, cs: int) -> dict:
        return {"rows": sg + cs, "sources": {"statsguru": {"rows": sg}, "cricsheet": {"rows": cs}}}

    before = {"tables": {"batting_innings": innings(100, 50), "old_table": {"rows": 70}}}
    # Cricsheet's rows would hide a Statsguru crawl that lost half its innings: refused
    assert shrink_problems(before, {"batting_innings": innings(50, 200)}, 0.2) == [
        "batting_innings (statsguru rows) would fall from 100 to 50 rows (50% fewer)"
    ]
    assert shrink_problems(before, {"batting_innings": innings(100, 45)}, 0.2) == []
    # a published run from before the innings tables had sources held Statsguru's rows only
    assert (
        shrink_problems(
            {"tables": {"batting_innings": {"rows": 100}}}, {"batting_innings": innings(90, 0)}, 0.2
        )
        == []
    )
    assert shrink_problems(
        {"tables": {"batting_innings": {"rows": 100}}}, {"batting_innings": innings(10, 90)}, 0.2
    )
