"""Run ledger: which pages count as stored (resume after SIGKILL), with out-of-order and failed part stores."""

from __future__ import annotations

import json
from types import SimpleNamespace

from scrapy.utils.test import get_crawler

from crawler.extensions import RunLedger
from crawler.items import RawRows
from crawler.scheduling import LEDGER


def _ledger(tmp_path, batch=2):
    crawler = get_crawler(
        settings_dict={
            "JOBDIR": str(tmp_path / "job"),
            "CRICKET_RAW_URI": str(tmp_path / "raw"),
            "FEED_EXPORT_BATCH_ITEM_COUNT": batch,
        }
    )
    crawler.spider = SimpleNamespace(name="statsguru", run_id="r1", settings=crawler.settings)
    ledger = RunLedger.from_crawler(crawler)
    ledger.spider_opened(crawler.spider)
    run = tmp_path / "raw" / "statsguru" / "run_id=r1"
    run.mkdir(parents=True)
    return ledger, run


def _store(ledger, run, batch_id, items, ok=True):
    name = f"part-{batch_id:05d}.jsonl.gz"
    if ok:
        (run / name).write_bytes(b"x")
    ledger.feed_slot_closed(SimpleNamespace(uri=f"file://{run}/{name}", batch_id=batch_id, itemcount=items))


def _durable(tmp_path):
    lines = (
        (tmp_path / "job" / LEDGER).read_text().splitlines() if (tmp_path / "job" / LEDGER).exists() else []
    )
    return [u for line in lines for u in json.loads(line)["pages"]]


def _page(ledger, url, batches):
    """A page whose one RawRows item the exporter wrote as `batches` = {batch_id: rows in it}."""
    ledger.page_parsed(url, 1 if batches else 0)
    for batch_id, n in batches.items():
        ledger.rows_written(batch_id, [{"record": "career"}] * n)
    if batches:
        ledger.item_written(RawRows(url, []), last_batch=max(batches))


def test_pages_durable_only_when_their_batch_is_stored(tmp_path):
    ledger, run = _ledger(tmp_path)
    _page(ledger, "u1", {1: 2})
    _page(ledger, "u2", {2: 2})
    _page(ledger, "u0", {})  # no rows: durable with the next stored part
    _store(ledger, run, 2, 2)  # batch 2 stored first: nothing is durable while batch 1 is not
    assert _durable(tmp_path) == ["u0"]
    _store(ledger, run, 1, 2)
    assert sorted(_durable(tmp_path)) == ["u0", "u1", "u2"]
    assert ledger.items_by_record == {"career": 4}


def test_page_split_across_parts_waits_for_the_last(tmp_path):
    ledger, run = _ledger(tmp_path)
    _page(ledger, "u1", {1: 1, 2: 2})  # a page's rows straddle the part boundary
    _store(ledger, run, 1, 2)
    assert _durable(tmp_path) == []
    _store(ledger, run, 2, 2)
    assert _durable(tmp_path) == ["u1"]
    assert [
        json.loads(line)["by_record"] for line in (tmp_path / "job" / LEDGER).read_text().splitlines()
    ] == [
        {"career": 1},
        {"career": 2},
    ]


def test_failed_store_makes_nothing_durable(tmp_path):
    ledger, run = _ledger(tmp_path)
    _page(ledger, "u1", {1: 2})
    _store(ledger, run, 1, 2, ok=False)
    assert _durable(tmp_path) == []
    assert "part-00001.jsonl.gz" not in ledger.part_items


def test_dropped_page_item_is_durable_without_rows(tmp_path):
    ledger, run = _ledger(tmp_path)
    _page(ledger, "u1", {1: 2})
    ledger.page_parsed("u2", 1)
    _store(ledger, run, 1, 2)
    assert _durable(tmp_path) == ["u1"]  # u2's item is still in the pipelines
    ledger.item_dropped(RawRows("u2", []), None, None)  # every row of u2 was a duplicate
    _store(ledger, run, 2, 0)
    assert _durable(tmp_path) == ["u1", "u2"]
