"""`cricket-transform run`: read raw runs → type → stage → dedupe and write → publish `_current.json` last."""

from __future__ import annotations

import collections
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from cricket_contract.layout import AttemptDir, check_run_id, default_run_id, rejects_path
from cricket_contract.vocabulary import EXIT_OK, EXIT_SHRINK, EXIT_TOO_MANY_REJECTS
from cricket_storage import Location
from cricket_storage.rawruns import RawRun, discover_runs, read_state, snapshot_runs, state_location
from transform.cricsheet import SPIDER as CRICSHEET_SPIDER
from transform.cricsheet import CricsheetWriter, reconcile
from transform.cricsheet import cricsheet_runs as all_cricsheet_runs
from transform.dq import DQ
from transform.flow import Progress, prefetch
from transform.mapper import Mapper
from transform.players import Players, Profiles
from transform.publish import current, discard_attempt, publish, shrink_problems, summarize
from transform.read import read_parts
from transform.rejects import Rejects
from transform.report.crawl import crawl_health
from transform.stage import Stage, bucket_count
from transform.write import TableWriter, merge_sources

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


def cricsheet_runs(raw: Location, run_ids: list[str] | None) -> list:
    """Every finished cricsheet run under `raw`, newest first, whatever `--raw-run` names: each run holds only
    what changed since the one before (an unchanged archive is a 304), so Cricsheet's tables are their union."""
    return all_cricsheet_runs(raw)


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
        *,
        max_row_drop: float = 0.2,
        allow_shrink: bool = False,
    ) -> None:
        if not 0 <= max_reject_ratio <= 1:
            raise ValueError("--max-reject-ratio must be between 0 and 1")
        if not 0 <= max_row_drop <= 1:
            raise ValueError("--max-row-drop must be between 0 and 1")
        if keep < 1:
            raise ValueError("--keep must be at least 1")
        self.raw_uri, self.curated_uri = raw, curated
        self.raw, self.curated = Location.parse(raw), Location.parse(curated)
        self.raw_run_ids = raw_runs or None
        self.run_id = check_run_id(run_id or default_run_id())
        self.max_reject_ratio, self.keep = max_reject_ratio, keep
        self.max_row_drop, self.allow_shrink = max_row_drop, allow_shrink
        self.attempt = AttemptDir.new().attempt  # this run's own files: never any earlier attempt's
        self.progress = progress or Progress()
        self.rejects = Rejects()
        self.dq = DQ()
        self.mapper = Mapper(self.rejects, self.dq)
        self.profiles = Profiles(self.rejects)
        self.lines = 0

    def raw_runs(self) -> tuple[list[RawRun], dict | None]:
        """The runs to read and what the refresh state said of them: the runs named by `--raw-run`; else the
        snapshot `{raw}/_state/refresh.json` names (the latest full runs and every delta since), when a refresh
        wrote one; else the newest finished run per (spider, arguments)."""
        state = None if self.raw_run_ids else read_state(self.raw)
        if state is None:
            return discover_runs(self.raw, self.raw_run_ids), None
        runs = snapshot_runs(self.raw, state)
        return runs, {
            "state": state_location(self.raw).uri,
            "watermark": state.watermark.isoformat() if state.watermark else None,
            "last_full": state.last_full,
            "snapshot_runs": len(runs),
        }

    def read(self, runs: list[RawRun], stage: Stage) -> None:
        """Read every part, type each block and stage it by table and bucket."""
        parts = [p for r in runs for p in r.parts]
        verify = {uri: info for r in runs for uri, info in r.verify.items()}
        t0 = time.monotonic()
        done = [0]

        def on_part(n: int) -> None:
            done[0] = n

        # Reading (gunzip + Arrow's JSON parser) runs ahead of typing on other threads: parsing is the longest
        # step (~3 CPU-s a million rows against ~1.7 for typing and staging), so two blocks parse at once. All
        # three spend their time in Arrow kernels or zlib, which release the GIL.
        reader = read_parts(parts, self.rejects, on_part, workers=PARSE_WORKERS, verify=verify)
        # Staging (bucket split + IPC write) of block N runs on its own thread while block N+1 is typed; one
        # thread keeps the staged files in the same order, and typing N+2 waits until N is staged: memory stays flat.
        staged: collections.deque[Future] = collections.deque()
        with ThreadPoolExecutor(1, thread_name_prefix="stage") as stager:
            try:
                for block in prefetch(reader, depth=1):
                    self.lines += block.lines
                    for item in block.profiles:
                        self.profiles.add(item)
                    for header, (n, url) in block.unknown_headers.items():
                        # a header the column map does not know: its cells stay in raw, the run reports it
                        self.dq.count(
                            "raw", f"unknown_header:{header}", n, {"header": header, "source_url": url}
                        )
                    if block.table is not None and block.table.num_rows:
                        typed = self.mapper.map(block.table, block.origin)
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
        runs, refresh = self.raw_runs()
        # Cricsheet's runs are incremental (an unchanged archive adds nothing): every finished one is read, by
        # their own reader (transform/cricsheet.py), never by the results-list reader.
        cs_runs = cricsheet_runs(self.raw, self.raw_run_ids)
        runs = [r for r in runs if r.spider != CRICSHEET_SPIDER] + cs_runs
        if not runs:
            raise FileNotFoundError(f"no finished raw runs (with _manifest.json) under {self.raw}")
        self.progress.tick(
            "raw runs: " + ", ".join(f"{r.spider}/{r.run_id} ({len(r.parts)} parts)" for r in runs), True
        )
        stage = Stage(bucket_count(runs))
        try:
            self.read([r for r in runs if r.spider != CRICSHEET_SPIDER], stage)
            stage.finish_writes()
            players = Players(stage, self.profiles)
            writer = TableWriter(
                self.curated, self.run_id, self.attempt, players, self.dq, self.rejects, self.progress
            )
            tables = writer.write(stage)
            # every run publishes every table: Cricsheet's are empty when no cricsheet run was read. Its innings
            # from the deliveries go into the innings tables beside Statsguru's (`source` tells them apart),
            # after the careers were reconciled with Statsguru's innings alone (TableWriter.reconciler).
            cs = CricsheetWriter(
                self.curated, self.run_id, self.attempt, self.dq, self.rejects, self.progress
            )
            tables = merge_sources(tables, cs.write(cs_runs))
            tables.update(reconcile(cs, tables))
            writer.verify(tables)
        except BaseException:
            discard_attempt(self.curated, self.run_id, self.attempt)  # nothing may point at half an attempt
            raise
        finally:
            stage.cleanup()
        ratio = self.rejects.count / self.lines if self.lines else 0.0
        over = ratio > self.max_reject_ratio
        refused = (
            [] if self.allow_shrink else shrink_problems(current(self.curated), tables, self.max_row_drop)
        )
        if over:
            status, code = "rejected: too many rejects", EXIT_TOO_MANY_REJECTS
        elif refused:
            status, code = (
                "refused: it would shrink the published tables (--allow-shrink to publish)",
                EXIT_SHRINK,
            )
        else:
            status, code = "published", EXIT_OK
        rejects_loc = self.curated.child(rejects_path(self.run_id, self.attempt))
        rejects_loc.write_bytes(self.rejects.data())
        report = {
            "run_id": self.run_id,
            "attempt": self.attempt,
            "published_at": None,
            "status": status,
            "refused": refused,
            "raw_runs": [r.describe() for r in runs],
            # each raw run's crawl health from its manifest, for the run report (transform/report/)
            "crawl": [crawl_health(r.manifest, r.location.uri) for r in runs],
            "refresh": refresh,
            "rows_read": self.lines,
            "rejects": self.rejects.count,
            "reject_ratio": ratio,
            "max_reject_ratio": self.max_reject_ratio,
            "rejects_location": rejects_loc.uri,
            "rejects_summary": self.rejects.summary(),
            "tables": tables,
            "dq": self.dq.summary(),
            # careers against the innings they were computed from (transform/reconcile.py): a missed innings
            "reconciliation": writer.reconciliation,
            "stats": {
                "duplicates_dropped": writer.duplicates_dropped,
                "duplicate_conflicts": writer.duplicate_conflicts,
                "blank_rows_skipped": self.mapper.skipped_blank,
                "seconds": round(time.monotonic() - t0, 3),
            },
        }
        published = publish(self.curated, report, self.keep, publish_it=code == EXIT_OK)
        if not published:
            discard_attempt(self.curated, self.run_id, self.attempt)
        self.rejects.close()
        res = Result(self.run_id, code, report, published, tables=tables)
        res.summary = summarize(report, published, self.curated)
        return res
