"""`scrapy crawl statsguru -O rows.csv`: one column per site header beside the record's keys and lineage, every
row under one header line; `.json`/`.jsonl` keep `cells` as an object."""

from __future__ import annotations

import csv
import io
import json

from crawler.feeds import CSV_COLUMNS, RawCsvExporter
from crawler.items import RawRows
from tests.crawler.test_scrapy_crawl import crawl

BAT = {"record": "career", "class": 1, "type": "batting", "view": "career", "player_id": 7,
       "player_cell": "A Cook (ENG)", "cells": {"Span": "2006-2018", "Mat": "161", "Runs": "12472", "HS": "294"},
       "source_url": "http://x/p1", "page": 1, "scraped_at": "2026-12-01T00:00:00Z", "run_id": "r", "spider": "statsguru"}  # fmt: skip
BOWL = BAT | {"type": "bowling", "player_id": 8, "cells": {"Span": "2003-2023", "Wkts": "704", "BBI": "7/42",
              "Dismissal (new)": "x"}, "later_key": 5}  # fmt: skip
PROFILE = {"record": "profile", "player_id": 9, "source": "next_data", "data": {"longName": "A B"}}


def _csv(*rows, **options) -> list[dict]:
    out = io.BytesIO()
    exp = RawCsvExporter(out, encoding="utf-8", **options)
    exp.start_exporting()
    for r in rows:
        exp.export_item(RawRows("http://x", [dict(r)]))
    exp.finish_exporting()
    return list(csv.DictReader(io.StringIO(out.getvalue().decode())))


def test_one_column_per_site_header_and_every_row_under_one_header():
    bat, bowl, prof = _csv(BAT, BOWL, PROFILE)
    assert list(bat) == list(CSV_COLUMNS)
    assert (bat["player_id"], bat["player_cell"], bat["Span"], bat["Runs"], bat["HS"]) == (
        "7", "A Cook (ENG)", "2006-2018", "12472", "294",
    )  # fmt: skip
    assert bat["Wkts"] == "" and bat["run_id"] == "r" and bat["source_url"] == "http://x/p1"
    # a bowling row after a batting one keeps its own columns (Scrapy would fix the header at the first row)
    assert (bowl["Wkts"], bowl["BBI"], bowl["Runs"]) == ("704", "7/42", "")
    # a header the column map does not know, and a key the contract does not name, are kept as JSON
    assert json.loads(bowl["other_cells"]) == {"Dismissal (new)": "x"}
    assert json.loads(bowl["other_keys"]) == {"later_key": 5}
    assert json.loads(prof["data"]) == {"longName": "A B"} and prof["source"] == "next_data"


def test_feed_export_fields_pick_columns_cell_headers_included():
    rows = _csv(BAT, fields_to_export=["player_id", "Runs", "run_id"])
    assert rows == [{"player_id": "7", "Runs": "12472", "run_id": "r"}]


def test_scrapy_crawl_csv_and_jsonl(replica_300, tmp_path):
    out_csv, out_jsonl = tmp_path / "rows.csv", tmp_path / "rows.jsonl"
    res = crawl("statsguru", "-a", f"base_url={replica_300.url}", "-a", "classes=3", "-a", "types=batting",
                "-O", str(out_csv), "-O", str(out_jsonl), raw=tmp_path / "raw")  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert len(rows) == len(lines) > 50
    assert all(isinstance(r["cells"], dict) for r in lines)  # JSON lines keep the cells object
    by_id = {int(r["player_id"]): r for r in rows}
    for line in lines:
        row = by_id[line["player_id"]]
        assert {h: row[h] for h in line["cells"]} == {h: v or "" for h, v in line["cells"].items()}
    assert "cells" not in rows[0] and rows[0]["Span"] and rows[0]["Mat"] and rows[0]["spider"] == "statsguru"
