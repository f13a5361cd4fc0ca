"""Fixtures of the replica tests: the ground truth of the shared 300-player replica, and an lxml fetcher."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import lxml.html
import pytest

REPO = Path(__file__).resolve().parents[2]


def load_truth(out: Path) -> dict[str, list[dict]]:
    return {
        f.stem: [json.loads(line) for line in f.open(encoding="utf-8")] for f in sorted(out.glob("*.jsonl"))
    }


@pytest.fixture(scope="session")
def truth_300(tmp_path_factory) -> dict[str, list[dict]]:
    """`python -m replica truth --players 300 --seed 7`: the truth of the `replica_300` site."""
    out = tmp_path_factory.mktemp("truth300")
    subprocess.run(
        [sys.executable, "-m", "replica", "truth", "--players", "300", "--seed", "7", "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return load_truth(out)


def get_html(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return lxml.html.fromstring(r.read())
