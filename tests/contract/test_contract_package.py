"""The contract package: standard library only; layout names build and parse alike; the raw record spec."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cricket_contract import layout
from cricket_contract.records import RecordError, natural_key, schema, validate
from tests.helpers import REPO

CAREER = {
    "record": "career",
    "class": 1,
    "type": "batting",
    "view": "career",
    "player_id": 311158,
    "player_cell": "BA Stokes (ENG)",
    "cells": {"Span": "2011-2026", "HS": "258"},
    "source_url": "http://x/y",
    "page": 3,
}


def test_the_contract_imports_nothing_but_the_standard_library():
    """The transformer image (no Scrapy) and the DAG (no pyarrow) import it: only stdlib modules may load."""
    code = (
        "import sys, pkgutil, importlib; import cricket_contract\n"
        "for m in pkgutil.iter_modules(cricket_contract.__path__): importlib.import_module('cricket_contract.' + m.name)\n"
        "std = set(sys.stdlib_module_names)\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} - std - {'cricket_contract', '__main__'}))"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert json.loads(out.stdout.replace("'", '"')) == []


def test_layout_names_round_trip():
    assert layout.RawPartName.parse("part-00012.jsonl.gz") == layout.RawPartName(12)
    assert layout.RawPartName(3).name() == "part-00003.jsonl.gz"
    assert layout.RawPartName.parse("part-00012.jsonl") == layout.RawPartName(12, gzipped=False)
    assert (
        layout.RawPartName.parse("part-1.jsonl.gz") is None
        and layout.RawPartName.parse(".part-00001.tmp") is None
    )
    assert layout.part_numbers(["_manifest.json", "part-00002.jsonl.gz", "part-00001.jsonl.gz"]) == [1, 2]
    assert layout.RunDir.parse("run_id=20261126T030405Z") == layout.RunDir("20261126T030405Z")
    assert layout.RunDir.parse("run_id=") is None and layout.RunDir.parse("format=test") is None
    assert layout.raw_run_path("statsguru", "R1") == "statsguru/run_id=R1"
    assert layout.table_run_path("players", "R1") == "players/run_id=R1"
    assert layout.partition_path("test") == "format=test" and layout.partition_path(layout.NO_FORMAT) == ""
    assert layout.CuratedPartName.parse(layout.CuratedPartName(7).name()) == layout.CuratedPartName(7)
    cs = layout.CuratedPartName(0, "cricsheet")
    assert cs.name() == "part-cricsheet-00000.parquet" and layout.CuratedPartName.parse(cs.name()) == cs
    assert layout.CuratedPartName(0).name() == "part-00000.parquet" != cs.name()
    assert layout.rejects_path("R", "A1") == "_rejects/run_id=R/attempt=A1/rejects.jsonl"
    assert (
        layout.report_dir("R") == "_reports/run_id=R"
        and layout.report_dir("R", "A1") == "_reports/run_id=R/attempt=A1"
    )
    assert layout.attempt_path("players", "R", "A1") == "players/run_id=R/attempt=A1"
    new = layout.AttemptDir.new()
    assert layout.AttemptDir.parse(new.name()) == new and new != layout.AttemptDir.new()
    assert layout.check_run_id("demo-20261126T145246Z-statsguru")
    for bad in ("", "a/b", "-x", "x" * 129, "a b"):
        with pytest.raises(ValueError):
            layout.check_run_id(bad)


def test_the_newest_finished_run_rule():
    runs = [
        layout.FinishedRun("b", "2026-11-26T03:00:00Z", 5),
        layout.FinishedRun("a", "2026-11-26T04:00:00Z", 1),
        layout.FinishedRun("c", "2026-11-26T04:00:00Z", 1),
    ]
    assert layout.newest_finished(runs).run_id == "c"  # same written_at and mtime: the larger id
    assert layout.newest_finished([]) is None


def test_current_json_reader_names_what_is_wrong():
    good = {"run_id": "R", "tables": {"players": {"location": "file:///x/", "files": []}}}
    assert layout.read_current(json.dumps(good)) == good
    cases = [
        ("{", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"tables": {}}', "no run_id"),
        ('{"run_id": "R"}', "no tables"),
        ('{"run_id": "R", "tables": {"p": {}}}', "no location"),
    ]
    for bad, why in cases:
        with pytest.raises(ValueError, match=why):
            layout.read_current(bad, "s3://b/_current.json")


@pytest.mark.parametrize(
    ("change", "problem", "key"),
    [
        ({"player_id": ...}, "missing", "player_id"),
        ({"player_id": None}, "missing", "player_id"),
        ({"player_id": "5"}, "wrong_type", "player_id"),
        ({"player_id": 2**70}, "out_of_range", "player_id"),
        ({"player_id": 0}, "out_of_range", "player_id"),
        ({"page": True}, "wrong_type", "page"),
        ({"cells": {}}, "missing", "cells"),
        ({"cells": {"Runs": 5}}, "wrong_type", "cells"),
        ({"record": "scorecard"}, "unknown_record", "record"),
        ({"spider": 3}, "wrong_type", "spider"),
    ],
)
def test_the_record_spec_names_the_problem(change, problem, key):
    item = {**CAREER, "cells": dict(CAREER["cells"])}
    for k, v in change.items():
        if v is ...:
            item.pop(k)
        else:
            item[k] = v
    with pytest.raises(RecordError) as info:
        validate(item)
    assert (info.value.problem, info.value.key) == (problem, key)


def test_valid_records_and_their_natural_keys():
    validate(CAREER)
    validate(
        {**CAREER, "player_cell": None, "scraped_at": "2026-11-26T03:04:05Z", "run_id": "R", "spider": "s"}
    )
    profile = {"record": "profile", "player_id": 1, "source": "athlete_json", "data": {"id": "1"}}
    validate(profile)
    with pytest.raises(RecordError):
        validate({**profile, "source": "telepathy"})
    assert natural_key(CAREER) == ("career", 1, "batting", 311158)
    assert natural_key(profile) == ("profile", 1, "athlete_json")
    assert schema("innings")["required"][-2:] == ["match_id", "match_label"]
