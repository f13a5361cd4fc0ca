"""De-duplication on natural keys: the latest scraped_at wins, across runs and record kinds."""

from __future__ import annotations

import json

import pyarrow as pa

from tests.transform.conftest import attempt_file, read_table
from tests.transform.rawgen import write_run
from tests.transform.test_rejects import INNINGS, item
from transform.dedupe import dedupe, fill_gaps


def test_latest_scrape_wins_and_identical_duplicates_vanish(tmp_path, transform_run):
    raw = tmp_path / "raw"
    early, late = "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z"  # the default is 2026-11-26
    write_run(
        raw,
        "statsguru",
        "a",
        [
            item(pid=1, scraped_at=late, cell_Runs="600", cell_Ave="40"),
            item(pid=1, scraped_at=early, cell_Runs="585"),  # older: loses, not a conflict
            item(pid=2),
            item(pid=2),
            item(pid=2),  # a crawl resumed after a kill re-emits rows: identical copies
            item(INNINGS),
            item(INNINGS, scraped_at=late, cell_Runs="53*", cell_SR="86.88"),
            item(INNINGS, cell_Inns="2"),  # another innings of the same match: a different key
        ],
    )
    res = transform_run(raw, tmp_path / "cur", run_id="d")
    assert res.exit_code == 0 and res.report["rejects"] == 0
    assert res.report["stats"]["duplicates_dropped"] == 1 + 2 + 1
    bat = {r["player_id"]: r for r in read_table(tmp_path / "cur", "batting_career")}
    assert bat[1]["runs"] == 600 and bat[1]["scraped_at"].isoformat() == "2026-11-27T00:00:00+00:00"
    assert len(bat) == 2
    inns = sorted((r["innings_number"], r["runs"]) for r in read_table(tmp_path / "cur", "batting_innings"))
    assert inns == [(1, 53), (2, 52)]


def test_player_page_format_row_supersedes_list_row_when_later(tmp_path, transform_run):
    raw = tmp_path / "raw"
    write_run(
        raw,
        "statsguru",
        "lists",
        [
            item(
                pid=311158,
                player_cell="BA Stokes (ENG)",
                cell_Runs="7000",
                cell_Ave="-",
                cell_SR="-",
                scraped_at="2026-11-20T00:00:00Z",
            )
        ],
    )
    page_row = {
        "record": "player_career",
        "class": 11,
        "type": "batting",
        "view": "career",
        "player_id": 311158,
        "caption": "Career summary",
        "grouping": "Test matches",
        "section": 0,
        "cells": {
            "Span": "2013-2026",
            "Mat": "120",
            "Inns": "216",
            "NO": "9",
            "Runs": "7216",
            "HS": "258",
            "Ave": "34.85",
            "BF": "12348",
            "SR": "58.43",
            "100": "14",
            "50": "37",
            "0": "17",
            "4s": "828",
            "6s": "136",
        },
        "source_url": "http://replica/ci/engine/player/311158.html",
        "scraped_at": "2026-11-26T00:00:00Z",
        "run_id": "pages",
        "spider": "player_stats",
    }
    write_run(raw, "player_stats", "pages", [page_row])
    res = transform_run(raw, tmp_path / "cur", run_id="p")
    assert res.exit_code == 0 and res.report["rejects"] == 0
    (row,) = read_table(tmp_path / "cur", "batting_career")
    assert (row["runs"], row["high_score"], row["format"]) == (7216, 258, "test")
    # the player page has no player cell: name and country come from the list row it superseded
    assert (row["name"], row["country"], row["run_id"]) == ("BA Stokes", "ENG", "pages")


def test_many_buckets_keep_the_format_by_format_order(tmp_path, transform_run, monkeypatch):
    """Staged by bucket with every format in it, the output still reads format by format, bucket by bucket."""
    monkeypatch.setattr("transform.job.bucket_count", lambda runs: 3)  # small input, large-run bucketing
    raw = tmp_path / "raw"
    rows = []
    for cls in (2, 1):  # odi, then test: input order is not output order
        for pid in (1, 2, 3, 4):  # buckets 1, 2, 0, 1
            rows += [
                item(INNINGS, pid=pid, **{"class": cls}),
                item(INNINGS, pid=pid, **{"class": cls}, cell_Mins="81"),
            ]
    write_run(raw, "statsguru", "a", rows)
    res = transform_run(raw, tmp_path / "cur", run_id="b", max_reject_ratio=1)
    conflicts = [
        json.loads(line) for line in attempt_file(tmp_path / "cur", "rejects", "b").read_text().splitlines()
    ]
    assert [(r["reason"], json.loads(r["raw"])["player_id"]) for r in conflicts] == [
        ("duplicate_conflict", pid) for pid in (3, 1, 4, 2, 3, 1, 4, 2)
    ]
    assert [json.loads(r["raw"])["minutes"] for r in conflicts] == [80] * 8  # the later input line won
    meta = res.report["tables"]["batting_innings"]
    assert meta["partitions"] == {"odi": 4, "test": 4}
    assert [f.rsplit("/", 2)[1] for f in meta["files"]] == ["format=odi", "format=test"]
    inns = [
        (r["format"], r["player_id"], r["minutes"]) for r in read_table(tmp_path / "cur", "batting_innings")
    ]
    assert inns == [(f, pid, 81) for f in ("odi", "test") for pid in (3, 1, 4, 2)]


def test_the_newest_row_takes_only_what_it_lacks_from_an_older_one():
    """A player page's summary row (newer, no "4" column) and the career list's row (older, no BBM) of one
    (player, format): the page's figures stand, the list's "4" fills its gap, the lineage stays the page's."""
    tb = pa.table(
        {
            "player_id": [7, 7, 8],
            "format": ["odi", "odi", "odi"],
            "wickets": [100, 98, 5],
            "four_wickets": [None, 3, None],
            "best_match_wickets": [6, None, None],
            "scraped_at": pa.array([2, 1, 1], pa.int64()),
            "run_id": ["pages", "lists", "lists"],
            "source_url": ["player/7", "stats?p=1", "stats?p=1"],
            "_seq": pa.array([5, 1, 2], pa.int64()),
        }
    )
    win, lost, dropped = dedupe(tb, ("player_id", "format"))
    assert dropped == 1 and lost.num_rows == 0
    got = win.drop_columns(["_seq", "scraped_at"]).to_pylist()
    assert got == [
        {"player_id": 7, "format": "odi", "wickets": 100, "four_wickets": 3, "best_match_wickets": 6,
         "run_id": "pages", "source_url": "player/7"},
        {"player_id": 8, "format": "odi", "wickets": 5, "four_wickets": None, "best_match_wickets": None,
         "run_id": "lists", "source_url": "stats?p=1"},
    ]  # fmt: skip
    assert fill_gaps(tb, ("player_id", "format")).column("four_wickets").to_pylist() == [3, 3, None]
