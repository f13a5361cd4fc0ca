"""Local staging of typed rows, hash-bucketed by player so the dedupe stage holds one bucket at a time."""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transform.schemas import FORMAT_BY_CLASS, PARTITIONED

FORMATS = tuple(FORMAT_BY_CLASS.values())
NO_FORMAT = "_"


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Stage:
    """Arrow IPC stream files under a temp dir: one per (table, format, bucket)."""

    def __init__(self, buckets: int) -> None:
        _raise_nofile()
        self.buckets = buckets
        self.dir = tempfile.mkdtemp(prefix="cricket-stage-")
        self._writers: dict[tuple[str, str, int], tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self.rows: dict[str, int] = {}

    def _writer(self, table: str, fmt: str, bucket: int, schema: pa.Schema):
        key = (table, fmt, bucket)
        w = self._writers.get(key)
        if w is None:
            path = os.path.join(self.dir, f"{table}.{fmt}.{bucket:03d}.arrows")
            sink = pa.OSFile(path, "wb")
            w = (sink, pa.ipc.new_stream(sink, schema))
            self._writers[key] = w
        return w[1]

    def add(self, table: str, tb: pa.Table) -> None:
        if not tb.num_rows:
            return
        self.rows[table] = self.rows.get(table, 0) + tb.num_rows
        b = self.buckets
        bucket = tb.column("player_id").to_numpy() % b if b > 1 else np.zeros(tb.num_rows, dtype=np.int64)
        if table in PARTITIONED:
            code = pc.index_in(tb.column("format"), value_set=pa.array(FORMATS)).to_numpy(
                zero_copy_only=False
            )
        else:
            code = np.zeros(tb.num_rows, dtype=np.int64)
        gid = code.astype(np.int64) * b + bucket
        order = np.argsort(gid, kind="stable")
        gs = gid[order]
        cuts = np.flatnonzero(np.diff(gs)) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(gs)]])
        tb = tb.take(pa.array(order))
        for s, e in zip(starts, ends, strict=True):
            g = int(gs[s])
            fmt = FORMATS[g // b] if table in PARTITIONED else NO_FORMAT
            w = self._writer(table, fmt, g % b, tb.schema)
            for batch in tb.slice(int(s), int(e - s)).to_batches():
                w.write_batch(batch)

    def finish_writes(self) -> None:
        for sink, w in self._writers.values():
            w.close()
            sink.close()

    def partitions(self, table: str) -> dict[str, list[str]]:
        """format (or "_") → staged files of that partition, bucket by bucket."""
        out: dict[str, list[str]] = {}
        for (t, fmt, bucket), _ in sorted(self._writers.items()):
            if t == table:
                out.setdefault(fmt, []).append(os.path.join(self.dir, f"{t}.{fmt}.{bucket:03d}.arrows"))
        return out

    @staticmethod
    def read(path: str) -> pa.Table:
        with pa.memory_map(path) as src:
            return pa.ipc.open_stream(src).read_all()

    def iter_tables(self, table: str) -> Iterator[tuple[str, pa.Table]]:
        for fmt, paths in self.partitions(table).items():
            for p in paths:
                yield fmt, self.read(p)

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
