"""Deduped staged buckets → zstd Parquet parts per table and format, each part visible whole, DQ checks on the way."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cricket_contract.layout import NO_FORMAT, CuratedPartName, attempt_path, partition_path
from cricket_contract.teams import teams
from cricket_contract.vocabulary import INNINGS_SOURCES, SOURCE_STATSGURU
from cricket_storage import FILE_MODE, Location
from transform import checks
from transform.dedupe import dedupe_filled
from transform.dq import DQ
from transform.flow import Progress, prefetch
from transform.players import Players
from transform.reconcile import Reconciler
from transform.rejects import Rejects
from transform.schemas import CRICSHEET, NATURAL_KEYS, PARTITIONED, SOURCED, TABLES, curated_schema
from transform.stage import Stage

PART_ROWS = 2_000_000
# The tables of the results lists, player pages and profiles; Cricsheet's come from transform/cricsheet.py.
STAGED_TABLES = tuple(t for t in TABLES if t not in CRICSHEET)
ROW_GROUP_ROWS = 256_000


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


def with_sources(table: str, meta: dict, source: str) -> dict:
    """`meta` of rows of one `source` with its `sources` entry (every source named, the others empty) when the
    table holds more than one source's rows."""
    if table not in SOURCED:
        return meta
    empty = {"rows": 0, "partitions": {}} if table in PARTITIONED else {"rows": 0}
    own = {k: meta[k] for k in empty}
    return {**meta, "sources": {s: own if s == source else dict(empty) for s in INNINGS_SOURCES}}


def _counts(a: dict, b: dict) -> dict:
    """`rows` (and `partitions`, format by format) of two metas of one table added up."""
    out = {"rows": a["rows"] + b["rows"]}
    if "partitions" in a:
        parts = dict(a["partitions"])
        for fmt, n in b["partitions"].items():
            parts[fmt] = parts.get(fmt, 0) + n
        out["partitions"] = parts
    return out


def merge_sources(tables: dict, other: dict) -> dict:
    """`tables` with `other`'s metas added: a table both wrote (an innings table, one source each) lists the
    files, rows and partitions of both, and each source's own counts under `sources`."""
    out = dict(tables)
    for table, meta in other.items():
        mine = out.get(table)
        if mine is None:
            out[table] = meta
            continue
        out[table] = {**mine, "files": mine["files"] + meta["files"], **_counts(mine, meta)}
        if table in SOURCED:
            out[table]["sources"] = {
                src: _counts(mine["sources"][src], meta["sources"][src]) for src in INNINGS_SOURCES
            }
    return out


class PartWriter:
    """Parquet (zstd) parts of one partition; each part becomes visible whole (rename locally, S3 PUT on close)."""

    def __init__(self, directory: Location, schema: pa.Schema, *, source: str = "") -> None:
        self.dir, self.schema, self.source = directory, schema, source
        self.files: list[str] = []
        self.rows = 0
        self._w = self._sink = None
        self._part_rows = 0
        self._final: Location | None = None
        self._tmp: str | None = None

    def _open(self) -> None:
        self._final = self.dir.child(CuratedPartName(len(self.files), self.source).name())
        fs, path = self._final.arrow()
        if self.dir.is_local:
            self.dir.makedirs()
            self._tmp = f"{path}.tmp-{uuid.uuid4().hex}"
            self._sink = fs.open_output_stream(self._tmp)
        else:
            self._sink = fs.open_output_stream(path)
        self._w = pq.ParquetWriter(self._sink, self.schema, compression="zstd")
        self._part_rows = 0

    def write(self, tb: pa.Table) -> None:
        if not tb.num_rows:
            return
        if self._w is None:
            self._open()
        self._w.write_table(tb.select(self.schema.names).cast(self.schema), row_group_size=ROW_GROUP_ROWS)
        self.rows += tb.num_rows
        self._part_rows += tb.num_rows
        if self._part_rows >= PART_ROWS:
            self._close_part()

    def _close_part(self) -> None:
        self._w.close()
        self._sink.close()
        if self.dir.is_local:
            os.chmod(self._tmp, FILE_MODE)
            os.replace(self._tmp, self._final.path)
        self.files.append(self._final.uri)
        self._w = self._sink = None

    def close(self) -> list[str]:
        if self._w is not None:
            self._close_part()
        return self.files


