"""Fixtures of the fault suite: a published curated run over a small raw run, and the transformer's CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.transform.rawgen import write_run
from tests.transform.test_rejects import GOOD, INNINGS, item


def listing(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes (to prove nothing published changed)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def good_items(n: int = 40) -> list[dict]:
    return [item(GOOD, pid=i) for i in range(1, n + 1)] + [item(INNINGS, pid=i) for i in range(1, n + 1)]


@pytest.fixture
def published(tmp_path):
    """(raw, curated, cli) after one good run `base` was transformed and published as curated run `r1`."""
    from transform.cli import main

    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "base", good_items(), per_part=30)

    def cli(*args: str) -> int:
        return main(["run", "--raw", str(raw), "--curated", str(cur), *args])

    assert cli("--raw-run", "base", "--run-id", "r1") == 0
    return raw, cur, cli


def manifest_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "_manifest.json").read_text())
