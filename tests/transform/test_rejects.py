"""Bad raw rows go to _rejects with their raw text, table and reason; everything else loads."""

from __future__ import annotations

import copy
import json

import pytest

import transform.read
from cricket_storage import Location
from tests.transform.conftest import attempt_file, read_table
from tests.transform.rawgen import SCRAPED_AT, write_run

GOOD = {
    "record": "career",
    "class": 1,
    "type": "batting",
    "view": "career",
    "player_id": 1,
    "player_cell": "AB One (ENG)",
    "cells": {
        "Span": "2001-2010",
        "Mat": "10",
        "Inns": "18",
        "NO": "3",
        "Runs": "585",
        "HS": "101*",
        "Ave": "39",
        "BF": "900",
        "SR": "65",
        "100": "1",
        "50": "3",
        "0": "1",
        "4s": "60",
        "6s": "5",
    },
    "source_url": "http://replica/ci/engine/stats/index.html?class=1;template=results;type=batting",
    "page": 1,
    "scraped_at": SCRAPED_AT,
    "run_id": "raw1",
    "spider": "statsguru",
}
INNINGS = {
    "record": "innings",
    "class": 2,
    "type": "batting",
    "view": "innings",
    "player_id": 7,
    "player_cell": "CD Two (AUS)",
    "cells": {
        "Runs": "52*",
        "Mins": "80",
        "BF": "61",
        "4s": "4",
        "6s": "1",
        "SR": "85.24",
        "Pos": "3",
        "Dismissal": "not out",
        "Inns": "1",
        "Opposition": "v England",
        "Ground": "Lord's",
        "Start Date": "21 Jul 2011",
    },
    "source_url": "http://replica/x",
    "page": 1,
    "scraped_at": SCRAPED_AT,
    "run_id": "raw1",
    "spider": "statsguru",
    "match_id": "1234",
    "match_label": "ODI # 3456",
}


def item(base=GOOD, pid=None, **changes):
    it = copy.deepcopy(base)
    if pid is not None:
        it["player_id"] = pid
    for k, v in changes.items():
        if k.startswith("cell_"):
            h = k[5:].replace("_", " ")
            if v is None:
                it["cells"].pop(h)
            else:
                it["cells"][h] = v
        elif v is ...:
            it.pop(k)
        else:
            it[k] = v
    return it


def _rejects(curated, run_id):
    path = attempt_file(curated, "rejects", run_id)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_kind_of_bad_row_is_rejected_with_reason(tmp_path, transform_run):
    raw = tmp_path / "raw"
    oversized = json.dumps(item(pid=13, player_cell="X" * (2 << 20))).encode()
    lines = [
        item(pid=2),  # good
        item(INNINGS),  # good
        b'{"record": "career", "class": 1, "player_id": 3, "cells": {"Mat": ',  # malformed JSON
        json.dumps(item(pid=4, player_id=...)).encode(),  # missing key
        item(pid=5, player_id="5"),  # wrong type (string id)
        item(pid=6, cell_Runs=585),  # wrong type (number cell)
        item(pid=8, cell_Avg="39"),  # unknown header: typed, and reported (not a reject)
        item(pid=9, cell_Runs="-5"),  # negative count
        item(pid=10, cell_Mat="ten"),  # non-numeric
        item(pid=11, cell_NO="30"),  # impossible: not_outs > innings
        item(pid=12, **{"class": 7}),  # unknown class
        oversized,  # oversized line
        json.dumps(item(pid=14)).encode().replace(b"AB One", b"AB \xff\xfe"),  # non-UTF-8
        item(pid=15, cell_HS=None),  # known header missing
        item(INNINGS, pid=16, cell_Start_Date="31 Foo 2011"),  # bad date
        item(pid=17, record="scorecard"),  # unknown record kind
        item(
            pid=18, cell_Runs="1000", cell_HS="99"
        ),  # conflicting duplicate (same key and scraped_at as next)
        item(pid=18, cell_Runs="1001", cell_HS="99"),
        item(pid=19, scraped_at="yesterday"),  # bad timestamp
        b"[1, 2, 3]",  # JSON but not an object
    ]
    # a second part of good rows (a damaged part refuses the whole run: tests/integrity)
    lines += [item(pid=100 + i) for i in range(3000)]
    write_run(raw, "statsguru", "raw1", lines, per_part=len(lines) - 3000)

    res = transform_run(raw, tmp_path / "cur", run_id="bad", max_reject_ratio=0.5)
    assert res.report["rows_read"] == len(lines)
    assert res.exit_code == 0, res.summary
    rejects = _rejects(tmp_path / "cur", "bad")
    reasons = [r["reason"] for r in rejects]
    expected = {
        "malformed_json",
        "missing_key",
        "wrong_type",
        "negative_count",
        "non_numeric",
        "impossible",
        "unknown_class",
        "oversized_line",
        "non_utf8",
        "missing_header",
        "bad_date",
        "unknown_record",
        "duplicate_conflict",
        "bad_timestamp",
    }
    assert expected <= set(reasons), sorted(set(reasons))
    assert len(expected) >= 12 and "unknown_header" not in reasons
    by: dict[str, dict] = {}
    for r in rejects:
        by.setdefault(r["reason"], r)
    assert '"cells": {"Mat": ' in by["malformed_json"]["raw"] and by["malformed_json"]["line"] == 3
    # a header the map does not know is a DQ finding naming it; the row is typed (raw keeps its cell)
    assert res.report["dq"]["checks"]["raw"]["unknown_header:Avg"] == {"checked": 1, "failed": 1}
    assert res.report["dq"]["samples"]["raw.unknown_header:Avg"][0]["header"] == "Avg"
    assert by["negative_count"]["detail"] == "Runs" and by["negative_count"]["table"] == "batting_career"
    assert by["impossible"]["detail"] == "not_outs>innings"
    assert by["non_utf8"]["raw"].startswith("{") and "\\xff" in by["non_utf8"]["raw"]
    assert by["missing_header"]["detail"] == "HS"
    assert by["duplicate_conflict"]["table"] == "batting_career"
    assert json.loads(by["duplicate_conflict"]["raw"])["runs"] == 1000  # the later input line won
    assert sum(1 for r in reasons if r == "wrong_type") == 2
    # good rows all loaded
    ids = {r["player_id"] for r in read_table(tmp_path / "cur", "batting_career")}
    assert {2, 8, 18} <= ids and not ids & {4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 17, 19}
    assert ids >= set(range(100, 3100))
    assert [r["runs"] for r in read_table(tmp_path / "cur", "batting_career") if r["player_id"] == 18] == [
        1001
    ]
    assert read_table(tmp_path / "cur", "batting_innings")[0]["runs"] == 52
    assert res.report["rejects"] == len(rejects)


