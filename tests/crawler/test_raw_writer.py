"""The raw-run writer: part names and sizes, numbering after earlier parts, the manifest last, its signals."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.test import get_crawler

from crawler import signals as cricket_signals
from crawler.claims import CLAIM
from crawler.items import RawRows
from crawler.pages.headers import HeaderReport
from crawler.pipelines import LineagePipeline
from crawler.rawzone import RawRunWriter
from crawler.scheduling import LedgerDupeFilter

MANIFEST_KEYS = {
    "run_id",
    "spider",
    "arguments",
    "finish_reason",
    "written_at",
    "raw",
    "parts",
    "part_items",
    "part_bytes",
    "part_sha256",
    "items",
    "item_count",
    "drops",
    "duplicates",
    "resumed_parts",
    "unlisted_parts",
    "columns_absent",
    "unknown_headers",
    "stats",
}


def _rows(record: str, n: int, start: int = 0) -> list[dict]:
    return [{"record": record, "player_id": start + i, "cells": {"Mat": "1"}} for i in range(n)]


def run(tmp_path, items, *, reason="finished", batch=3, incomplete=False, headers=(), settings=None):
    """A crawl's life as the writer sees it; returns (writer, parts stored, manifests written) from its signals."""
    crawler = get_crawler(
        settings_dict={
            "CRICKET_RAW_URI": str(tmp_path),
            "FEED_EXPORT_BATCH_ITEM_COUNT": batch,
            **(settings or {}),
        }
    )
    stored, written = [], []
    crawler.signals.connect(lambda **kw: stored.append(kw), cricket_signals.part_stored, weak=False)
    crawler.signals.connect(lambda **kw: written.append(kw), cricket_signals.manifest_written, weak=False)
    spider = crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", arguments={"classes": "1"})
    writer = RawRunWriter.from_crawler(crawler)

    async def crawl():
        await writer.spider_opened(spider)
        for item in items:
            crawler.signals.send_catch_log(cricket_signals.page_parsed, url=item.source_url, items=1)
            writer.item_scraped(item)
        for url, report in headers:
            crawler.signals.send_catch_log(cricket_signals.headers_reported, url=url, report=report)
        if incomplete:
            crawler.signals.send_catch_log(cricket_signals.run_incomplete, reason="page failed: u9")
        await writer.spider_closed(spider, reason)

    asyncio.run(crawl())
    return writer, stored, written


