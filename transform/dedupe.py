"""Natural-key de-duplication: the latest scraped_at wins; same-time duplicates that disagree are rejects."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _same_as_previous(col: pa.Array) -> np.ndarray:
    a, b = col.slice(1), col.slice(0, len(col) - 1)
    eq = pc.fill_null(pc.equal(a, b), False)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(eq, both_null).to_numpy(zero_copy_only=False)


def dedupe_order(tb: pa.Table, keys: tuple[str, ...]) -> tuple[pa.Array, pa.Array, int]:
    """Row indices of (winners, conflicting losers) in key order, and the number of dropped duplicates.

    Sort by key, newest scraped_at first, later input first; the first row of each key wins. A loser with the
    winner's scraped_at but other values cannot be ordered by time: it is a conflict. Indices, not rows: the
    caller takes the rows a slice at a time, so a sorted copy of a whole staged bucket is never held.
    """
    n = tb.num_rows
    if n <= 1:
        return pa.array(np.arange(n)), pa.array([], pa.int64()), 0
    order = pc.sort_indices(
        tb,
        sort_keys=[(k, "ascending") for k in keys] + [("scraped_at", "descending"), ("_seq", "descending")],
    )
    same = np.ones(n - 1, dtype=bool)
    for k in keys:
        same &= _same_as_previous(tb.column(k).take(order).combine_chunks())
    new = np.ones(n, dtype=bool)
    new[1:] = ~same
    firsts = np.flatnonzero(new)
    if len(firsts) == n:
        return order, pa.array([], pa.uint64()), 0
    pos = order.to_numpy()
    leader = firsts[np.cumsum(new) - 1]
    losers = np.flatnonzero(~new)
    ts = tb.column("scraped_at").combine_chunks()
    same_ts = pc.fill_null(pc.equal(ts.take(pos[losers]), ts.take(pos[leader[losers]])), False)
    cand = losers[same_ts.to_numpy(zero_copy_only=False)]
    conflict = np.zeros(len(cand), dtype=bool)
    if len(cand):
        skip = {*keys, "_seq", "scraped_at", "run_id", "source_url"}
        ci, li = pa.array(pos[cand]), pa.array(pos[leader[cand]])
        for name in tb.column_names:
            col = tb.column(name).combine_chunks()
            if name in skip or pa.types.is_list(col.type):
                continue
            a, b = col.take(ci), col.take(li)
            eq = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
            conflict |= ~eq.to_numpy(zero_copy_only=False)
    return pa.array(pos[firsts]), pa.array(pos[cand[conflict]]), n - len(firsts)


def dedupe(tb: pa.Table, keys: tuple[str, ...]) -> tuple[pa.Table, pa.Table, int]:
    """(winners, conflicting losers, number of dropped duplicates) of a staged table, in key order."""
    win, lost, dropped = dedupe_order(tb, keys)
    return tb.take(win), tb.take(lost), dropped
