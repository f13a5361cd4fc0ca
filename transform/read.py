"""Streaming raw parts as Arrow tables: gunzip, Arrow's JSON reader per block, and a line-by-line slow path.

Every line becomes a row or a reject with its part, line number and reason; the slow path checks each line
against the raw record spec (cricket_contract.records), the fast path leaves the same checks to the mapper.
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from cricket_contract.columns import known_headers
from cricket_contract.records import RecordError, validate
from cricket_contract.vocabulary import PROFILE
from cricket_storage import Location
from transform.rejects import Rejects

# Every header a Statsguru table (results lists in career and innings view, player pages) is known to show.
KNOWN_HEADERS = known_headers()
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
MAX_LINE_BYTES = 1 << 20  # a Statsguru row is < 2 KB; a megabyte line is garbage, not data
READ_CHUNK = 256 << 10  # small reads: a truncated gzip stream loses at most this much
BLOCK_BYTES = int(float(os.environ.get("CRICKET_TRANSFORM_BLOCK_MB", "8")) * (1 << 20))
# RecordError.problem → reject reason
_REASON = {"missing": "missing_key", "wrong_type": "wrong_type", "out_of_range": "out_of_range"}


@dataclass
class Block:
    """Decoded rows of one block of a part: an Arrow table of table rows and Python profile items."""

    table: pa.Table | None
    profiles: list[dict]
    lines: int


def _blocks(part: Location, rejects: Rejects) -> Iterator[bytes]:
    """Newline-terminated byte blocks of a part; a truncated gzip stream ends it with one reject."""
    compression = "gzip" if part.path.endswith(".gz") else None
    fs, path = part.arrow()
    buf: list[bytes] = []
    size = 0
    carry = b""
    try:
        with fs.open_input_stream(path, compression=compression) as f:
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
        rejects.add("truncated_gzip", f"{part.uri}: {exc}", raw=tail[:2000], source=part.uri)
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


def _check(obj: dict) -> tuple[str, str] | None:
    """What is wrong with one parsed raw table record as (reason, detail), or None."""
    try:
        validate(obj)
    except RecordError as exc:
        return _REASON.get(exc.problem, exc.problem), exc.detail[:500]
    unknown = [h for h in obj["cells"] if h not in KNOWN_HEADER_SET]
    if unknown:
        return "unknown_header", f"unknown header {unknown[0]!r}; headers: {sorted(obj['cells'])}"[:500]
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
        where = {"source": part.uri, "line": line0 + i + 1}
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
        if obj.get("record") == PROFILE:
            obj["_source"] = part.uri
            profiles.append(obj)
            continue
        problem = _check(obj)
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
