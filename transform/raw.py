"""Raw runs: finding finished runs (those with a _manifest.json) and streaming their parts as Arrow tables."""

from __future__ import annotations

import collections
import json
import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from transform.rejects import Rejects
from transform.storage import Location

# Every header a Statsguru table (results lists in career and innings view, player pages) is known to show.
KNOWN_HEADERS = (
    "Player",
    "Grouping",
    "",
    "Match",
    "Span",
    "Mat",
    "Inns",
    "NO",
    "Runs",
    "HS",
    "Ave",
    "BF",
    "SR",
    "100",
    "50",
    "0",
    "4s",
    "6s",
    "Overs",
    "Mdns",
    "Wkts",
    "BBI",
    "BBM",
    "Econ",
    "4",
    "5",
    "10",
    "Dis",
    "Ct",
    "St",
    "Ct Wk",
    "Ct Fi",
    "MD",
    "D/I",
    "Mins",
    "Pos",
    "Dismissal",
    "Opposition",
    "Ground",
    "Start Date",
)
KNOWN_HEADER_SET = frozenset(KNOWN_HEADERS)
CELLS_TYPE = pa.struct([pa.field(h, pa.string()) for h in KNOWN_HEADERS])

# The raw item as Arrow sees it (contracts §4). Profiles carry free-form JSON and are read in Python.
RAW_SCHEMA = pa.schema(
    [
        ("record", pa.string()),
        ("class", pa.int64()),
        ("type", pa.string()),
        ("view", pa.string()),
        ("player_id", pa.int64()),
        ("player_cell", pa.string()),
        ("cells", CELLS_TYPE),
        ("source_url", pa.string()),
        ("page", pa.int64()),
        ("scraped_at", pa.string()),
        ("run_id", pa.string()),
        ("spider", pa.string()),
        ("caption", pa.string()),
        ("grouping", pa.string()),
        ("section", pa.int64()),
        ("match_id", pa.string()),
        ("match_label", pa.string()),
    ]
)
CELLS_AT = RAW_SCHEMA.get_field_index("cells")
RAW_TOP_SCHEMA = RAW_SCHEMA.remove(CELLS_AT)
_INT_FIELDS = {"class", "player_id", "page", "section"}
TABLE_RECORDS = frozenset({"career", "innings", "player_career"})
MAX_LINE_BYTES = 1 << 20  # a Statsguru row is < 2 KB; a megabyte line is garbage, not data
READ_CHUNK = 256 << 10  # small reads: a truncated gzip stream loses at most this much
BLOCK_BYTES = int(float(os.environ.get("CRICKET_TRANSFORM_BLOCK_MB", "8")) * (1 << 20))


class RawRunError(ValueError):
    """A raw run cannot be used (missing, unfinished, unreadable manifest)."""


@dataclass
class RawRun:
    spider: str
    run_id: str
    location: Location
    manifest: dict
    parts: list[Location] = field(default_factory=list)
    bytes: int = 0

    @property
    def arguments_key(self) -> str:
        return json.dumps(self.manifest.get("arguments") or {}, sort_keys=True, default=str)

    def describe(self) -> dict:
        return {
            "spider": self.spider,
            "run_id": self.run_id,
            "location": self.location.uri(),
            "parts": len(self.parts),
        }


