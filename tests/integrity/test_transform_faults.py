"""Fault suite, transformer side: damaged parts, lying manifests, hostile lines, failed re-runs, shrinking runs."""

from __future__ import annotations

import gzip
import json
import os
import random
import stat

import pytest

from tests.integrity.conftest import good_items, listing, manifest_of
from tests.integrity.probes import probe
from tests.transform.conftest import attempt_file, read_table
from tests.transform.rawgen import write_run
from tests.transform.test_rejects import GOOD, INNINGS, item


def _damaged_run(raw, damage) -> tuple:
    """A second raw run `bad` whose second part `damage(path)` alters after the manifest was written."""
    run = write_run(raw, "statsguru", "bad", good_items(), per_part=30)
    part = run / "part-00002.jsonl.gz"
    damage(part)
    return run, part


def _refused(capsys, cli, cur, before, *needles: str) -> str:
    """The run over `bad` exits 1 with one line naming the part, and the published run is untouched."""
    assert cli("--raw-run", "bad", "--run-id", "r2") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for needle in ("run_id=bad", "part-00002.jsonl.gz", *needles):
        assert needle in err, err
    assert listing(cur) == before
    return err


@probe(
    "raw parts and manifests",
    "A part cut to 10 % of its bytes",
    "exit 1 naming run and part; nothing published",
)
def test_a_cut_part_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    _damaged_run(raw, lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 10]))
    _refused(capsys, cli, cur, before, "bytes, the manifest says")


@probe("raw parts and manifests", "A 0-byte part", "exit 1 naming run and part; nothing published")
def test_an_empty_part_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    _damaged_run(raw, lambda p: p.write_bytes(b""))
    _refused(capsys, cli, cur, before, "is 0 bytes")


@probe(
    "raw parts and manifests",
    "A part replaced by random bytes of the same size",
    "exit 1: not a readable gzip stream; nothing published",
)
def test_a_part_of_random_bytes_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    rng = random.Random(7)
    _damaged_run(raw, lambda p: p.write_bytes(bytes(rng.randrange(256) for _ in range(p.stat().st_size))))
    _refused(capsys, cli, cur, before, "not a readable gzip stream")


@probe(
    "raw parts and manifests",
    "One flipped byte inside a gzip part",
    "exit 1: the stored bytes are not what the manifest's sha256 says (or gzip's CRC fails); nothing published",
)
def test_a_flipped_byte_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)

    def flip(p):
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0x01
        p.write_bytes(bytes(data))

    _damaged_run(raw, flip)
    err = _refused(capsys, cli, cur, before)
    assert "sha256" in err or "gzip" in err


@probe(
    "raw parts and manifests",
    "A manifest whose item_count lies",
    "exit 1: item_count is not the sum of its parts' rows",
)
def test_a_manifest_that_lies_about_its_count_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    run = write_run(raw, "statsguru", "bad", good_items(), per_part=30)
    m = manifest_of(run)
    m["item_count"] += 5
    (run / "_manifest.json").write_text(json.dumps(m))
    assert cli("--raw-run", "bad", "--run-id", "r2") == 1
    assert "item_count 85 is not the sum of its parts' rows (80)" in capsys.readouterr().err
    assert listing(cur) == before


@probe(
    "raw parts and manifests",
    "A manifest that promises a part fewer rows than it holds",
    "exit 1 naming the part: its lines and the manifest's count differ",
)
def test_a_part_with_other_rows_than_promised_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    run = write_run(raw, "statsguru", "bad", good_items(), per_part=30)
    m = manifest_of(run)
    m["part_items"]["part-00002.jsonl.gz"] -= 2
    m["item_count"] -= 2
    m["items"]["career"] -= 2
    (run / "_manifest.json").write_text(json.dumps(m))
    _refused(capsys, cli, cur, before, "30 lines, the manifest says 28 rows")