def read_part(path) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_parts_of_batch_records_and_a_manifest_last(tmp_path):
    items = [RawRows("u1", _rows("career", 2)), RawRows("u2", _rows("innings", 5, 10))]
    writer, stored, written = run(tmp_path, items)
    run_dir = tmp_path / "statsguru" / "run_id=r1"
    names = ["part-00001.jsonl.gz", "part-00002.jsonl.gz", "part-00003.jsonl.gz"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["_manifest.json", *names]
    assert [len(read_part(run_dir / n)) for n in names] == [3, 3, 1]  # u2's rows split at part boundaries
    assert [r["player_id"] for n in names for r in read_part(run_dir / n)] == [0, 1, 10, 11, 12, 13, 14]
    assert all((run_dir / n).stat().st_mode & 0o777 == 0o644 for n in [*names, "_manifest.json"])
    manifest = json.loads((run_dir / "_manifest.json").read_text())
    assert set(manifest) == MANIFEST_KEYS
    assert manifest["parts"] == names and manifest["part_items"] == dict(zip(names, [3, 3, 1], strict=True))
    assert manifest["items"] == {"career": 2, "innings": 5} and manifest["item_count"] == 7
    stored_bytes = {n: (run_dir / n).read_bytes() for n in names}
    assert manifest["part_bytes"] == {n: len(b) for n, b in stored_bytes.items()}
    assert manifest["part_sha256"] == {n: hashlib.sha256(b).hexdigest() for n, b in stored_bytes.items()}
    assert (manifest["run_id"], manifest["spider"], manifest["arguments"]) == (
        "r1",
        "statsguru",
        {"classes": "1"},
    )
    assert manifest["raw"] == f"file://{run_dir}" and manifest["stats"]["cricket/parts_stored"] == 3
    assert sorted(s["location"].name for s in stored) == names
    assert sorted(s["size"] for s in stored) == sorted((run_dir / n).stat().st_size for n in names)
    assert [w["location"].uri for w in written] == [f"file://{run_dir}/_manifest.json"]
    assert written[0]["manifest"] == manifest


@pytest.mark.parametrize(("reason", "incomplete"), [("blocked", False), ("finished", True)])
def test_no_manifest_unless_finished_and_complete(tmp_path, reason, incomplete):
    _, stored, written = run(
        tmp_path, [RawRows("u1", _rows("career", 4))], reason=reason, incomplete=incomplete
    )
    run_dir = tmp_path / "statsguru" / "run_id=r1"
    assert (
        len(stored) == 2 and written == []
    )  # the rows are kept (a resume uses them), nothing vouches for them
    assert not (run_dir / "_manifest.json").exists()


def test_a_new_attempt_numbers_after_earlier_parts_and_a_finished_run_is_never_written_again(tmp_path):
    run(tmp_path, [RawRows("u1", _rows("career", 4))], reason="blocked")
    run_dir = tmp_path / "statsguru" / "run_id=r1"
    before = {p.name: p.read_bytes() for p in run_dir.glob("part-*")}
    assert sorted(before) == ["part-00001.jsonl.gz", "part-00002.jsonl.gz"]
    assert not (run_dir / CLAIM).exists()  # a crawl that ended in-process gives its run id back
    _, _, written = run(tmp_path, [RawRows("u1", _rows("career", 1))])
    assert all((run_dir / n).read_bytes() == b for n, b in before.items())  # never overwritten
    assert written[0]["manifest"]["parts"] == ["part-00003.jsonl.gz"]  # only what this attempt stored
    # No ledger vouches for the first attempt's parts (no JOBDIR): they are named apart, never read as the run's
    assert written[0]["manifest"]["unlisted_parts"] == sorted(before)
    finished = {p.name: p.read_bytes() for p in run_dir.iterdir()}

    with pytest.raises(CloseSpider) as err:
        run(tmp_path, [RawRows("u1", _rows("career", 2))])
    assert err.value.reason == "run_finished"
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == finished  # not one byte written


def _claim(tmp_path, **fields) -> Path:
    run_dir = tmp_path / "statsguru" / "run_id=r1"
    run_dir.mkdir(parents=True, exist_ok=True)
    holder = {"run_id": "r1", "claim": "x" * 32, "host": socket.gethostname(), "pid": os.getpid()}
    (run_dir / CLAIM).write_text(json.dumps({**holder, **fields}))
    return run_dir


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_the_claim_is_held_while_crawling_and_released_after(tmp_path):
    crawler = get_crawler(settings_dict={"CRICKET_RAW_URI": str(tmp_path), "JOBDIR": str(tmp_path / "job")})
    spider = crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", arguments={})
    writer = RawRunWriter.from_crawler(crawler)
    claim_file = tmp_path / "statsguru" / "run_id=r1" / CLAIM

    async def crawl():
        await writer.spider_opened(spider)
        held = json.loads(claim_file.read_text())
        writer.item_scraped(RawRows("u1", _rows("career", 2)))
        await writer.spider_closed(spider, "finished")
        return held

    held = asyncio.run(crawl())
    assert set(held) == {
        "run_id",
        "spider",
        "raw",
        "claim",
        "host",
        "pid",
        "jobdir",
        "claimed_at",
        "renewed_at",
    }
    assert (held["run_id"], held["pid"], held["jobdir"]) == (
        "r1",
        os.getpid(),
        str((tmp_path / "job").resolve()),
    )
    assert held["raw"] == f"file://{tmp_path}/statsguru/run_id=r1"
    assert not claim_file.exists() and (claim_file.parent / "_manifest.json").exists()


def test_a_claim_of_a_running_crawl_refuses_naming_its_holder(tmp_path, caplog):
    run_dir = _claim(tmp_path, jobdir=None, claimed_at="2026-12-02T01:00:00Z")
    with pytest.raises(CloseSpider) as err:
        run(tmp_path, [RawRows("u1", _rows("career", 2))])
    assert err.value.reason == "run_claimed"
    assert f"pid {os.getpid()} since 2026-12-02T01:00:00Z" in caplog.text
    assert sorted(p.name for p in run_dir.iterdir()) == [CLAIM]  # nothing written, the claim kept


@pytest.mark.parametrize(
    ("holder", "settings", "outcome"),
    [
        ({"host": "elsewhere", "pid": 1}, {}, "run_claimed"),
        ({"host": "elsewhere", "pid": 1}, {"CRICKET_CLAIM_TAKEOVER": "1"}, "taking over the claim"),
        ({"pid": "dead"}, {}, "no longer running"),
        ({"host": "elsewhere", "pid": 1, "renewed_at": "2026-01-01T00:00:00Z"}, {}, "has not renewed it"),
        ({"host": "elsewhere", "pid": 1, "renewed_at": "NOW"}, {}, "run_claimed"),  # renewed just now
        ({"host": "elsewhere", "pid": 1, "jobdir": "JOB"}, {"JOBDIR": "JOB"}, "resuming the claim"),
        (
            {"pid": "self", "jobdir": "JOB"},
            {"JOBDIR": "JOB"},
            "run_claimed",
        ),  # the same JOBDIR, still running
    ],
)
def test_a_stale_claim_is_recovered_only_in_the_documented_ways(tmp_path, caplog, holder, settings, outcome):
    job = str(tmp_path / "job")
    fields = {k: job if v == "JOB" else v for k, v in holder.items()}
    fields["pid"] = {"dead": _dead_pid(), "self": os.getpid()}.get(fields["pid"], fields["pid"])
    if fields.get("renewed_at") == "NOW":
        fields["renewed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    run_dir = _claim(tmp_path, **fields)
    settings = {k: job if v == "JOB" else v for k, v in settings.items()}
    if outcome == "run_claimed":
        with pytest.raises(CloseSpider) as err:
            run(tmp_path, [RawRows("u1", _rows("career", 2))], settings=settings)
        assert err.value.reason == outcome
        return
    _, _, written = run(tmp_path, [RawRows("u1", _rows("career", 2))], settings=settings)
    assert outcome in caplog.text and written
    assert not (run_dir / CLAIM).exists()


def test_a_crawl_whose_claim_was_taken_over_stops_and_writes_no_manifest(tmp_path, caplog):
    crawler = get_crawler(settings_dict={"CRICKET_RAW_URI": str(tmp_path), "CRICKET_CLAIM_RENEW_S": 0.05})
    spider = crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", arguments={})
    writer = RawRunWriter.from_crawler(crawler)
    claim_file = tmp_path / "statsguru" / "run_id=r1" / CLAIM

    async def crawl():
        await writer.spider_opened(spider)
        first = json.loads(claim_file.read_text())
        await asyncio.sleep(0.2)  # renewed meanwhile, still ours
        assert json.loads(claim_file.read_text())["claim"] == first["claim"]
        claim_file.write_text(json.dumps({**first, "claim": "another crawl", "host": "elsewhere"}))
        await asyncio.sleep(0.2)
        writer.item_scraped(RawRows("u1", _rows("career", 2)))
        await writer.spider_closed(spider, "finished")

    asyncio.run(crawl())
    assert crawler.stats.get_value("cricket/stop_reason") == "run_claimed"
    assert "its claim is now held by host elsewhere" in caplog.text
    assert not (claim_file.parent / "_manifest.json").exists()
    assert json.loads(claim_file.read_text())["claim"] == "another crawl"  # the other crawl's claim kept


def test_a_destination_that_refuses_writes_stops_before_the_first_page(tmp_path):
    (tmp_path / "statsguru").write_text("a file where the spider directory should be")
    with pytest.raises(CloseSpider) as err:
        run(tmp_path, [RawRows("u1", _rows("career", 2))])
    assert err.value.reason == "raw_unavailable"


def test_batch_zero_is_one_part_for_the_run(tmp_path):
    items = [RawRows(f"u{i}", _rows("career", 3, 10 * i)) for i in range(4)]
    _, stored, written = run(tmp_path, items, batch=0)
    assert [s["rows"] for s in stored] == [12] and written[0]["manifest"]["parts"] == ["part-00001.jsonl.gz"]


def test_an_unreachable_raw_location_stops_before_the_first_page(tmp_path, monkeypatch):
    for name, value in {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens there
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    crawler = get_crawler(settings_dict={"CRICKET_RAW_URI": "s3://example-cricket-bucket/raw"})
    crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", arguments={})
    writer = RawRunWriter.from_crawler(crawler)
    with pytest.raises(CloseSpider) as err:
        asyncio.run(writer.spider_opened(crawler.spider))
    assert err.value.reason == "raw_unavailable"


def test_a_spider_without_a_run_id_gets_no_raw_run_and_no_lineage(tmp_path):
    """A spider that is not a project spider (the benchmark's no-parse crawler) has no run id: the components
    that need one stand aside, and nothing gives it one behind its back."""
    crawler = get_crawler(settings_dict={"CRICKET_RAW_URI": str(tmp_path), "JOBDIR": str(tmp_path / "job")})
    crawler.spider = SimpleNamespace(name="bench_noparse")
    for component in (RawRunWriter, LineagePipeline):
        with pytest.raises(NotConfigured):
            component.from_crawler(crawler)
    assert LedgerDupeFilter.from_crawler(crawler).durable == set()
    assert not hasattr(crawler.spider, "run_id")


def test_the_manifest_records_the_header_findings_the_spiders_report(tmp_path):
    """headers_reported (crawler/pages/headers.py): absent optional columns and unknown headers, per run."""
    bat = "career/batting/career"
    reports = [
        ("u1", HeaderReport(bat, 2, ("4s", "6s"), ())),
        ("u2", HeaderReport(bat, 2, ("4s", "6s"), ("Capt",))),
    ]
    run(tmp_path, [RawRows("u1", _rows("career", 2))], headers=reports)
    manifest = json.loads((tmp_path / "statsguru" / "run_id=r1" / "_manifest.json").read_text())
    assert manifest["columns_absent"] == {
        bat: {h: {"pages": 2, "classes": [2], "first_url": "u1"} for h in ("4s", "6s")}
    }
    assert manifest["unknown_headers"] == {"Capt": {"pages": 1, "tables": [bat], "first_url": "u2"}}
    run(tmp_path / "plain", [RawRows("u1", _rows("career", 2))])
    plain = json.loads((tmp_path / "plain" / "statsguru" / "run_id=r1" / "_manifest.json").read_text())
    assert (plain["columns_absent"], plain["unknown_headers"]) == ({}, {})
