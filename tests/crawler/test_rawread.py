"""Reading finished raw runs back: player ids of one run or of several (`--from-raw A --from-raw B`), the newest."""

from __future__ import annotations

import gzip
import json

import pytest

from crawler.rawread import RawRunError, iter_items, player_ids_from_raw
from cricket_contract.manifest import part_entries, part_info
from cricket_storage.rawruns import resolve_run


def write_run(root, run_id, player_ids, *, manifest=True, written_at="2026-11-26T03:04:05Z"):
    run = root / "statsguru" / f"run_id={run_id}"
    run.mkdir(parents=True)
    lines = "".join(
        json.dumps({"record": "career", "player_id": pid, "cells": {}}) + "\n" for pid in player_ids
    )
    data = gzip.compress(lines.encode())
    (run / "part-00001.jsonl.gz").write_bytes(data)
    if manifest:
        parts = part_entries([part_info("part-00001.jsonl.gz", data, len(player_ids))])
        doc = {"run_id": run_id, **parts, "written_at": written_at}
        (run / "_manifest.json").write_text(json.dumps(doc))
    return run.as_uri()


def test_one_run(tmp_path):
    assert player_ids_from_raw(write_run(tmp_path, "a", [3, 1, 3, 2])) == [1, 2, 3]


def test_several_runs_give_the_union_once(tmp_path):
    a = write_run(tmp_path, "a", [1, 2, 5])
    b = write_run(tmp_path, "b", [2, 7])
    assert player_ids_from_raw(f"{a},{b}") == [1, 2, 5, 7]


def test_an_unfinished_run_among_several_is_an_error(tmp_path):
    a = write_run(tmp_path, "a", [1])
    b = write_run(tmp_path, "b", [2], manifest=False)
    with pytest.raises(RawRunError, match="not a finished raw run"):
        player_ids_from_raw(f"{a},{b}")


def test_a_spider_directory_means_its_newest_finished_run(tmp_path):
    """Newest by the manifest's `written_at` (cricket_contract.layout's rule), not by the run id's order."""
    write_run(tmp_path, "b-older", [1], written_at="2026-11-01T00:00:00Z")
    write_run(tmp_path, "a-newer", [2], written_at="2026-11-02T00:00:00Z")
    write_run(tmp_path, "c-unfinished", [3], manifest=False)
    spider_dir = (tmp_path / "statsguru").as_uri()
    assert resolve_run(spider_dir).run_id == "a-newer"
    assert player_ids_from_raw(spider_dir) == [2]
    with pytest.raises(RawRunError, match="not a finished raw run"):
        resolve_run((tmp_path / "nothing").as_uri())


def test_a_damaged_part_is_an_error_not_fewer_players(tmp_path):
    run = write_run(tmp_path, "a", [1, 2, 3])
    part = tmp_path / "statsguru" / "run_id=a" / "part-00001.jsonl.gz"
    part.write_bytes(
        gzip.compress(b'{"record": "career", "player_id": 1, "cells": {}}\n').ljust(len(part.read_bytes()))
    )
    with pytest.raises(RawRunError, match="not the one its manifest"):
        list(iter_items(run))


def test_cli_joins_repeated_from_raw():
    from crawler.cli import build_parser

    args = build_parser().parse_args(["profiles", "--from-raw", "s3://b/raw/x", "--from-raw", "s3://b/raw/y"])
    assert args.from_raw == ["s3://b/raw/x", "s3://b/raw/y"]
