"""Local staging of typed rows, hash-bucketed by player so the dedupe stage holds one bucket at a time."""

from __future__ import annotations

import math
import os
import resource
import shutil
import tempfile
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from cricket_storage.rawruns import RawRun

ROWS_PER_BUCKET = 400_000  # rows of one dedupe bucket of one table: comfortably in memory
GZIP_BYTES_PER_ROW = 45  # a gzipped Statsguru JSON line, for runs whose manifest has no count


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Stage:
    """Arrow IPC stream files under a temp dir: one per (table, bucket), every format of the table in it.

    Not one per format as well: each block would then split into formats × buckets slices, and at many buckets
    those small writes cost more than the rest of staging; the writer splits a deduped bucket by format instead.
    """

    def __init__(self, buckets: int) -> None:
        _raise_nofile()
        self.buckets = buckets
        self.dir = tempfile.mkdtemp(prefix="cricket-stage-")
        self._writers: dict[tuple[str, int], tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self.rows: dict[str, int] = {}

    def _path(self, table: str, bucket: int) -> str:
        return os.path.join(self.dir, f"{table}.{bucket:03d}.arrows")

    def _writer(self, table: str, bucket: int, schema: pa.Schema):
        key = (table, bucket)
        w = self._writers.get(key)
        if w is None:
            sink = pa.OSFile(self._path(table, bucket), "wb")
            w = (sink, pa.ipc.new_stream(sink, schema))
            self._writers[key] = w
        return w[1]

    def add(self, table: str, tb: pa.Table) -> None:
        if not tb.num_rows:
            return
        self.rows[table] = self.rows.get(table, 0) + tb.num_rows
        b = self.buckets
        if b == 1:
            for batch in tb.to_batches():
                self._writer(table, 0, tb.schema).write_batch(batch)
            return
        bucket = tb.column("player_id").to_numpy() % b
        order = np.argsort(bucket, kind="stable")
        gs = bucket[order]
        cuts = np.flatnonzero(np.diff(gs)) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(gs)]])
        tb = tb.take(pa.array(order))
        for s, e in zip(starts, ends, strict=True):
            w = self._writer(table, int(gs[s]), tb.schema)
            for batch in tb.slice(int(s), int(e - s)).to_batches():
                w.write_batch(batch)

    def finish_writes(self) -> None:
        for sink, w in self._writers.values():
            w.close()
            sink.close()

    def buckets_of(self, table: str) -> list[str]:
        """Staged files of `table`, bucket by bucket."""
        return [self._path(t, b) for t, b in sorted(self._writers) if t == table]

    @staticmethod
    def read(path: str) -> pa.Table:
        with pa.memory_map(path) as src:
            return pa.ipc.open_stream(src).read_all()

    def iter_tables(self, table: str) -> Iterator[pa.Table]:
        for p in self.buckets_of(table):
            yield self.read(p)

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def bucket_count(runs: list[RawRun]) -> int:
    """Hash buckets for the dedupe stage, so one bucket of one table fits comfortably in memory."""
    est_rows = 0.0
    for r in runs:
        count = r.manifest.get("item_count")  # the crawler's manifest counts records; else estimate from size
        est_rows += count if isinstance(count, int) else r.bytes / GZIP_BYTES_PER_ROW
    return int(min(32, max(1, math.ceil(est_rows / ROWS_PER_BUCKET))))
