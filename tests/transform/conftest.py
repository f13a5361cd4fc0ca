"""Fixtures of the transformer tests: running a transform in-process over a raw dir."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from transform.flow import Progress
from transform.job import Job
from transform.schemas import PARTITIONED


@pytest.fixture
def transform_run():
    """transform_run(raw, curated, **kw) → Result (progress lines captured, not printed)."""

    def run(raw, curated, run_id="t1", raw_runs=None, max_reject_ratio=0.01, keep=5, **kw):
        progress = Progress(out=io.StringIO())
        job = Job(str(raw), str(curated), raw_runs, run_id, max_reject_ratio, keep, progress, **kw)
        return job.run()

    return run


def attempt_file(curated: Path | str, kind: str, run_id: str) -> Path:
    """The newest attempt's `_rejects/run_id=R/attempt=A/rejects.jsonl` (kind "rejects") or report.json ("reports")."""
    name = "rejects.jsonl" if kind == "rejects" else "report.json"
    attempts = sorted((Path(curated) / f"_{kind}" / f"run_id={run_id}").glob(f"attempt=*/{name}"))
    assert attempts, f"no {kind} for run {run_id} under {curated}"
    return attempts[-1]


def read_table(curated: Path | str, table: str) -> list[dict]:
    """The published rows of a table (what `_current.json` lists), format column included."""
    cur = json.loads((Path(curated) / "_current.json").read_text())
    files = [f.removeprefix("file://") for f in cur["tables"][table]["files"]]
    if not files:
        return []
    base = cur["tables"][table]["location"].removeprefix("file://")
    kw = {"partitioning": "hive", "partition_base_dir": base} if table in PARTITIONED else {}
    return ds.dataset(files, format="parquet", **kw).to_table().to_pylist()
