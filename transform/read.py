"""Streaming raw parts as Arrow tables: gunzip, Arrow's JSON reader per block, and a line-by-line slow path.

Every line becomes a row or a reject with its part, line number and reason; the slow path checks each line
against the raw record spec (cricket_contract.records), the fast path leaves the same checks to the mapper.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from cricket_contract.manifest import PartInfo
from cricket_contract.records import RecordError, validate
from cricket_contract.vocabulary import PROFILE
from cricket_storage import Location
from transform.headers import (
    CELLS_TYPE,
    KNOWN_HEADER_SET,
    known_cells,
    unknown_header_counts,
    without,
)
from transform.rejects import Rejects

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
READ_CHUNK = 256 << 10  # stored bytes read at a time
MAX_INFLATE = 8 << 20  # inflated bytes per step: a gzip bomb is stopped, not buffered
MAX_FAST_OPENINGS = 8  # `{`/`[` per line beyond which a block is read line by line in Python
_NOT_OPENING_OR_NEWLINE = bytes(b for b in range(256) if b not in b"{[\n")
BLOCK_BYTES = int(float(os.environ.get("CRICKET_TRANSFORM_BLOCK_MB", "8")) * (1 << 20))
# RecordError.problem → reject reason
_REASON = {"missing": "missing_key", "wrong_type": "wrong_type", "out_of_range": "out_of_range"}


@dataclass
class Block:
    """Decoded rows of one block: an Arrow table of table rows, Python profile items, and where each row came from.

    `unknown_headers`: headers the column map does not know, with the rows that had them and the first row's
    source URL. Their cells stay in the raw zone (raw loses nothing); the transformer reports them (DQ).
    """

    table: pa.Table | None
    profiles: list[dict]
    lines: int
    origin: Origin | None = None
    unknown_headers: dict[str, tuple[int, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Origin:
    """The part and line of every row of a block's table (so a reject can say where its line is)."""

    parts: list[str]  # part URIs
    part: np.ndarray  # index into `parts`, per row
    line: np.ndarray  # 1-based line number in its part, per row

    def at(self, i: int) -> tuple[str, int]:
        return self.parts[int(self.part[i])], int(self.line[i])

    @classmethod
    def of_segments(cls, segments: list[tuple[Location, int, bytes, int]]) -> Origin:
        counts = [n for _, _, _, n in segments]  # lines, counted once as the segments were cut
        part = np.repeat(np.arange(len(segments), dtype=np.int32), counts)
        line = np.concatenate(
            [np.arange(l0 + 1, l0 + n + 1) for (_, l0, _, _), n in zip(segments, counts, strict=True)]
        )
        return cls([p.uri for p, _, _, _ in segments], part, line)


class DamagedPart(ValueError):
    """A raw part that is not what its manifest promises (cut, corrupted, other bytes, other rows): the run is refused."""


def _blocks(part: Location, info: PartInfo | None) -> Iterator[bytes]:
    """Newline-terminated byte blocks of a part, decompressed here so the stored bytes can be hashed on the way.

    With `info` (what the manifest promises), the part's size and sha256 are checked when its stream ends;
    a stream that is not valid gzip, or that differs from the promise, raises DamagedPart.
    """
    pieces = _Pieces(part)
    buf: list[bytes] = []
    size = 0
    carry = b""
    for piece in pieces:
        buf.append(piece)
        size += len(piece)
        if size >= BLOCK_BYTES:
            data = carry + b"".join(buf)
            buf, size = [], 0
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE_BYTES * 4:
                    raise DamagedPart(f"{part.uri}: {len(data)} bytes without a line break: not JSON lines")
                carry = data
                continue
            carry = data[cut + 1 :]
            yield data[: cut + 1]
    if info is not None and (pieces.stored != info.size or pieces.sha256 != info.sha256):
        raise DamagedPart(
            f"{part.uri}: {pieces.stored} bytes with sha256 {pieces.sha256[:12]}…, the manifest says {info.size} "
            f"bytes with sha256 {info.sha256[:12]}…: the part is not the one the crawler stored"
        )
    data = carry + b"".join(buf)
    if data:
        yield data if data.endswith(b"\n") else data + b"\n"