class TableWriter:
    """Writes every curated table of a run from the stage: dedupe per bucket, DQ checks, Parquet by format."""

    def __init__(
        self,
        curated: Location,
        run_id: str,
        attempt: str,
        players: Players,
        dq: DQ,
        rejects: Rejects,
        progress: Progress,
    ) -> None:
        self.curated, self.run_id, self.attempt, self.players = curated, run_id, attempt, players
        self.dq, self.rejects, self.progress = dq, rejects, progress
        self.duplicates_dropped = 0
        self.duplicate_conflicts = 0
        self.reconciler = Reconciler()
        self.reconciliation: dict = {}

    def location(self, table: str) -> Location:
        return self.curated.child(attempt_path(table, self.run_id, self.attempt))

    def write(self, stage: Stage) -> dict:
        """{table: {location, files, rows[, partitions]}} of what was written."""

        def deduped() -> Iterator[tuple[str, pa.Table, pa.Array, pa.Array, int]]:
            for table in STAGED_TABLES:
                keys = dedupe_keys(table)
                for p in stage.buckets_of(table) if table not in ("players", "teams") else ():
                    tb = Stage.read(p)
                    yield (p, *dedupe_filled(tb, keys))

        # Reading a staged bucket and sorting it run on another thread, a bucket ahead of the Parquet writer:
        # both are Arrow kernels that release the GIL.
        ready = prefetch(deduped(), depth=1)
        try:
            out = {}
            for table in STAGED_TABLES:
                if table == "players":
                    out[table] = self._players()
                elif table == "teams":
                    out[table] = self._teams()
                else:
                    out[table] = self._table(table, stage, ready)
                meta = out[table]
                self.progress.tick(
                    f"wrote {table}: {meta['rows']:,} rows in {len(meta['files'])} files", True
                )
            self.reconciliation = self.reconciler.finish(self.dq)
            return out
        finally:
            ready.close()

    @staticmethod
    def verify(tables: dict) -> None:
        """Every written file is where it should be and holds the rows counted for it (its Parquet footer says)."""
        for table, meta in tables.items():
            stored = 0
            for uri in meta["files"]:
                fs, path = Location.parse(uri).arrow()
                try:
                    stored += pq.read_metadata(fs.open_input_file(path)).num_rows
                except (OSError, pa.ArrowInvalid) as exc:
                    raise OSError(f"{table}: written file {uri} cannot be read back: {exc}") from exc
            if stored != meta["rows"]:
                raise OSError(f"{table}: {meta['rows']} rows were written but the stored files hold {stored}")

    def _players(self) -> dict:
        tb = self.players.table()
        checks.run(self.dq, "players", tb, profiles=self.players.has_profiles)
        w = PartWriter(self.location("players"), file_schema("players"))
        w.write(tb)
        return {"location": self.location("players").uri + "/", "files": w.close(), "rows": w.rows}

    def _teams(self) -> dict:
        """The team dimension from cricket_contract/teams.csv, written whole by every run."""
        rows = [
            {
                "team_id": t.team_id,
                "name": t.name,
                "gender": t.gender,
                "kind": t.kind,
                "nation": t.nation,
                "player_codes": list(t.player_codes),
                "opposition": list(t.opposition),
                "statsguru_id": t.statsguru_id,
                "espn_country_id": t.espn_country_id,
                "run_id": self.run_id,
            }
            for t in teams()
        ]
        loc = self.location("teams")
        w = PartWriter(loc, file_schema("teams"))
        w.write(pa.Table.from_pylist(rows, schema=curated_schema("teams")))
        return {"location": loc.uri + "/", "files": w.close(), "rows": w.rows}

    def _table(self, table: str, stage: Stage, ready: Iterator) -> dict:
        # Buckets come in one by one, each holding every format; a format's findings and conflicts are kept
        # apart and taken in format by format below, in the order a format-major pass gives them.
        loc = self.location(table)
        writers: dict[str, PartWriter] = {}
        found: dict[str, DQ] = {}
        lost: dict[str, list[pa.Table]] = {}
        for p in stage.buckets_of(table):
            staged, tb, win, conflicts, dropped = next(ready)
            assert staged == p, (staged, p)
            self.duplicates_dropped += dropped
            for fmt, part in by_format(table, tb, conflicts):
                lost.setdefault(fmt, []).append(part)
            for fmt, part in by_format(table, tb, win):
                if fmt not in writers:
                    writers[fmt] = PartWriter(loc.child(partition_path(fmt)), file_schema(table))
                    found[fmt] = DQ()
                part = self.players.fill_names(part)
                checks.run(found[fmt], table, part)
                self.reconciler.add(table, fmt, part)
                writers[fmt].write(part)
        files: list[str] = []
        partitions: dict[str, int] = {}
        rows = 0
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
        meta = {"location": loc.uri + "/", "files": files, "rows": rows}
        if table in PARTITIONED:
            meta["partitions"] = partitions
        return with_sources(table, meta, SOURCE_STATSGURU)

    def _conflicts(self, table: str, conflicts: pa.Table) -> None:
        if not conflicts.num_rows:
            return
        self.duplicate_conflicts += conflicts.num_rows
        for row in conflicts.drop_columns(["_seq"]).to_pylist():
            self.rejects.add(
                "duplicate_conflict",
                f"same {NATURAL_KEYS[table]} and scraped_at, other values",
                raw=row,
                table=table,
                source=row.get("source_url"),
            )
