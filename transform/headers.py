"""Which raw headers the column map knows: the typed `cells` struct, and the unknown ones counted and left out."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cricket_contract.columns import known_headers

# Every header a Statsguru table (results lists in career and innings view, player pages) is known to show.
KNOWN_HEADERS = known_headers()
KNOWN_HEADER_SET = frozenset(KNOWN_HEADERS)
CELLS_TYPE = pa.struct([pa.field(h, pa.string()) for h in KNOWN_HEADERS])


def known_cells(cells_type: pa.DataType) -> tuple[pa.DataType, list[str]] | None:
    """(the inferred `cells` type's known headers in KNOWN_HEADERS order, the unknown ones), or None when a cell
    is anything but a string (a number, an object, a value Arrow took for a timestamp)."""
    if not pa.types.is_struct(cells_type):
        return None
    present, unknown = set(), []
    for f in cells_type:
        if not (pa.types.is_string(f.type) or pa.types.is_null(f.type)):
            return None
        if f.name in KNOWN_HEADER_SET:
            present.add(f.name)
        else:
            unknown.append(f.name)
    return pa.struct([pa.field(h, pa.string()) for h in KNOWN_HEADERS if h in present]), unknown


def without(cells: pa.ChunkedArray, known: pa.DataType) -> pa.ChunkedArray:
    """The `cells` structs with only the known headers (their values cast to string), chunk by chunk."""
    chunks = []
    for chunk in cells.chunks:
        children = [chunk.field(f.name).cast(pa.string()) for f in known]
        chunks.append(pa.StructArray.from_arrays(children, fields=list(known), mask=chunk.is_null()))
    return pa.chunked_array(chunks, type=known)


def unknown_header_counts(cells: pa.ChunkedArray, urls: pa.ChunkedArray, names: list[str]) -> dict:
    """{header: (rows that have it, the first such row's source URL)} for headers the map does not know."""
    out = {}
    for h in names:
        has = pc.is_valid(pc.struct_field(cells, h))
        n = pc.sum(has).as_py() or 0
        if n:
            first = pc.index(has, True).as_py()
            out[h] = (n, urls.combine_chunks()[first].as_py())
    return out