class _Pieces:
    """The decompressed bytes of a part, at most MAX_INFLATE at a time (a gzip bomb is stopped, not buffered),
    hashing the stored bytes as they are read."""

    def __init__(self, part: Location) -> None:
        self.part = part
        self.stored = 0
        self._digest = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def __iter__(self) -> Iterator[bytes]:
        gz = self.part.path.endswith(".gz")
        fs, path = self.part.arrow()
        inflate = zlib.decompressobj(wbits=31) if gz else None
        try:
            # compression=None: pyarrow would otherwise inflate .gz itself, and the stored bytes are hashed
            with fs.open_input_stream(path, compression=None) as f:
                while chunk := f.read(READ_CHUNK):
                    self._digest.update(chunk)
                    self.stored += len(chunk)
                    if inflate is None:
                        yield chunk
                        continue
                    data = chunk
                    while data:
                        if inflate.eof:  # another gzip member follows
                            inflate = zlib.decompressobj(wbits=31)
                        out = inflate.decompress(data, MAX_INFLATE)
                        data = inflate.unconsumed_tail or (inflate.unused_data if inflate.eof else b"")
                        if out:
                            yield out
        except (OSError, zlib.error) as exc:
            raise DamagedPart(f"{self.part.uri}: not a readable gzip stream ({exc})") from None
        if inflate is not None and not inflate.eof:
            raise DamagedPart(
                f"{self.part.uri}: the gzip stream ends early after {self.stored} bytes: the part was cut"
            )


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


def _nesting_suspect(block: bytes) -> bool:
    """Some line opens more than MAX_FAST_OPENINGS objects or arrays (a table record opens two: itself, cells).

    Openings are counted, not depth (brackets inside strings count too), so no deep line gets past; a rare
    string with brackets only costs its block the slow path.
    """
    kept = np.frombuffer(block.translate(None, _NOT_OPENING_OR_NEWLINE), dtype=np.uint8)
    if len(kept) <= MAX_FAST_OPENINGS:
        return False
    nl = np.flatnonzero(kept == 10)
    return int(np.max(np.diff(nl, prepend=-1), initial=0)) > MAX_FAST_OPENINGS + 1 or (
        len(kept) - (int(nl[-1]) + 1 if len(nl) else 0) > MAX_FAST_OPENINGS
    )


def _fast_table(block: bytes) -> tuple[pa.Table, dict] | None:
    """(the block through Arrow's JSON reader with the raw schema, its unknown headers), or None when any line
    needs a closer look.

    `cells` is inferred, not given: a block holds the headers of a few lists, and parsing only those is a fifth
    cheaper than all forty. Headers the map does not know are counted and left out; a cell that is not a string
    is read again against the full schema.
    """
    nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
    if len(nl) and int(np.max(np.diff(nl, prepend=-1))) > MAX_LINE_BYTES:
        return None
    if _nesting_suspect(block):
        return None  # Arrow's JSON reader crashes on deep nesting: such lines are screened in Python
    tb = _read_json(block, RAW_TOP_SCHEMA)
    if tb is None:
        return None
    unknown: dict = {}
    if "cells" not in tb.column_names:
        cells = pa.nulls(tb.num_rows, CELLS_TYPE)
    else:
        cells = tb.column("cells")
        found = known_cells(cells.type)
        if found is None:  # a non-string cell or a cell Arrow took for a timestamp
            full = _full_table(block)
            return None if full is None else (full, {})
        known, names = found
        if names:  # headers the map does not know: reported, and left out of the typed rows
            unknown = unknown_header_counts(cells, tb.column("source_url"), names)
            cells = without(cells, known)
        else:
            cells = cells.cast(known)
    out = pa.table(
        [
            *(tb.column(n) for n in RAW_SCHEMA.names[:CELLS_AT]),
            cells,
            *(tb.column(n) for n in RAW_SCHEMA.names[CELLS_AT + 1 :]),
        ],
        names=RAW_SCHEMA.names,
    )
    return out, unknown


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
    return None


