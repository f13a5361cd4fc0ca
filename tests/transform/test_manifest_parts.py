"""The transformer reads exactly the parts a raw run's manifest lists, never a later attempt's leftovers."""

from __future__ import annotations

import gzip
import json

import pytest

from cricket_storage.rawruns import RawRunError
from tests.transform.conftest import read_table
from tests.transform.rawgen import write_run
from tests.transform.test_rejects import GOOD, item


def test_parts_beside_the_manifest_that_it_does_not_list_are_not_read(tmp_path, transform_run):
    raw = tmp_path / "raw"
    run = write_run(raw, "statsguru", "r1", [item(GOOD, pid=1), item(GOOD, pid=2)])
    # A re-run under the same id was killed after storing a part: the old manifest does not list it.
    (run / "part-00002.jsonl.gz").write_bytes(gzip.compress(json.dumps(item(GOOD, pid=99)).encode() + b"\n"))
    transform_run(raw, tmp_path / "cur", raw_runs=["r1"])
    assert sorted(r["player_id"] for r in read_table(tmp_path / "cur", "batting_career")) == [1, 2]


def test_a_listed_part_that_is_missing_is_an_error(tmp_path, transform_run):
    raw = tmp_path / "raw"
    run = write_run(raw, "statsguru", "r1", [item(GOOD, pid=1)])
    (run / "part-00001.jsonl.gz").unlink()
    with pytest.raises(RawRunError, match="manifest lists part-00001.jsonl.gz but the file is missing"):
        transform_run(raw, tmp_path / "cur", raw_runs=["r1"])


def test_a_manifest_without_parts_is_an_error(tmp_path, transform_run):
    raw = tmp_path / "raw"
    run = write_run(raw, "statsguru", "r1", [item(GOOD, pid=1)])
    (run / "_manifest.json").write_text(json.dumps({"run_id": "r1", "spider": "statsguru"}))
    with pytest.raises(RawRunError, match="no list of parts"):
        transform_run(raw, tmp_path / "cur", raw_runs=["r1"])
