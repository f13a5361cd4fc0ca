"""End to end through real components: replica (faults on) → cricket-scrape → moto S3 → cricket-transform → truth."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from replica.process import FAST_CRAWL
from transform.schemas import NATURAL_KEYS, TABLES, TRUTH_TABLES

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FAST = [*FAST_CRAWL, "-s", "DOWNLOAD_TIMEOUT=3"]
BUCKET = "example-cricket-bucket-transform-e2e"  # own bucket: the moto server is shared by the session


def _run(cmd: list[str], env: dict) -> None:
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (
        f"{cmd[:2]} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    )


def _norm(v):
    if isinstance(v, float):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.mark.timeout(1500)
def test_replica_with_faults_through_s3_equals_truth(replica_factory, aws_env, tmp_path):
    import os

    env = {**os.environ, **aws_env}
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    srv = replica_factory("--players", "300", "--seed", "7", "--fault-rate", "0.1", "--stall-s", "6")
    raw, curated = f"s3://{BUCKET}/raw", f"s3://{BUCKET}/curated"
    scrape = str(BIN / "cricket-scrape")
    base = [
        "--base-url",
        srv.url,
        "--classes",
        "1,2,3,8,9,10",
        "--types",
        "batting,bowling,fielding",
        "--raw",
        raw,
    ]
    _run([scrape, "statsguru", *base, "--view", "career", "--run-id", "career1", *FAST], env)
    _run([scrape, "statsguru", *base, "--view", "innings", "--run-id", "innings1", *FAST], env)
    _run(
        [
            scrape,
            "profiles",
            "--base-url",
            srv.url,
            "--from-raw",
            f"{raw}/statsguru/run_id=career1",
            "--raw",
            raw,
            "--run-id",
            "profiles1",
            *FAST,
        ],
        env,
    )
    _run(
        [
            str(BIN / "cricket-transform"),
            "run",
            "--raw",
            raw,
            "--curated",
            curated,
            "--raw-run",
            "career1",
            "--raw-run",
            "innings1",
            "--raw-run",
            "profiles1",
            "--run-id",
            "e2e",
            "--max-reject-ratio",
            "0",
        ],
        env,
    )
    truth = tmp_path / "truth"
    _run(
        [sys.executable, "-m", "replica", "truth", "--players", "300", "--seed", "7", "--out", str(truth)],
        env,
    )

    from transform.ddl import current
    from transform.query import dataset

    cur = current(curated)
    assert cur["run_id"] == "e2e" and cur["rejects"] == 0
    mismatches: list[str] = []
    for table in TRUTH_TABLES:
        cols = TABLES[table].names
        got_rows = dataset(table, cur["tables"][table]).to_table().select(cols).to_pylist()
        want_rows = [json.loads(line) for line in (truth / f"{table}.jsonl").read_text().splitlines()]
        key = NATURAL_KEYS[table]
        got = {tuple(r[k] for k in key): r for r in got_rows}
        want = {tuple(r[k] for k in key): r for r in want_rows}
        assert len(got) == len(got_rows), f"{table}: duplicate keys in curated output"
        missing, extra = want.keys() - got.keys(), got.keys() - want.keys()
        if missing or extra:
            mismatches.append(
                f"{table}: {len(missing)} truth rows missing (e.g. {sorted(missing)[:3]}), "
                f"{len(extra)} extra (e.g. {sorted(extra)[:3]})"
            )
        for k in want.keys() & got.keys():
            for c in cols:
                g, w = _norm(got[k][c]), want[k][c]
                if not _same(g, w):
                    mismatches.append(f"{table} {k} {c}: curated {g!r} != truth {w!r}")
        assert len(want_rows) > 0
    assert not mismatches, f"{len(mismatches)} differences:\n" + "\n".join(mismatches[:40])