@probe(
    "raw parts and manifests", "A manifest listing a part twice", "exit 1: the manifest lists the part twice"
)
def test_a_part_listed_twice_refuses_the_run(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    run = write_run(raw, "statsguru", "bad", good_items(), per_part=30)
    m = manifest_of(run)
    m["parts"].append(m["parts"][0])
    (run / "_manifest.json").write_text(json.dumps(m))
    assert cli("--raw-run", "bad", "--run-id", "r2") == 1
    assert "lists part-00001.jsonl.gz twice" in capsys.readouterr().err
    assert listing(cur) == before


@probe(
    "raw parts and manifests",
    "A manifest without part sizes and hashes (an older crawler)",
    "exit 1: its parts cannot be verified",
)
def test_an_unverifiable_manifest_refuses_the_run(published, capsys):
    raw, cur, cli = published
    run = write_run(raw, "statsguru", "bad", good_items(), per_part=30)
    m = manifest_of(run)
    del m["part_sha256"]
    (run / "_manifest.json").write_text(json.dumps(m))
    assert cli("--raw-run", "bad", "--run-id", "r2") == 1
    assert "has no part_sha256" in capsys.readouterr().err


@probe(
    "raw parts and manifests",
    "A vouched-for part that inflates without bound (a gzip bomb of 600 MB of zeros)",
    "exit 1: bytes without a line break; memory stays bounded (inflated 8 MB at a time)",
)
def test_a_gzip_bomb_part_is_stopped(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    z = gzip.compress(b"\0" * (600 << 20), compresslevel=9)
    run = write_run(raw, "statsguru", "bad", [item(GOOD, pid=1)])
    (run / "part-00001.jsonl.gz").write_bytes(z)
    from cricket_contract.manifest import part_entries, part_info

    m = manifest_of(run)
    m.update(part_entries([part_info("part-00001.jsonl.gz", z, 1)]))
    (run / "_manifest.json").write_text(json.dumps(m))
    assert cli("--raw-run", "bad", "--run-id", "r2") == 1
    assert "without a line break" in capsys.readouterr().err
    assert listing(cur) == before


def _hostile(raw, cur, cli, lines: list, run_id: str = "r2") -> list[dict]:
    """Transform good rows plus `lines` (bytes or items); the run publishes; the rejects it wrote."""
    write_run(raw, "statsguru", "hostile", good_items() + lines, per_part=1000)
    assert cli("--raw-run", "hostile", "--run-id", run_id, "--max-reject-ratio", "0.5") == 0
    return [json.loads(x) for x in attempt_file(cur, "rejects", run_id).read_text().splitlines()]


@probe(
    "transform input",
    "A line nested 50,000 deep (Arrow's JSON reader crashes at that depth)",
    "a `too_deep` reject with its part and line; every other row loads; exit 0",
)
def test_deep_nesting_is_a_reject_not_a_crash(published):
    raw, cur, cli = published
    deep = b'{"record": "career", "cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    (rej,) = _hostile(raw, cur, cli, [deep])
    assert (rej["reason"], rej["line"]) == ("too_deep", 81) and rej["source"].endswith("part-00001.jsonl.gz")
    assert len(read_table(cur, "batting_career")) == 40


@probe(
    "transform input",
    "Nesting 5,000 deep inside `cells`",
    "a `too_deep` reject (no RecursionError); the run goes on",
)
def test_deep_cells_are_a_reject(published):
    raw, cur, cli = published
    line = json.dumps({**item(GOOD, pid=99), "cells": {"Runs": "1"}}).encode()
    line = line.replace(b'{"Runs": "1"}', b'{"Runs": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}")
    (rej,) = _hostile(raw, cur, cli, [line])
    assert (rej["reason"], rej["line"]) == ("too_deep", 81)


@pytest.mark.parametrize(
    ("change", "reason", "detail"),
    [
        ({"player_id": 2**70}, "out_of_range", "player_id=1180591620717411303424 is out of range"),
        ({"cell_HS": "99999999999*"}, "non_numeric", "HS"),
        ({"cell_SR": "100000000000"}, "non_numeric", "SR"),
        ({"cell_Span": "2010-2001"}, "impossible", "span"),
    ],
)
@probe(
    "transform input",
    "Out-of-range numbers: player_id 2**70, HS 99999999999*, SR 1e11, span 2010-2001",
    "each a reject naming reason, part and line (no OverflowError, no int32 cast error); exit 0",
)
def test_out_of_range_values_are_rejects(published, change, reason, detail):
    raw, cur, cli = published
    (rej,) = _hostile(raw, cur, cli, [item(GOOD, pid=99, **change)])
    assert (rej["reason"], rej["detail"], rej["line"]) == (reason, detail, 81)
    assert rej["source"].endswith("run_id=hostile/part-00001.jsonl.gz")


@probe(
    "transform input",
    "An innings of 5,000 runs",
    "an `impossible` reject (beyond any recorded score); exit 0",
)
def test_runs_beyond_any_recorded_score_are_a_reject(published):
    raw, cur, cli = published
    (rej,) = _hostile(raw, cur, cli, [item(INNINGS, pid=99, cell_Runs="5000")])
    assert (rej["reason"], rej["detail"], rej["table"]) == ("impossible", "runs", "batting_innings")


@probe(
    "publishing",
    "A re-run of the published run id that ends with exit 4 (too many rejects)",
    "the published files, their bytes and `_current.json` unchanged; readers see the same rows; "
    "the failed attempt's data deleted, its report and rejects kept",
)
def test_a_failed_rerun_leaves_published_data_as_it_was(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    rows_before = read_table(cur, "batting_innings")
    write_run(raw, "statsguru", "bad", good_items()[:70] + [b"not json"] * 10, per_part=30)
    assert cli("--raw-run", "bad", "--run-id", "r1", "--max-reject-ratio", "0.01") == 4
    assert "NOT published" in capsys.readouterr().out
    after = listing(cur)
    assert {k: v for k, v in after.items() if k in before} == before
    new = sorted(set(after) - set(before))
    assert new and all(
        k.startswith(("_rejects/run_id=r1/attempt=", "_reports/run_id=r1/attempt=")) for k in new
    )
    assert read_table(cur, "batting_innings") == rows_before


@probe(
    "publishing",
    "A finished raw run with 0 rows transformed over a full published run",
    "exit 5, nothing published: the run has no rows at all",
)
def test_a_run_without_rows_is_not_published(published, capsys):
    raw, cur, cli = published
    before = listing(cur)
    write_run(raw, "statsguru", "empty", [])
    assert cli("--raw-run", "empty", "--run-id", "r2") == 5
    assert "the run has no rows at all" in capsys.readouterr().out
    assert {k: v for k, v in listing(cur).items() if k in before} == before
    assert json.loads((cur / "_current.json").read_text())["run_id"] == "r1"


@probe(
    "publishing",
    "A run whose tables hold 30 % fewer rows than the published run",
    "exit 5 naming the tables, nothing published; published with --allow-shrink",
)
def test_a_shrinking_run_needs_allow_shrink(published, capsys):
    raw, cur, cli = published
    write_run(raw, "statsguru", "less", good_items(28), per_part=30)
    assert cli("--raw-run", "less", "--run-id", "r2") == 5
    out = capsys.readouterr().out
    assert "batting_career would fall from 40 to 28 rows (30% fewer)" in out and "batting_innings" in out
    assert json.loads((cur / "_current.json").read_text())["run_id"] == "r1"
    assert cli("--raw-run", "less", "--run-id", "r2", "--allow-shrink") == 0
    assert json.loads((cur / "_current.json").read_text())["run_id"] == "r2"
    assert len(read_table(cur, "batting_career")) == 28


@probe(
    "publishing",
    "A transform under umask 000",
    "curated files 0644 and folders 0755 (explicit modes, not the umask)",
)
def test_curated_files_have_explicit_modes(tmp_path):
    from transform.cli import main

    write_run(tmp_path / "raw", "statsguru", "base", good_items())
    old = os.umask(0)
    try:
        assert (
            main(["run", "--raw", str(tmp_path / "raw"), "--curated", str(tmp_path / "cur"), "--run-id", "m"])
            == 0
        )
    finally:
        os.umask(old)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "cur").rglob("*") if p.is_file()}
    dirs = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "cur").rglob("*") if p.is_dir()}
    assert (modes, dirs) == ({0o644}, {0o755})
