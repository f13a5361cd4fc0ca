"""`cricket-transform run`: raw runs → staged typed rows → deduped Parquet → report → `_current.json` last."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transform import checks
from transform.dedupe import dedupe, dedupe_order
from transform.dq import DQ
from transform.mapping import PLAYER_CELLS_SCHEMA, Mapper
from transform.raw import RawRun, bucket_count, discover_runs, read_parts
from transform.rejects import Rejects
from transform.schemas import NATURAL_KEYS, PARTITIONED, TABLES, curated_schema
from transform.stage import NO_FORMAT, Stage
from transform.storage import Location, resolve

PART_ROWS = 2_000_000
PARSE_WORKERS = 2
EXIT_REJECTS = 4


POOL_DECAY_MS = 1000


def lean_memory_pool() -> None:
    """jemalloc returning freed pages after a second: RSS follows the blocks of that second, not the peak so far."""
    try:
        # Not 0: returning pages at once made every new block fault its memory in again, which cost a third
        # of the run in system time; one second keeps RSS steady over a run of any length.
        pa.jemalloc_set_decay_ms(POOL_DECAY_MS)
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass  # a pyarrow build without jemalloc keeps its default pool


def default_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def file_schema(table: str) -> pa.Schema:
    """What a Parquet file holds: the curated schema without the Hive partition column."""
    sch = curated_schema(table)
    return sch.remove(sch.get_field_index("format")) if table in PARTITIONED else sch


def dedupe_keys(table: str) -> tuple[str, ...]:
    """The natural key, format first where a table is partitioned: a sorted bucket is then format by format."""
    keys = NATURAL_KEYS[table]
    return ("format", *(k for k in keys if k != "format")) if table in PARTITIONED else keys


def by_format(table: str, tb: pa.Table, idx: pa.Array) -> Iterator[tuple[str, pa.Table]]:
    """(format, rows) of the rows at `idx`, sorted format first; one `NO_FORMAT` part for an unpartitioned table."""
    n = len(idx)
    if not n:
        return
    if table not in PARTITIONED:
        yield NO_FORMAT, tb.take(idx)
        return
    col = tb.column("format").take(idx).combine_chunks()
    changed = pc.fill_null(pc.not_equal(col.slice(1), col.slice(0, n - 1)), True)
    starts = np.concatenate([[0], np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1, [n]])
    # one format's rows at a time: never a sorted copy of the whole bucket
    for s, e in itertools.pairwise(starts.tolist()):
        yield col[s].as_py(), tb.take(idx.slice(s, e - s))


def _stage_all(stage: Stage, typed: dict[str, pa.Table]) -> None:
    for table, tb in typed.items():
        stage.add(table, tb)


def table_location(curated: Location, table: str, run_id: str) -> Location:
    return curated.child(table, f"run_id={run_id}")


def prefetch(it: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator on a background thread, `depth` items ahead; its exceptions re-raise here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for x in it:
                if stop.is_set():
                    return
                q.put((x, None))
            q.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put((done, exc))

    t = threading.Thread(target=produce, name="raw-reader", daemon=True)
    t.start()
    try:
        while True:
            x, exc = q.get()
            if x is done:
                if exc is not None:
                    raise exc
                return
            yield x
    finally:
        stop.set()
        while t.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                t.join(0.05)


class Progress:
    """A progress line on stderr every few seconds."""

    def __init__(self, out=sys.stderr, every: float = 3.0) -> None:
        self.out, self.every, self.t0, self.last = out, every, time.monotonic(), 0.0

    def tick(self, msg: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            print(f"[{now - self.t0:7.1f}s] {msg}", file=self.out, flush=True)


@dataclass
class Result:
    run_id: str
    exit_code: int
    report: dict
    published: bool
    summary: str = ""
    tables: dict = field(default_factory=dict)


class PartWriter:
    """Parquet (zstd) parts of one partition; each part becomes visible whole (rename locally, S3 PUT on close)."""

    def __init__(self, directory: Location, schema: pa.Schema) -> None:
        self.dir, self.schema = directory, schema
        self.files: list[str] = []
        self.rows = 0
        self._w = self._sink = None
        self._part_rows = 0
        self._tmp = self._final = None

    def _open(self) -> None:
        self._final = self.dir.child(f"part-{len(self.files):05d}.parquet")
        if self.dir.is_local:
            self.dir.makedirs()
            self._tmp = f"{self._final.path}.tmp-{uuid.uuid4().hex}"
            self._sink = self.dir.fs.open_output_stream(self._tmp)
        else:
            self._sink = self.dir.fs.open_output_stream(self._final.path)
        self._w = pq.ParquetWriter(self._sink, self.schema, compression="zstd")
        self._part_rows = 0

    def write(self, tb: pa.Table) -> None:
        if not tb.num_rows:
            return
        if self._w is None:
            self._open()
        self._w.write_table(tb.select(self.schema.names).cast(self.schema), row_group_size=256_000)
        self.rows += tb.num_rows
        self._part_rows += tb.num_rows
        if self._part_rows >= PART_ROWS:
            self._close_part()

    def _close_part(self) -> None:
        self._w.close()
        self._sink.close()
        if self.dir.is_local:
            os.replace(self._tmp, self._final.path)
        self.files.append(self._final.uri())
        self._w = self._sink = None

    def close(self) -> list[str]:
        if self._w is not None:
            self._close_part()
        return self.files


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
        self.raw, self.curated = resolve(raw), resolve(curated)
        self.raw_run_ids = raw_runs or None
        self.run_id = run_id or default_run_id()
        if "/" in self.run_id or not self.run_id.strip():
            raise ValueError(f"bad run id {self.run_id!r}")
        self.max_reject_ratio, self.keep = max_reject_ratio, keep
        self.progress = progress or Progress()
        self.rejects = Rejects()
        self.dq = DQ()
        self.mapper = Mapper(self.rejects, self.dq)
        self.profiles: dict[int, dict] = {}
        self.lines = 0
        self.stats: dict[str, int] = {"duplicates_dropped": 0, "duplicate_conflicts": 0}

    # -- read + map + stage
    def _profile(self, item: dict) -> None:
        # imported here: it loads the crawler's profile parsers, needed only when a run has profiles
        from transform.profiles import ProfileError, profile_row

        try:
            row = profile_row(item)
        except ProfileError as exc:
            self.rejects.add(exc.reason, str(exc), raw=item, table="players", source=item.get("_source"))
            return
        ts = item.get("scraped_at")
        try:
            when = dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00")) if ts else None
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            self.rejects.add("bad_timestamp", f"scraped_at {ts!r}", raw=item, table="players")
            return
        row.update(run_id=item.get("run_id"), scraped_at=when, source_url=item.get("source_url"))
        old = self.profiles.get(row["player_id"])
        if old is None or (when or dt.datetime.min.replace(tzinfo=dt.timezone.utc)) >= (
            old["scraped_at"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        ):
            self.profiles[row["player_id"]] = row

    def _read(self, runs: list[RawRun], stage: Stage) -> None:
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
                        self._profile(item)
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

    # -- dedupe + write
    def _player_cells(self, stage: Stage) -> pa.Table:
        """Name, teams and country per player from the lists' player cells (latest scrape wins)."""
        # buckets split by player id, so per-bucket winners are the global winners
        wins = [dedupe(tb, ("player_id",))[0] for tb in stage.iter_tables("_player_cells")]
        tb = pa.concat_tables(wins) if wins else PLAYER_CELLS_SCHEMA.empty_table()
        return tb.drop_columns(["_seq"])

    def _profiles_table(self) -> pa.Table:
        return pa.Table.from_pylist(list(self.profiles.values()), schema=curated_schema("players"))

    @staticmethod
    def _lookup(ids: pa.Array, table: pa.Table, column: str) -> pa.Array:
        idx = pc.index_in(ids, value_set=table.column("player_id").combine_chunks())
        return table.column(column).combine_chunks().take(idx)

    def _players_table(self, cells: pa.Table, profiles: pa.Table) -> pa.Table:
        """Profiles joined with what the lists show: the player cell's name and teams win (as on the pages)."""
        ids = pc.unique(
            pa.concat_arrays(
                [
                    cells.column("player_id").combine_chunks(),
                    profiles.column("player_id").combine_chunks().cast(pa.int64()),
                ]
            )
        )
        ids = ids.take(pc.sort_indices(ids))
        sch = curated_schema("players")
        cols = []
        for f in sch:
            if f.name == "player_id":
                cols.append(ids)
                continue
            prof = self._lookup(ids, profiles, f.name)
            if f.name in ("name", "teams", "country"):
                cols.append(pc.coalesce(self._lookup(ids, cells, f.name), prof))
            elif f.name in ("scraped_at", "run_id", "source_url"):
                cols.append(pc.coalesce(prof, self._lookup(ids, cells, f.name)))
            else:
                cols.append(prof)
        return pa.table(cols, schema=sch)

    def _fill_names(self, tb: pa.Table, cells: pa.Table, profiles: pa.Table) -> pa.Table:
        """Player-page rows carry no player cell: name and country come from the lists, else the profile."""
        need = pc.or_(pc.is_null(tb.column("name")), pc.is_null(tb.column("country")))
        if not pc.any(need).as_py():
            return tb
        ids = tb.column("player_id").combine_chunks()
        for col in ("name", "country"):
            filled = pc.coalesce(
                tb.column(col).combine_chunks(),
                self._lookup(ids, cells, col),
                self._lookup(ids, profiles, col),
            )
            tb = tb.set_column(tb.column_names.index(col), col, filled)
        return tb

    def _write_tables(self, stage: Stage) -> dict:
        cells = self._player_cells(stage)
        profiles = self._profiles_table()

        def deduped() -> Iterator[tuple[str, pa.Table, pa.Array, pa.Array, int]]:
            for table in TABLES:
                keys = dedupe_keys(table)
                for p in stage.buckets_of(table) if table != "players" else ():
                    tb = Stage.read(p)
                    yield (p, tb, *dedupe_order(tb, keys))

        # Reading a staged bucket and sorting it run on another thread, a bucket ahead of the Parquet writer:
        # both are Arrow kernels that release the GIL.
        ready = prefetch(deduped(), depth=1)
        try:
            return self._write_deduped(stage, ready, cells, profiles)
        finally:
            ready.close()

    def _write_deduped(self, stage: Stage, ready: Iterator, cells: pa.Table, profiles: pa.Table) -> dict:
        out: dict[str, dict] = {}
        for table in TABLES:
            loc = table_location(self.curated, table, self.run_id)
            files: list[str] = []
            partitions: dict[str, int] = {}
            rows = 0
            if table == "players":
                tb = self._players_table(cells, profiles)
                checks.run(self.dq, table, tb, profiles=profiles.num_rows > 0)
                w = PartWriter(loc, file_schema(table))
                w.write(tb)
                files += w.close()
                rows = w.rows
            else:
                # Buckets come in one by one, each holding every format; a format's findings and conflicts are
                # kept apart and taken in format by format below, in the order a format-major pass gives them.
                writers: dict[str, PartWriter] = {}
                found: dict[str, DQ] = {}
                lost: dict[str, list[pa.Table]] = {}
                for p in stage.buckets_of(table):
                    staged, tb, win, conflicts, dropped = next(ready)
                    assert staged == p, (staged, p)
                    self.stats["duplicates_dropped"] += dropped
                    for fmt, part in by_format(table, tb, conflicts):
                        lost.setdefault(fmt, []).append(part)
                    for fmt, part in by_format(table, tb, win):
                        if fmt not in writers:
                            where = loc.child(f"format={fmt}") if fmt != NO_FORMAT else loc
                            writers[fmt], found[fmt] = PartWriter(where, file_schema(table)), DQ()
                        part = self._fill_names(part, cells, profiles)
                        checks.run(found[fmt], table, part)
                        writers[fmt].write(part)
                for fmt in sorted(writers.keys() | lost.keys()):
                    for part in lost.get(fmt, ()):
                        self._conflicts(table, part)
                    if fmt not in writers:
                        continue
                    self.dq.merge(found[fmt])
                    w = writers[fmt]
                    files += w.close()
                    rows += w.rows
                    if fmt != NO_FORMAT:
                        partitions[fmt] = w.rows
            out[table] = {"location": loc.uri() + "/", "files": files, "rows": rows}
            if table in PARTITIONED:
                out[table]["partitions"] = partitions
            self.progress.tick(f"wrote {table}: {rows:,} rows in {len(files)} files", True)
        return out

    def _conflicts(self, table: str, conflicts: pa.Table) -> None:
        if not conflicts.num_rows:
            return
        self.stats["duplicate_conflicts"] += conflicts.num_rows
        for row in conflicts.drop_columns(["_seq"]).to_pylist():
            self.rejects.add(
                "duplicate_conflict",
                f"same {NATURAL_KEYS[table]} and scraped_at, other values",
                raw=row,
                table=table,
                source=row.get("source_url"),
            )

    def _remove_stale(self, tables: dict) -> None:
        """A re-run of the same id replaces its output: files of an earlier attempt not written now go."""
        for table, meta in tables.items():
            keep = set(meta["files"])
            loc = table_location(self.curated, table, self.run_id)
            for info in loc.walk_files():
                if Location(loc.fs, info.path, loc.scheme).uri() not in keep:
                    loc.fs.delete_file(info.path)

    # -- publish
    def _current(self) -> dict | None:
        cur = self.curated.child("_current.json")
        try:
            return json.loads(cur.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None

    def _prune(self, dropped: list[str]) -> None:
        """Delete published runs that fell out of the `--keep` window (never the one just published)."""
        for rid in dropped:
            if rid == self.run_id:
                continue
            for table in TABLES:
                table_location(self.curated, table, rid).delete_tree()
            self.curated.child("_rejects", f"run_id={rid}").delete_tree()
            self.curated.child("_reports", f"run_id={rid}").delete_tree()

    def run(self) -> Result:
        t0 = time.monotonic()
        lean_memory_pool()
        runs = discover_runs(self.raw, self.raw_run_ids)
        if not runs:
            raise FileNotFoundError(f"no finished raw runs (with _manifest.json) under {self.raw}")
        self.progress.tick(
            "raw runs: " + ", ".join(f"{r.spider}/{r.run_id} ({len(r.parts)} parts)" for r in runs), True
        )
        stage = Stage(bucket_count(runs))
        try:
            self._read(runs, stage)
            stage.finish_writes()
            tables = self._write_tables(stage)
        finally:
            stage.cleanup()
        self._remove_stale(tables)
        total = self.lines
        ratio = self.rejects.count / total if total else 0.0
        over = ratio > self.max_reject_ratio
        rejects_loc = self.curated.child("_rejects", f"run_id={self.run_id}", "rejects.jsonl")
        rejects_loc.write_bytes_atomic(self.rejects.data())
        previous = self._current()
        report = {
            "run_id": self.run_id,
            "published_at": None,
            "status": "rejected: too many rejects" if over else "published",
            "raw_runs": [r.describe() for r in runs],
            "rows_read": total,
            "rejects": self.rejects.count,
            "reject_ratio": ratio,
            "max_reject_ratio": self.max_reject_ratio,
            "rejects_location": rejects_loc.uri(),
            "rejects_summary": self.rejects.summary(),
            "tables": tables,
            "dq": self.dq.summary(),
            "stats": {
                **self.stats,
                "blank_rows_skipped": self.mapper.skipped_blank,
                "seconds": round(time.monotonic() - t0, 3),
            },
        }
        published = False
        if not over:
            report["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            history = [self.run_id] + [r for r in (previous or {}).get("history", []) if r != self.run_id]
            report["history"], dropped = history[: self.keep], history[self.keep :]
        report_loc = self.curated.child("_reports", f"run_id={self.run_id}", "report.json")
        report_loc.write_bytes_atomic(json.dumps(report, indent=2, default=str).encode())
        if not over:
            current = {
                k: report[k] for k in ("run_id", "published_at", "tables", "rejects", "rows_read", "history")
            }
            current["dq"] = {"findings": report["dq"]["findings"], "checks": report["dq"]["checks"]}
            current["report"] = report_loc.uri()
            # The publish: every part and the report exist; this one write makes them what readers see.
            self.curated.child("_current.json").write_bytes_atomic(json.dumps(current, indent=2).encode())
            published = True
            self._prune(dropped)
        self.rejects.close()
        res = Result(self.run_id, EXIT_REJECTS if over else 0, report, published, tables=tables)
        res.summary = summarize(report, published, self.curated)
        return res


def summarize(report: dict, published: bool, curated: Location) -> str:
    secs = report["stats"]["seconds"]
    rows = report["rows_read"]
    lines = [
        f"cricket-transform run {report['run_id']}: {rows:,} raw rows from {len(report['raw_runs'])} raw runs "
        f"in {secs:.1f} s ({rows / max(secs, 1e-9):,.0f} rows/s)",
        "",
        f"{'table':<18}{'rows':>12}{'files':>7}",
    ]
    for t, meta in report["tables"].items():
        lines.append(f"{t:<18}{meta['rows']:>12,}{len(meta['files']):>7}")
    rs = report["rejects_summary"]
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(rs["by_reason"].items(), key=lambda x: -x[1])) or "none"
    lines += [
        "",
        f"rejects: {report['rejects']:,} ({report['reject_ratio']:.2%}, limit {report['max_reject_ratio']:.2%})"
        f" — {reasons}",
        f"  → {report['rejects_location']}",
    ]
    dq = report["dq"]
    failing = [
        f"{t}.{c} {v['failed']}" for t, cs in dq["checks"].items() for c, v in cs.items() if v["failed"]
    ]
    lines.append(f"dq findings: {dq['findings']:,}" + (f" — {', '.join(failing[:8])}" if failing else ""))
    st = report["stats"]
    lines.append(
        f"duplicates dropped: {st['duplicates_dropped']:,} (conflicting: {st['duplicate_conflicts']:,})"
    )
    if published:
        lines.append(f"published: {curated.child('_current.json').uri()}")
    else:
        lines.append("NOT published: reject ratio over the limit; readers still see the previous run")
    return "\n".join(lines)
