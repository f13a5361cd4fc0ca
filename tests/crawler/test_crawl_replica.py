"""End to end on the replica: raw rows equal the truth one for one, under faults; blocks, drift, resume, S3."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.crawler.rawcheck import (
    career_key,
    career_mismatches,
    innings_key,
    innings_mismatches,
    read_parts,
    read_run,
    read_truth,
)
from tests.helpers import REPO

TYPES = ("batting", "bowling", "fielding")
FAST = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS=32",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "-s",
    "CRICKET_PROGRESS_INTERVAL=2",
]
# The faulty replica stalls 3 s; a 1.5 s timeout makes a stall a quick retry.
FAULTS = ["--fault-rate", "0.1", "--stall-s", "3"]
RELIABLE = ["-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "RETRY_TIMES=8", "-s", "CRICKET_RETRY_AFTER_MAX=2"]


def scrape(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "crawler.cli", *args]
    return subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    subprocess.run(
        [sys.executable, "-m", "replica", "truth", "--players", "300", "--seed", "7", "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def faulty_replica():
    from tests.helpers import start_replica

    srv = start_replica("--players", "300", "--seed", "7", *FAULTS)
    yield srv
    srv.stop()


def _by_key(rows, key):
    out = {}
    for r in rows:
        out.setdefault(key(r), r)
    return out


@pytest.mark.parametrize("view", ["career", "innings"])
def test_every_class_and_type_equals_truth_under_faults(faulty_replica, truth, tmp_path, view):
    res = scrape(
        "statsguru",
        "--base-url",
        faulty_replica.url,
        "--view",
        view,
        "--raw",
        str(tmp_path),
        "--run-id",
        f"faults-{view}",
        *FAST,
        *RELIABLE,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "progress: pages" in res.stderr
    manifest, rows = read_run(tmp_path / "statsguru" / f"run_id=faults-{view}")
    assert manifest["finish_reason"] == "finished" and manifest["spider"] == "statsguru"
    assert manifest["arguments"]["view"] == view
    assert manifest["items"] == {view: len(rows)} and manifest["item_count"] == len(rows)
    assert sum(manifest["part_items"].values()) == len(rows)
    if view == "innings":  # faults are per URL: the 18 career lists may draw none, 400+ innings pages do
        st = manifest["stats"]
        reasons = {k.rsplit("/", 1)[1] for k in st if k.startswith("retry/reason_count/")}
        assert st.get("retry/count", 0) > 0 and len(reasons) >= 3, (
            reasons
        )  # 503, 429, resets, timeouts, cut pages
        assert st.get("cricket/truncated_pages", 0) > 0 and st.get("cricket/retry_after_waits", 0) > 0
    key, mismatches = (
        (career_key, career_mismatches) if view == "career" else (innings_key, innings_mismatches)
    )
    for type_ in TYPES:
        table = f"{type_}_{view}"
        want = {
            (r["player_id"], r["format"])
            if view == "career"
            else (r["player_id"], r["match_id"], r["innings_number"]): r
            for r in read_truth(truth, table)
        }
        typed = [r for r in rows if r["type"] == type_]
        got = _by_key(typed, key)
        assert len(got) == len(typed), f"{table}: duplicate rows in one run"
        assert got.keys() == want.keys(), (
            f"{table}: {len(got.keys() - want.keys())} extra, {len(want.keys() - got.keys())} missing"
        )
        bad = {k: m for k, r in got.items() if (m := mismatches(r, want[k]))}
        assert not bad, f"{table}: {len(bad)} rows differ, e.g. {next(iter(bad.items()))}"
        assert all(isinstance(v, str) for r in typed for v in r["cells"].values())


def test_s3_parts_and_manifest(replica_300, aws_env, tmp_path):
    import boto3

    from crawler.rawread import player_ids_from_raw, read_manifest

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="example-cricket-bucket")
    res = scrape(
        "statsguru",
        "--base-url",
        replica_300.url,
        "--classes",
        "1,2",
        "--types",
        "batting",
        "--raw",
        "s3://example-cricket-bucket/raw",
        "--run-id",
        "s3run",
        "-s",
        "FEED_EXPORT_BATCH_ITEM_COUNT=100",
        *FAST,
        env=aws_env,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="example-cricket-bucket")["Contents"])
    prefix = "raw/statsguru/run_id=s3run/"
    parts = [k for k in keys if k.startswith(prefix + "part-")]
    assert keys == [prefix + "_manifest.json", *parts] and len(parts) >= 2
    assert parts[0] == prefix + "part-00001.jsonl.gz"
    manifest = read_manifest(f"s3://example-cricket-bucket/{prefix}")
    assert manifest["parts"] == [k.rsplit("/", 1)[1] for k in parts]
    assert manifest["item_count"] == sum(manifest["part_items"].values()) > 100
    # 200-row pages split at the part boundary: every part but the last holds exactly 100 records.
    lines = [
        len(
            gzip.decompress(s3.get_object(Bucket="example-cricket-bucket", Key=k)["Body"].read()).splitlines()
        )
        for k in parts
    ]
    assert lines == [manifest["part_items"][k.rsplit("/", 1)[1]] for k in parts]
    assert set(lines[:-1]) == {100} and 0 < lines[-1] <= 100
    ids = player_ids_from_raw("s3://example-cricket-bucket/raw/statsguru/run_id=s3run")
    assert len(ids) == len(set(ids)) > 50 and all(isinstance(i, int) for i in ids)


def test_robots_strict_is_blocked(replica_factory, tmp_path):
    srv = replica_factory("--players", "30", "--seed", "7", "--robots", "strict")
    res = scrape(
        "statsguru",
        "--base-url",
        srv.url,
        "--classes",
        "1",
        "--types",
        "batting",
        "--raw",
        str(tmp_path),
        "--run-id",
        "strict",
        *FAST,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr[-3000:]
    assert "blocked by robots.txt" in res.stderr and "template=results" in res.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


def test_block_after_is_blocked(replica_factory, tmp_path):
    srv = replica_factory("--players", "300", "--seed", "7", "--block-after", "50")
    res = scrape(
        "statsguru",
        "--base-url",
        srv.url,
        "--view",
        "innings",
        "--raw",
        str(tmp_path),
        "--run-id",
        "blocked",
        *FAST,
        timeout=180,
    )
    assert res.returncode == 2, res.stderr[-3000:]
    assert "blocked: HTTP 403 Access Denied" in res.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


def test_header_drift_stops_naming_the_header(replica_factory, tmp_path):
    srv = replica_factory("--players", "30", "--seed", "7", "--drift", "headers")
    res = scrape(
        "statsguru",
        "--base-url",
        srv.url,
        "--classes",
        "1",
        "--types",
        "batting",
        "--raw",
        str(tmp_path),
        "--run-id",
        "drift",
        *FAST,
        timeout=120,
    )
    assert res.returncode == 3, res.stderr[-3000:]
    assert "layout drift" in res.stderr and "unknown headers" in res.stderr and "headers seen" in res.stderr
    assert "'layout_drift'" in res.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


def test_sigkill_then_resume_completes(replica_300, truth, tmp_path):
    raw, jobdir = tmp_path / "raw", tmp_path / "job"
    args = [
        "statsguru",
        "--base-url",
        replica_300.url,
        "--classes",
        "1,2",
        "--types",
        "batting",
        "--view",
        "innings",
        "--raw",
        str(raw),
        "--run-id",
        "resume",
        "-s",
        f"JOBDIR={jobdir}",
        "-s",
        "FEED_EXPORT_BATCH_ITEM_COUNT=1000",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "CONCURRENT_REQUESTS=2",
        "-s",
        "DOWNLOAD_DELAY=0.05",
    ]
    run_dir = raw / "statsguru" / "run_id=resume"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(run_dir.glob("part-*.jsonl.gz"))) < 2:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = sorted(p.name for p in run_dir.glob("part-*.jsonl.gz"))
    assert len(before) >= 2 and not (run_dir / "_manifest.json").exists()
    stamps = {p.name: p.stat().st_mtime_ns for p in run_dir.glob("part-*.jsonl.gz")}

    res = scrape(*args[:-2], "-s", "DOWNLOAD_DELAY=0", timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "resuming run resume" in res.stderr
    # Earlier parts are untouched; new parts are numbered after them. A part stored in the instant before
    # the kill, whose ledger entry was never written, is not the run's: its pages were fetched again.
    assert all(run_dir.joinpath(n).stat().st_mtime_ns == t for n, t in stamps.items())
    manifest = json.loads((run_dir / "_manifest.json").read_text())
    unlisted = manifest["unlisted_parts"]
    assert len(unlisted) <= 1 and set(unlisted) <= set(before) and not set(unlisted) & set(manifest["parts"])
    kept = [n for n in before if n not in unlisted]
    assert manifest["parts"][: len(kept)] == kept and len(manifest["parts"]) > len(kept)
    assert all(n > before[-1] for n in manifest["parts"][len(kept) :])
    assert manifest["resumed_parts"] == len(kept)
    assert ("not in the JOBDIR ledger" in res.stderr) == bool(unlisted)
    rows = read_parts(run_dir, manifest["parts"])
    assert manifest["item_count"] == len(rows)
    want = {
        (r["player_id"], r["match_id"], r["innings_number"])
        for r in read_truth(truth, "batting_innings")
        if r["format"] in ("test", "odi")
    }
    got = {innings_key(r) for r in rows}
    assert got == want
    # Pages stored before the kill were not fetched again (only the list's page 1 is, to learn its size).
    assert manifest["stats"]["cricket/pages_resumed"] > 0


def test_scrapy_check_contracts(replica_300, tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "scrapy", "check", "statsguru", "player_stats"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CRICKET_CONTRACT_BASE_URL": replica_300.url, "CRICKET_RAW_URI": str(tmp_path)},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "OK" in res.stderr and "Ran 0 contracts" not in res.stderr
