"""`scrapy crawl NAME` works as Scrapy users expect: the same feeds, manifest and stops as cricket-scrape."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

from tests.crawler.test_crawl_replica import FAST
from tests.helpers import REPO


def crawl(*args: str, raw) -> subprocess.CompletedProcess:
    env = {**os.environ, "CRICKET_RAW_URI": raw.as_uri(), "CRICKET_RUN_ID": "scrapy-crawl"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args, *FAST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scrapy_crawl_statsguru_writes_parts_and_manifest(replica_300, tmp_path):
    raw = tmp_path / "raw"
    res = crawl(
        "statsguru", "-a", f"base_url={replica_300.url}", "-a", "classes=3", "-a", "types=fielding", raw=raw
    )
    assert res.returncode == 0, res.stderr[-2000:]
    run = raw / "statsguru" / "run_id=scrapy-crawl"
    manifest = json.loads((run / "_manifest.json").read_text())
    assert manifest["finish_reason"] == "finished" and manifest["arguments"]["classes"] == "3"
    rows = [json.loads(line) for p in manifest["parts"] for line in gzip.open(run / p, "rt")]
    assert len(rows) == manifest["item_count"] > 0
    assert {(r["class"], r["type"], r["view"], r["spider"]) for r in rows} == {
        (3, "fielding", "career", "statsguru")
    }


def test_scrapy_crawl_output_option_writes_one_record_per_row(replica_300, tmp_path):
    out_jsonl, out_json = tmp_path / "rows.jsonl", tmp_path / "rows.json"
    res = crawl(
        "statsguru",
        "-a",
        f"base_url={replica_300.url}",
        "-a",
        "classes=3",
        "-a",
        "types=fielding",
        "-O",
        str(out_jsonl),
        "-O",
        str(out_json),
        raw=tmp_path / "raw",
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "FeedExporter extension is not enabled" not in res.stderr
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    array = json.loads(out_json.read_text())
    assert lines == array and len(lines) > 50
    assert {(r["record"], r["class"], r["type"]) for r in lines} == {("career", 3, "fielding")}
    assert len({r["player_id"] for r in lines}) == len(lines)


def test_scrapy_crawl_blocked_by_robots_is_reported(replica_factory, tmp_path):
    strict = replica_factory("--players", "300", "--seed", "7", "--robots", "strict")
    raw = tmp_path / "raw"
    res = crawl(
        "statsguru", "-a", f"base_url={strict.url}", "-a", "classes=1", "-a", "types=batting", raw=raw
    )
    assert "blocked by robots.txt" in res.stderr
    assert "'finish_reason': 'blocked'" in res.stderr
    assert not (raw / "statsguru" / "run_id=scrapy-crawl" / "_manifest.json").exists()