def _load_run(run_dir: Location, spider: str, run_id: str) -> RawRun:
    manifest_loc = run_dir.child("_manifest.json")
    if not manifest_loc.exists():
        raise RawRunError(
            f"raw run {run_dir} has no _manifest.json (unfinished or failed run); it is never read"
        )
    try:
        manifest = json.loads(manifest_loc.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise RawRunError(f"unreadable manifest {manifest_loc}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise RawRunError(f"manifest {manifest_loc} is not a JSON object")
    # Readers trust only what the manifest lists: a part beside it that it does not name belongs to a
    # later attempt under the same run id (killed, blocked or drifted) and is never read.
    listed = manifest.get("parts")
    if not isinstance(listed, list):
        raise RawRunError(f"manifest {manifest_loc} has no list of parts")
    on_disk = {}
    for info in run_dir.listdir():
        on_disk[info.path.rsplit("/", 1)[-1]] = info
    parts, size = [], 0
    for entry in listed:
        ref = entry if isinstance(entry, str) else (entry or {}).get("path") or (entry or {}).get("uri") or ""
        base = str(ref).rsplit("/", 1)[-1]
        if not (base.startswith("part-") and (base.endswith(".jsonl.gz") or base.endswith(".jsonl"))):
            raise RawRunError(f"raw run {run_dir}: manifest lists an unexpected part name {ref!r}")
        info = on_disk.get(base)
        if info is None:
            raise RawRunError(f"raw run {run_dir}: manifest lists {base} but the file is missing")
        parts.append(Location(run_dir.fs, info.path, run_dir.scheme))
        size += info.size or 0
    return RawRun(
        spider=manifest.get("spider") or spider,
        run_id=run_id,
        location=run_dir,
        manifest=manifest,
        parts=parts,
        bytes=size,
    )


def _run_dirs(raw: Location) -> Iterator[tuple[str, str, Location]]:
    for sp in raw.listdir():
        if sp.type.name != "Directory":
            continue
        spider = sp.path.rsplit("/", 1)[-1]
        for rd in Location(raw.fs, sp.path, raw.scheme).listdir():
            name = rd.path.rsplit("/", 1)[-1]
            if rd.type.name == "Directory" and name.startswith("run_id="):
                yield spider, name[len("run_id=") :], Location(raw.fs, rd.path, raw.scheme)


def discover_runs(raw: Location, run_ids: list[str] | None = None) -> list[RawRun]:
    """The raw runs to read: the named ones, or the newest finished run per (spider, arguments)."""
    if run_ids:
        found: list[RawRun] = []
        dirs = list(_run_dirs(raw))
        for rid in run_ids:
            matches = [(sp, d) for sp, r, d in dirs if r == rid]
            if not matches:
                raise RawRunError(f"no raw run with id {rid!r} under {raw}")
            for sp, d in matches:
                found.append(_load_run(d, sp, rid))
        return found
    newest: dict[tuple[str, str], tuple[tuple, RawRun]] = {}
    for spider, rid, d in _run_dirs(raw):
        info = d.fs.get_file_info(d.child("_manifest.json").path)
        if info.type.name != "File":
            continue  # unfinished runs are invisible
        run = _load_run(d, spider, rid)
        order = (
            # the crawler's manifest says when it was written; mtime breaks ties
            str(run.manifest.get("written_at") or run.manifest.get("finished_at") or ""),
            info.mtime_ns or 0,
            rid,
        )
        key = (run.spider, run.arguments_key)
        if key not in newest or order > newest[key][0]:
            newest[key] = (order, run)
    return [r for _, r in sorted(newest.values(), key=lambda x: (x[1].spider, x[1].run_id))]


def bucket_count(runs: list[RawRun]) -> int:
    """Hash buckets for the dedupe stage, so one bucket of one table fits comfortably in memory."""
    est_rows = 0.0
    for r in runs:
        count = r.manifest.get("item_count")  # the crawler's manifest counts items; else estimate from size
        est_rows += (
            count if isinstance(count, int) else r.bytes / 45
        )  # gzip'd Statsguru JSONL: ~45 bytes a row
    return int(min(32, max(1, math.ceil(est_rows / 400_000))))


# -------------------------------------------------------------------------------------------------
# Streaming


@dataclass
class Block:
    """Decoded rows of one block of a part: an Arrow table of table rows and Python profile items."""

    table: pa.Table | None
    profiles: list[dict]
    lines: int


def _blocks(part: Location, rejects: Rejects) -> Iterator[bytes]:
    """Newline-terminated byte blocks of a part; a truncated gzip stream ends it with one reject."""
    compression = "gzip" if part.path.endswith(".gz") else None
    buf: list[bytes] = []
    size = 0
    carry = b""
    try:
        with part.fs.open_input_stream(part.path, compression=compression) as f:
            while True:
                chunk = f.read(READ_CHUNK)
                if not chunk:
                    break
                buf.append(chunk)
                size += len(chunk)
                if size >= BLOCK_BYTES:
                    data = carry + b"".join(buf)
                    buf, size = [], 0
                    cut = data.rfind(b"\n")
                    if cut < 0:
                        carry = data
                        continue
                    carry = data[cut + 1 :]
                    yield data[: cut + 1]
    except (OSError, pa.ArrowInvalid) as exc:
        data = carry + b"".join(buf)
        cut = data.rfind(b"\n")
        if cut >= 0:
            yield data[: cut + 1]
        tail = data[cut + 1 :]
        rejects.add("truncated_gzip", f"{part.uri()}: {exc}", raw=tail[:2000], source=part.uri())
        return
    data = carry + b"".join(buf)
    if data:
        yield data if data.endswith(b"\n") else data + b"\n"


def _read_json(block: bytes, schema: pa.Schema) -> pa.Table | None:
    try:
        # One chunk, parsed on this thread: the typing thread keeps the other core busy, and one chunk spares
        # the typer a concatenation of every column it reads.
        tb = pj.read_json(
            pa.BufferReader(block),
            read_options=pj.ReadOptions(use_threads=False, block_size=len(block) + 1),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
        )
        tb.validate(full=True)  # Arrow's JSON reader does not check UTF-8 itself
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    if "data" in tb.column_names or "source" in tb.column_names:
        return None  # profile items in this block: read it in Python
    return tb


def _known_cells(cells_type: pa.DataType) -> pa.DataType | None:
    """The inferred `cells` type as known headers in KNOWN_HEADERS order, or None when it is anything else."""
    if not pa.types.is_struct(cells_type):
        return None
    present = set()
    for f in cells_type:
        if f.name not in KNOWN_HEADER_SET or not (pa.types.is_string(f.type) or pa.types.is_null(f.type)):
            return None
        present.add(f.name)
    return pa.struct([pa.field(h, pa.string()) for h in KNOWN_HEADERS if h in present])


def _fast_table(block: bytes) -> pa.Table | None:
    """The block through Arrow's JSON reader with the raw schema, or None when any line needs a closer look.

    `cells` is inferred, not given: a block holds the headers of a few lists, and parsing only those is a fifth
    cheaper than all forty. Anything but known string headers is read again against the full schema.
    """
    nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    if len(nl) and int(np.max(np.diff(nl, prepend=-1))) > MAX_LINE_BYTES:
        return None
    tb = _read_json(block, RAW_TOP_SCHEMA)
    if tb is None:
        return None
    if "cells" not in tb.column_names:
        cells = pa.nulls(tb.num_rows, CELLS_TYPE)
    else:
        cells = tb.column("cells")
        known = _known_cells(cells.type)
        if known is None:  # an unknown header, a non-string cell or a cell Arrow took for a timestamp
            return _full_table(block)
        cells = cells.cast(known)
    return pa.table(
        [
            *(tb.column(n) for n in RAW_SCHEMA.names[:CELLS_AT]),
            cells,
            *(tb.column(n) for n in RAW_SCHEMA.names[CELLS_AT + 1 :]),
        ],
        names=RAW_SCHEMA.names,
    )


def _full_table(block: bytes) -> pa.Table | None:
    tb = _read_json(block, RAW_SCHEMA)
    if tb is None:
        return None
    if tb.column("cells").type != CELLS_TYPE:
        return None  # an unknown header: let the slow path reject exactly those rows
    return tb.select(RAW_SCHEMA.names) if tb.schema.names != RAW_SCHEMA.names else tb


def _validate(obj: dict) -> tuple[str, str] | None:
    """Structural problems of one parsed raw item as (reason, detail), or None."""
    for k, v in obj.items():
        if k in _INT_FIELDS:
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                return "wrong_type", f"{k} must be an integer, got {type(v).__name__} {v!r}"[:300]
        elif k == "cells":
            if v is None:
                continue
            if not isinstance(v, dict):
                return "wrong_type", f"cells must be an object, got {type(v).__name__}"
            for h, c in v.items():
                if h not in KNOWN_HEADER_SET:
                    return "unknown_header", f"unknown header {h!r}; headers: {sorted(v)}"[:500]
                if c is not None and not isinstance(c, str):
                    return "wrong_type", f"cell {h!r} must be a string, got {type(c).__name__} {c!r}"[:300]
        elif k in RAW_SCHEMA.names and v is not None and not isinstance(v, str):
            return "wrong_type", f"{k} must be a string, got {type(v).__name__} {v!r}"[:300]
    return None


def _slow_block(block: bytes, part: Location, rejects: Rejects, line0: int) -> Block:
    """Line by line in Python: every line either becomes a row or a reject with its text and reason."""
    rows: list[dict] = []
    profiles: list[dict] = []
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    n = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        n += 1
        where = {"source": part.uri(), "line": line0 + i + 1}
        if len(line) > MAX_LINE_BYTES:
            rejects.add("oversized_line", f"{len(line)} bytes > {MAX_LINE_BYTES}", raw=line[:2000], **where)
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.add("non_utf8", str(exc), raw=line, **where)
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            rejects.add("malformed_json", str(exc), raw=text, **where)
            continue
        if not isinstance(obj, dict):
            rejects.add(
                "malformed_json", f"a raw item is a JSON object, got {type(obj).__name__}", raw=text, **where
            )
            continue
        if obj.get("record") == "profile":
            obj["_source"] = part.uri()
            profiles.append(obj)
            continue
        problem = _validate(obj)
        if problem:
            rejects.add(problem[0], problem[1], raw=text, **where)
            continue
        rows.append(obj)
    table = pa.Table.from_pylist(rows, schema=RAW_SCHEMA) if rows else None
    return Block(table, profiles, n)


class _Deferred:
    """Reject calls recorded while a part is read ahead, replayed in reading order by `read_parts`."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def add(self, *args, **kwargs) -> None:
        self.calls.append((args, kwargs))


def _events(parts: list[Location]) -> Iterator[tuple]:
    """What reading the parts meets, in order: ("block", segments, bytes), ("rejects", calls), ("part", i)."""
    segments: list[tuple[Location, int, bytes]] = []
    size = 0

    def flush() -> Iterator[tuple]:
        nonlocal segments, size
        if segments:
            data = segments[0][2] if len(segments) == 1 else b"".join(seg for _, _, seg in segments)
            yield "block", segments, data
        segments, size = [], 0

    for i, part in enumerate(parts):
        line0 = 0
        deferred = _Deferred()
        for block in _blocks(part, deferred):
            segments.append((part, line0, block))
            size += len(block)
            line0 += block.count(b"\n")
            if size >= BLOCK_BYTES:
                yield from flush()
        if deferred.calls:
            yield "rejects", deferred.calls
        yield "part", i
    yield from flush()


def read_parts(parts: list[Location], rejects: Rejects, on_part=None, workers: int = 1) -> Iterator[Block]:
    """Stream parts as Blocks of about BLOCK_BYTES, several small parts per block (feeds cut parts at 5,000 rows).

    A block that Arrow's reader refuses is re-read segment by segment in Python, so every bad line is
    rejected with its part and line number and every good line still loads. With `workers` > 1, that many
    blocks are parsed at once on a thread pool (Arrow's JSON parser releases the GIL); blocks, rejects and
    part callbacks still come in reading order.
    """
    pending: collections.deque = collections.deque()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="json-parse") if workers > 1 else None

    def emit(ev: tuple) -> Iterator[Block]:
        if ev[0] == "block":
            _, segments, parsed = ev
            tb = parsed.result() if pool is not None else _fast_table(parsed)
            if tb is not None:
                yield Block(tb, [], tb.num_rows)
            else:
                for part, line0, seg in segments:
                    yield _slow_block(seg, part, rejects, line0)
        elif ev[0] == "rejects":
            for args, kwargs in ev[1]:
                rejects.add(*args, **kwargs)
        elif on_part:
            on_part(ev[1] + 1)

    try:
        in_flight = 0
        for ev in _events(parts):
            if pool is not None and ev[0] == "block":
                ev = ("block", ev[1], pool.submit(_fast_table, ev[2]))
                in_flight += 1
            pending.append(ev)
            # at most `workers` blocks parsed ahead: memory stays a few blocks whatever the run's size
            while in_flight >= workers or (pool is None and pending):
                head = pending.popleft()
                if pool is not None and head[0] == "block":
                    in_flight -= 1
                yield from emit(head)
        while pending:
            yield from emit(pending.popleft())
    finally:
        if pool is not None:
            for ev in pending:
                if ev[0] == "block":
                    ev[2].cancel()
            pool.shutdown(wait=True)
