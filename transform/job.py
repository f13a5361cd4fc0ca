"""`cricket-transform run`: read raw runs → type → stage → dedupe and write → publish `_current.json` last."""

from __future__ import annotations

import collections
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from cricket_contract.layout import check_run_id, default_run_id, rejects_path
from cricket_contract.vocabulary import EXIT_OK, EXIT_TOO_MANY_REJECTS
from cricket_storage import Location
from transform.dq import DQ
from transform.flow import Progress, prefetch
from transform.mapper import Mapper
from transform.players import Players, Profiles
from transform.publish import publish, remove_stale, summarize
from transform.read import read_parts
from transform.rejects import Rejects
from transform.runs import RawRun, bucket_count, discover_runs
from transform.stage import Stage
from transform.write import TableWriter

PARSE_WORKERS = 2


@dataclass
class Result:
    run_id: str
    exit_code: int
    report: dict
    published: bool
    summary: str = ""
    tables: dict = field(default_factory=dict)


def _stage_all(stage: Stage, typed: dict[str, pa.Table]) -> None:
    for table, tb in typed.items():
        stage.add(table, tb)


class Job:
    def __init__(
        self,
        raw: str,
        curated: str,
        raw_runs: list[str] | None,
        run_id: str | None,
        max_reject_ratio: float = 0.01,
        keep: int = 5,
        progress: Progress | None = None,
    ) -> None:
        if not 0 <= max_reject_ratio <= 1:
            raise ValueError("--max-reject-ratio must be between 0 and 1")
        if keep < 1:
            raise ValueError("--keep must be at least 1")
        self.raw_uri, self.curated_uri = raw, curated
        self.raw, self.curated = Location.parse(raw), Location.parse(curated)
        self.raw_run_ids = raw_runs or None
        self.run_id = check_run_id(run_id or default_run_id())
        self.max_reject_ratio, self.keep = max_reject_ratio, keep
        self.progress = progress or Progress()
        self.rejects = Rejects()
        self.dq = DQ()
        self.mapper = Mapper(self.rejects, self.dq)
        self.profiles = Profiles(self.rejects)
        self.lines = 0

    def read(self, runs: list[RawRun], stage: Stage) -> None:
        """Read every part, type each block and stage it by table and bucket."""
        parts = [p for r in runs for p in r.parts]
        t0 = time.monotonic()
        done = [0]

        def on_part(n: int) -> None:
            done[0] = n

        # Reading (gunzip + Arrow's JSON parser) runs ahead of typing on other threads: parsing is the longest
        # step (~3 CPU-s a million rows against ~1.7 for typing and staging), so two blocks parse at once. All
        # three spend their time in Arrow kernels or zlib, which release the GIL.
        reader = read_parts(parts, self.rejects, on_part, workers=PARSE_WORKERS)
        # Staging (bucket split + IPC write) of block N runs on its own thread while block N+1 is typed; one
        # thread keeps the staged files in the same order, and typing N+2 waits until N is staged: memory stays flat.
        staged: collections.deque[Future] = collections.deque()
        with ThreadPoolExecutor(1, thread_name_prefix="stage") as stager:
            try:
                for block in prefetch(reader, depth=1):
                    self.lines += block.lines
                    for item in block.profiles:
                        self.profiles.add(item)
                    if block.table is not None and block.table.num_rows:
                        typed = self.mapper.map(block.table)
                        staged.append(stager.submit(_stage_all, stage, typed))
                        while len(staged) > 1 or (staged and staged[0].done()):
                            staged.popleft().result()
                    rate = self.lines / max(time.monotonic() - t0, 1e-9)
                    self.progress.tick(
                        f"read {self.lines:,} rows ({rate:,.0f} rows/s), parts {done[0]}/{len(parts)}, "
                        f"rejects {self.rejects.count:,}"
                    )
                while staged:
                    staged.popleft().result()
            finally:
                for f in staged:
                    f.cancel()
        self.progress.tick(
            f"read {self.lines:,} rows from {len(parts)} parts, rejects {self.rejects.count:,}", True
        )

    def run(self) -> Result:
        t0 = time.monotonic()
        runs = discover_runs(self.raw, self.raw_run_ids)
        if not runs:
            raise FileNotFoundError(f"no finished raw runs (with _manifest.json) under {self.raw}")
        self.progress.tick(
            "raw runs: " + ", ".join(f"{r.spider}/{r.run_id} ({len(r.parts)} parts)" for r in runs), True
        )
        stage = Stage(bucket_count(runs))
        try:
            self.read(runs, stage)
            stage.finish_writes()
            writer = TableWriter(
                self.curated, self.run_id, Players(stage, self.profiles), self.dq, self.rejects, self.progress
            )
            tables = writer.write(stage)
        finally:
            stage.cleanup()
        remove_stale(self.curated, self.run_id, tables)
        ratio = self.rejects.count / self.lines if self.lines else 0.0
        over = ratio > self.max_reject_ratio
        rejects_loc = self.curated.child(rejects_path(self.run_id))
        rejects_loc.write_bytes(self.rejects.data())
        report = {
            "run_id": self.run_id,
            "published_at": None,
            "status": "rejected: too many rejects" if over else "published",
            "raw_runs": [r.describe() for r in runs],
            "rows_read": self.lines,
            "rejects": self.rejects.count,
            "reject_ratio": ratio,
            "max_reject_ratio": self.max_reject_ratio,
            "rejects_location": rejects_loc.uri,
            "rejects_summary": self.rejects.summary(),
            "tables": tables,
            "dq": self.dq.summary(),
            "stats": {
                "duplicates_dropped": writer.duplicates_dropped,
                "duplicate_conflicts": writer.duplicate_conflicts,
                "blank_rows_skipped": self.mapper.skipped_blank,
                "seconds": round(time.monotonic() - t0, 3),
            },
        }
        published = publish(self.curated, report, self.keep, publish_it=not over)
        self.rejects.close()
        res = Result(
            self.run_id, EXIT_TOO_MANY_REJECTS if over else EXIT_OK, report, published, tables=tables
        )
        res.summary = summarize(report, published, self.curated)
        return res
