"""Run ledger: which pages count as stored (resume after SIGKILL), with out-of-order and failed part stores."""

from __future__ import annotations

import asyncio
import json
import shutil
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler

from crawler.items import RawRows
from crawler.ledger import LEDGER, JobLedger, PageTracker
from crawler.rawzone import RawRunWriter
from cricket_contract.manifest import part_info


def _rows(n: int) -> list[dict]:
    return [{"record": "career", "player_id": i} for i in range(n)]


def _crawl(tmp_path, pages, *, batch=2, raw=None, after_open=None) -> RawRunWriter:
    """Drive a writer through a crawl: `pages` is a list of (url, rows or None for dropped, or "parsed")."""
    crawler = get_crawler(
        settings_dict={
            "JOBDIR": str(tmp_path / "job"),
            "CRICKET_RAW_URI": str(raw or tmp_path / "raw"),
            "FEED_EXPORT_BATCH_ITEM_COUNT": batch,
        }
    )
    spider = crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", arguments={})
    writer = RawRunWriter.from_crawler(crawler)

    async def crawl():
        await writer.spider_opened(spider)
        if after_open:
            after_open(writer)
        for url, rows in pages:
            writer.page_parsed(url, 1 if rows != [] else 0)
            if rows is None:
                writer.item_dropped(RawRows(url, []))
            elif rows:
                writer.item_scraped(RawRows(url, rows))
        await writer.spider_closed(spider, "finished")

    asyncio.run(crawl())
    return writer


def _ledger_lines(tmp_path) -> list[dict]:
    path = tmp_path / "job" / LEDGER
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _durable(tmp_path) -> list[str]:
    return [u for line in _ledger_lines(tmp_path) for u in line["pages"]]


def _check_ledger(tmp_path, needs: dict[str, set[int]]) -> None:
    """Whatever order the parts were stored in (worker threads): a page is listed once, in the line of a part
    stored when every part its rows went into (`needs`) was stored, and every page is listed in the end."""
    stored: set[int] = set()
    listed: list[str] = []
    for line in _ledger_lines(tmp_path):
        stored.add(int(line["part"][5:10]))
        for url in line["pages"]:
            assert needs[url] <= stored, f"{url} listed with part {line['part']} before its parts were stored"
            listed.append(url)
    assert sorted(listed) == sorted(needs)


def test_pages_durable_only_when_their_part_is_stored():
    tracker = PageTracker()
    for url, part in (("u1", 1), ("u2", 2)):
        tracker.page_parsed(url, 1)
        tracker.item_done(url, part)
    tracker.page_parsed("u0", 0)  # no rows: durable with the next stored part
    assert tracker.part_stored(2) == ["u0"]  # part 2 stored first: nothing that needs part 1 is durable
    assert sorted(tracker.part_stored(1)) == ["u1", "u2"]


def test_page_split_across_parts_waits_for_the_last(tmp_path):
    writer = _crawl(tmp_path, [("u0", _rows(1)), ("u1", _rows(3))])  # u1's rows straddle parts 1 and 2
    _check_ledger(tmp_path, {"u0": {1}, "u1": {1, 2}})
    lines = sorted(_ledger_lines(tmp_path), key=lambda line: line["part"])
    assert [(line["part"], line["items"], line["by_record"]) for line in lines] == [
        ("part-00001.jsonl.gz", 2, {"career": 2}),
        ("part-00002.jsonl.gz", 2, {"career": 2}),
    ]
    assert writer.items_by_record == {"career": 4}


def test_failed_store_makes_nothing_durable(tmp_path, caplog):
    def break_run_dir(writer):  # the destination fails after the run was claimed
        run_dir = tmp_path / "raw" / "statsguru" / "run_id=r1"
        shutil.rmtree(run_dir)
        run_dir.write_text("a file where the run directory should be")

    writer = _crawl(tmp_path, [("u1", _rows(2)), ("u2", _rows(2))], after_open=break_run_dir)
    assert _durable(tmp_path) == [] and writer.parts == {}
    assert writer.failed_stores == 2 and writer.stats.get_value("cricket/parts_failed") == 2
    assert writer.failure_causes == {"NotADirectoryError": 2}
    assert caplog.text.count("could not store raw part") == 1  # one line per cause, not per part
    assert writer.stats.get_value("cricket/stop_reason") == "raw_store_failed"


def test_dropped_page_item_is_durable_without_rows(tmp_path):
    # u2's item was dropped (every row a duplicate): nothing of it waits to be stored
    _crawl(tmp_path, [("u1", _rows(2)), ("u2", None), ("u3", _rows(2))])
    _check_ledger(tmp_path, {"u1": {1}, "u2": set(), "u3": {2}})


def test_a_resume_reads_only_its_own_run_id(tmp_path):
    job = str(tmp_path / "job")
    here = "file:///raw/statsguru/run_id=r1"
    JobLedger(job, "r1").append(here, part_info("part-00001.jsonl.gz", b"ab", 2), {"career": 2}, ["u1"])
    JobLedger(job, "other").append(here, part_info("part-00001.jsonl.gz", b"abc", 5), {"career": 5}, ["u9"])
    (tmp_path / "job" / LEDGER).open("a").write('{"run_id": "r1", "part": "part-0000')  # cut by SIGKILL
    assert [e["pages"] for e in JobLedger(job, "r1").entries()] == [["u1"]]
    assert JobLedger(job, "r1").parts_for(here) == [
        (part_info("part-00001.jsonl.gz", b"ab", 2), {"career": 2})
    ]
    assert (tmp_path / "job" / LEDGER).stat().st_mode & 0o777 == 0o644


def test_a_jobdir_that_stored_elsewhere_is_refused(tmp_path):
    """A JOBDIR reused with another --raw would skip pages whose rows are not at the new location."""
    job = str(tmp_path / "job")
    here, there = "file:///raw/statsguru/run_id=r1", "file:///elsewhere/statsguru/run_id=r1"
    JobLedger(job, "r1").append(here, part_info("part-00001.jsonl.gz", b"ab", 2), {"career": 2}, ["u1"])
    with pytest.raises(ValueError, match="stored at file:///raw/statsguru/run_id=r1, not file:///elsewhere"):
        JobLedger(job, "r1").parts_for(there)


def test_a_ledger_line_without_a_hash_is_refused(tmp_path):
    (tmp_path / "job").mkdir()
    line = {"run_id": "r1", "raw": "file:///raw", "part": "part-00001.jsonl.gz", "items": 2, "pages": ["u1"]}
    (tmp_path / "job" / LEDGER).write_text(json.dumps(line) + "\n")
    with pytest.raises(ValueError, match="older crawler"):
        JobLedger(str(tmp_path / "job"), "r1").parts_for("file:///raw")
