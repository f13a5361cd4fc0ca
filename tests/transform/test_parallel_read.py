"""Blocks parsed on a thread pool: the same blocks, rejects and part callbacks, in reading order, as one thread."""

from __future__ import annotations

import gzip
import json

import pytest

from cricket_storage import Location
from transform import read as raw
from transform.rejects import Rejects


def _line(i: int) -> str:
    return json.dumps(
        {
            "record": "innings",
            "class": 1,
            "type": "batting",
            "view": "innings",
            "player_id": i + 1,
            "player_cell": "AB Cee (ENG)",
            "cells": {"Runs": str(i), "Inns": "1"},
            "source_url": "http://replica/x",
            "page": 1,
            "match_id": "1",
            "match_label": "Test # 1",
        }
    )


@pytest.fixture
def parts(tmp_path, monkeypatch):
    # small blocks: a run of a few parts becomes many blocks, several of them in flight at once
    monkeypatch.setattr(raw, "BLOCK_BYTES", 2_000)
    for p in range(6):
        lines = [_line(p * 100 + i) for i in range(60)]
        if p == 2:
            lines[7] = "{not json"
        if p == 4:
            lines[30] = json.dumps({"record": "innings", "player_id": "430"})  # a reject of another kind
        data = gzip.compress(("\n".join(lines) + "\n").encode())
        (tmp_path / f"part-{p:05d}.jsonl.gz").write_bytes(data)
    loc = Location.parse(tmp_path)
    return [loc.child(f"part-{p:05d}.jsonl.gz") for p in range(6)]


def _read(parts, workers: int):
    rejects = Rejects()
    seen: list = []
    rows = []
    for block in raw.read_parts(parts, rejects, lambda n: seen.append(("part", n, rejects.count)), workers):
        seen.append(("block", block.lines, rejects.count))
        if block.table is not None:
            rows += block.table.column("player_id").to_pylist()
    return rows, seen, rejects.data()


def test_a_pool_of_parsers_gives_what_one_thread_gives(parts):
    rows, seen, rejected = _read(parts, 1)
    for workers in (2, 3):
        assert _read(parts, workers) == (rows, seen, rejected)
    assert rows[:3] == [1, 2, 3]
    assert 208 not in rows and 209 in rows  # line 8 of part 2 (player 208) is not JSON
    assert [json.loads(r)["reason"] for r in rejected.splitlines()] == ["malformed_json", "missing_key"]
    assert 431 not in rows and 432 in rows
    assert [s for s in seen if s[0] == "part"] == [
        ("part", 1, 0),
        ("part", 2, 0),
        ("part", 3, 1),
        ("part", 4, 1),
        ("part", 5, 2),
        ("part", 6, 2),
    ]
