"""Typed columns of one (view, type) group of raw rows, derived from the column map; rates checked against the site."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cricket_contract.columns import columns
from cricket_contract.vocabulary import MARKERS, PLAYED_BY_TYPE
from transform.cells import PARSE, Rows, check_truncation, mask, null_where, recompute
from transform.dq import DQ

_MARKER_VALUES = pa.array(sorted(set(MARKERS.values())))


def _span_backwards(c: dict) -> pa.Array:
    return pc.greater(c["start_year"], c["end_year"])


# Row-level rules beyond what one cell says: (reason, failed mask over the typed columns). Bounds are far past
# any recorded figure (400* is the highest Test score, 970 minutes the longest innings), so only garbage fails.
RULES = {
    ("career", "batting"): (
        ("impossible:not_outs>innings", lambda c: pc.greater(c["not_outs"], c["innings"])),
        ("impossible:span", _span_backwards),
    ),
    ("career", "bowling"): (("impossible:span", _span_backwards),),
    ("career", "fielding"): (("impossible:span", _span_backwards),),
    ("innings", "batting"): (
        ("impossible:runs", lambda c: pc.greater(c["runs"], 1000)),
        ("impossible:minutes", lambda c: pc.greater(c["minutes"], 2000)),
        ("impossible:balls_faced", lambda c: pc.greater(c["balls_faced"], 2000)),
    ),
    ("innings", "bowling"): (("impossible:balls", lambda c: pc.greater(c["balls"], 1200)),),
}


def participation(rows: Rows, header: str, type_: str) -> tuple[pa.Array, pa.Array]:
    """(participation, marker mask): DNB/TDNB/absent/sub in the marker cell, else batted/bowled/fielded."""
    marker = pc.utf8_lower(rows.cell(header))
    is_marker = mask(pc.is_in(marker, value_set=_MARKER_VALUES))
    return pc.if_else(is_marker, marker, pa.scalar(PLAYED_BY_TYPE[type_])), is_marker


def type_columns(view: str, type_: str, rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    """Every curated column the map's columns of (view, type) fill, by name.

    Counts and texts first (in page order), then the row rules, then the rates recomputed from the counts; a
    shown rate that is not the truncated recomputed one is a DQ finding of `table`.
    """
    cols = columns(view, type_)
    typed: dict[str, pa.Array] = {}
    markers = None
    if view == "innings":
        marker_col = next(c for c in cols if c.marker)
        typed["participation"], markers = participation(rows, marker_col.header, type_)
        # the match comes from the row's match link, not from a cell
        typed["match_id"] = rows.int_("match_id", pa.int64(), s=pc.utf8_trim_whitespace(rows.col("match_id")))
    for col in cols:
        if col.rate is not None:
            continue
        values = PARSE[col.parser](rows, col, markers)
        blank = markers if col.figure and not col.marker else None  # a did-not-bat row has no figures
        for name, arr in zip(col.out, values, strict=True):
            typed[name] = null_where(arr, blank)
    for reason, failed in RULES.get((view, type_), ()):
        rows.flag(failed(typed), reason)
    rated = [c for c in cols if c.rate is not None]
    ok = pc.is_null(rows.reason) if rated else None
    for col in rated:
        (name,) = col.out
        typed[name] = recompute(col.rate, typed)
        if rows.shows(col.header):
            check_truncation(
                dq, table, name, rows.shown(col.header), typed[name], col.truncated, rows.sub, ok
            )
    return typed