def _slow_block(block: bytes, part: Location, rejects: Rejects, line0: int) -> Block:
    """Line by line in Python: every line either becomes a row or a reject with its text and reason."""
    rows: list[dict] = []
    row_lines: list[int] = []
    profiles: list[dict] = []
    unknown: dict[str, tuple[int, str | None]] = {}
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
        except RecursionError:
            rejects.add("too_deep", "nested deeper than any raw record can be", raw=text[:2000], **where)
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
        for h in [h for h in obj["cells"] if h not in KNOWN_HEADER_SET]:
            # kept verbatim in the raw zone; reported, and left out of the typed row
            seen, url = unknown.get(h, (0, obj.get("source_url")))
            unknown[h] = (seen + 1, url)
            del obj["cells"][h]
        rows.append(obj)
        row_lines.append(line0 + i + 1)
    table = pa.Table.from_pylist(rows, schema=RAW_SCHEMA) if rows else None
    origin = Origin([part.uri], np.zeros(len(rows), dtype=np.int32), np.array(row_lines, dtype=np.int64))
    return Block(table, profiles, n, origin, unknown)


def _events(parts: list[Location], verify: dict[str, PartInfo]) -> Iterator[tuple]:
    """What reading the parts meets, in order: ("block", segments, bytes), ("part", i).

    A part whose lines are not as many as its manifest says raises DamagedPart when it ends.
    """
    segments: list[tuple[Location, int, bytes, int]] = []  # (part, lines before, bytes, lines)
    size = 0

    def flush() -> Iterator[tuple]:
        nonlocal segments, size
        if segments:
            data = segments[0][2] if len(segments) == 1 else b"".join(seg for _, _, seg, _ in segments)
            yield "block", segments, data
        segments, size = [], 0

    for i, part in enumerate(parts):
        info = verify.get(part.uri)
        line0 = 0
        for block in _blocks(part, info):
            lines = block.count(b"\n")
            segments.append((part, line0, block, lines))
            size += len(block)
            line0 += lines
            if size >= BLOCK_BYTES:
                yield from flush()
        if info is not None and line0 != info.rows:
            raise DamagedPart(f"{part.uri}: {line0} lines, the manifest says {info.rows} rows")
        yield "part", i
    yield from flush()


def read_parts(
    parts: list[Location],
    rejects: Rejects,
    on_part=None,
    workers: int = 1,
    verify: dict[str, PartInfo] | None = None,
) -> Iterator[Block]:
    """Stream parts as Blocks of about BLOCK_BYTES, several small parts per block (feeds cut parts at 5,000 rows).

    A block that Arrow's reader refuses is re-read segment by segment in Python, so every bad line is
    rejected with its part and line number and every good line still loads. With `workers` > 1, that many
    blocks are parsed at once on a thread pool (Arrow's JSON parser releases the GIL); blocks, rejects and
    part callbacks still come in reading order. `verify` (part URI → the manifest's promise) checks each
    part's bytes, hash and lines; a part that breaks its promise raises DamagedPart.
    """
    pending: collections.deque = collections.deque()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="json-parse") if workers > 1 else None

    def emit(ev: tuple) -> Iterator[Block]:
        if ev[0] == "block":
            _, segments, parsed = ev
            fast = parsed.result() if pool is not None else _fast_table(parsed)
            if fast is not None:
                tb, unknown = fast
                yield Block(tb, [], tb.num_rows, Origin.of_segments(segments), unknown)
            else:
                for part, line0, seg, _ in segments:
                    yield _slow_block(seg, part, rejects, line0)
        elif on_part:
            on_part(ev[1] + 1)

    try:
        in_flight = 0
        for ev in _events(parts, verify or {}):
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