def test_semantic_rejects_on_the_fast_arrow_path(tmp_path, transform_run, monkeypatch):
    """Rows that are valid JSON are typed by Arrow kernels; no line falls back to Python."""

    def no_slow(*a, **k):
        raise AssertionError("slow path used")

    monkeypatch.setattr(transform.read, "_slow_block", no_slow)
    lines = [
        item(pid=1),
        item(pid=2, cell_Runs="-1"),
        item(pid=3, **{"class": 99}),
        item(pid=4, cell_SR="fast"),
        item(
            INNINGS,
            cell_Runs="DNB",
            cell_Mins="-",
            cell_BF="-",
            cell_4s="-",
            cell_6s="-",
            cell_SR="-",
            cell_Dismissal="-",
        ),
    ]
    write_run(tmp_path / "raw", "statsguru", "raw1", lines)
    res = transform_run(tmp_path / "raw", tmp_path / "cur", run_id="fast", max_reject_ratio=1.0)
    rejected = _rejects(tmp_path / "cur", "fast")
    assert sorted(r["reason"] for r in rejected) == ["negative_count", "non_numeric", "unknown_class"]
    # even on the fast path each reject names its part and line
    part = Location.parse(tmp_path / "raw" / "statsguru" / "run_id=raw1" / "part-00001.jsonl.gz").uri
    assert sorted((r["source"], r["line"]) for r in rejected) == [(part, 2), (part, 3), (part, 4)]
    inn = read_table(tmp_path / "cur", "batting_innings")
    assert inn[0]["participation"] == "dnb" and inn[0]["runs"] is None and inn[0]["not_out"] is None
    assert res.exit_code == 0


def test_reject_ratio_over_limit_fails_and_publishes_nothing(tmp_path, transform_run, capsys):
    from transform.cli import main

    raw = tmp_path / "raw"
    write_run(raw, "statsguru", "ok", [item(pid=i) for i in range(1, 11)])
    assert transform_run(raw, tmp_path / "cur", run_id="first").exit_code == 0
    before = (tmp_path / "cur" / "_current.json").read_bytes()
    write_run(raw, "statsguru", "bad", [item(pid=i) for i in range(1, 10)] + [b"not json"])
    rc = main(
        [
            "run",
            "--raw",
            str(raw),
            "--curated",
            str(tmp_path / "cur"),
            "--raw-run",
            "bad",
            "--run-id",
            "second",
            "--max-reject-ratio",
            "0.05",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 4
    assert "rejects: 1 (10.00%, limit 5.00%)" in out and "NOT published" in out
    assert (tmp_path / "cur" / "_current.json").read_bytes() == before
    report = json.loads(attempt_file(tmp_path / "cur", "reports", "second").read_text())
    assert report["status"].startswith("rejected") and report["rejects"] == 1
    assert _rejects(tmp_path / "cur", "second")[0]["reason"] == "malformed_json"


@pytest.mark.parametrize("bad", ["nope", "0"])
def test_cli_errors_are_one_clear_line(tmp_path, capsys, bad):
    from transform.cli import main

    raw = tmp_path / "raw"
    write_run(raw, "statsguru", "unfinished", [item()], manifest=False)
    if bad == "nope":
        rc = main(["run", "--raw", str(raw), "--curated", str(tmp_path / "c"), "--raw-run", "unfinished"])
        err = capsys.readouterr().err
        assert rc == 1 and "has no _manifest.json" in err
    else:
        rc = main(["run", "--raw", str(raw), "--curated", str(tmp_path / "c")])
        assert rc == 1 and "no finished raw runs" in capsys.readouterr().err
