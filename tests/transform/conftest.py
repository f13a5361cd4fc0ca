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

    def run(raw, curated, run_id="t1", raw_runs=None, max_reject_ratio=0.01, keep=5):
        job = Job(
            str(raw), str(curated), raw_runs, run_id, max_reject_ratio, keep, Progress(out=io.StringIO())
        )
        return job.run()

    return run


def read_table(curated: Path | str, table: str) -> list[dict]:
    """The published rows of a table (what `_current.json` lists), format column included."""
    cur = json.loads((Path(curated) / "_current.json").read_text())
    files = [f.removeprefix("file://") for f in cur["tables"][table]["files"]]
    if not files:
        return []
    base = cur["tables"][table]["location"].removeprefix("file://")
    kw = {"partitioning": "hive", "partition_base_dir": base} if table in PARTITIONED else {}
    return ds.dataset(files, format="parquet", **kw).to_table().to_pylist()
