"""Natural-key de-duplication: the latest scraped_at wins, its gaps filled from older rows; disagreeing ties reject."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _same_as_previous(col: pa.Array) -> np.ndarray:
    a, b = col.slice(1), col.slice(0, len(col) - 1)
    eq = pc.fill_null(pc.equal(a, b), False)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(eq, both_null).to_numpy(zero_copy_only=False)


# Lineage and bookkeeping columns: never compared between duplicates, never filled from another row.
_OWN = frozenset({"_seq", "scraped_at", "run_id", "source_url"})


def _sorted_groups(tb: pa.Table, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(row positions sorted by key, newest first; True where a sorted position starts a new key)."""
    order = pc.sort_indices(
        tb,
        sort_keys=[(k, "ascending") for k in keys] + [("scraped_at", "descending"), ("_seq", "descending")],
    )
    n = tb.num_rows
    same = np.ones(n - 1, dtype=bool)
    for k in keys:
        same &= _same_as_previous(tb.column(k).take(order).combine_chunks())
    new = np.ones(n, dtype=bool)
    new[1:] = ~same
    return order.to_numpy(), new


def fill_gaps(tb: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    """`tb` with each key's newest row's null cells filled from the key's older rows, newest first.

    The same figures reach a table from two pages: a results list and a player's own page (its "Career
    summary", or its own innings view). Neither shows every column (the player page has no BBM, an ODI list
    no 4s/6s, a player's innings view no player cell), so the newer row keeps its values and takes only what
    it lacks from the older one; its lineage stays its own. Rows other than a key's newest are unchanged.
    """
    return dedupe_filled(tb, keys)[0]


def dedupe_filled(tb: pa.Table, keys: tuple[str, ...]) -> tuple[pa.Table, pa.Array, pa.Array, int]:
    """(`tb` with its winners' gaps filled, row indices of winners and of conflicting losers in key order, the
    number of dropped duplicates), from one sort.

    Sort by key, newest scraped_at first, later input first; the first row of each key wins. A loser with the
    winner's scraped_at but other values cannot be ordered by time: it is a conflict (judged on the rows as
    scraped, before any gap is filled). Indices, not rows: the caller takes the rows a slice at a time, so a
    sorted copy of a whole staged bucket is never held.
    """
    n = tb.num_rows
    if n <= 1:
        return tb, pa.array(np.arange(n)), pa.array([], pa.int64()), 0
    pos, new = _sorted_groups(tb, keys)
    firsts = np.flatnonzero(new)
    if len(firsts) == n:
        return tb, pa.array(pos), pa.array([], pa.uint64()), 0
    leader = firsts[np.cumsum(new) - 1]
    losers = np.flatnonzero(~new)
    ts = tb.column("scraped_at").combine_chunks()
    same_ts = pc.fill_null(pc.equal(ts.take(pos[losers]), ts.take(pos[leader[losers]])), False)
    cand = losers[same_ts.to_numpy(zero_copy_only=False)]
    conflict = np.zeros(len(cand), dtype=bool)
    skip = {*keys, *_OWN}
    if len(cand):
        ci, li = pa.array(pos[cand]), pa.array(pos[leader[cand]])
        for name in tb.column_names:
            col = tb.column(name).combine_chunks()
            if name in skip or pa.types.is_list(col.type):
                continue
            a, b = col.take(ci), col.take(li)
            eq = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
            conflict |= ~eq.to_numpy(zero_copy_only=False)
    filled = _fill(tb, skip, pos, firsts)
    return filled, pa.array(pos[firsts]), pa.array(pos[cand[conflict]]), n - len(firsts)


def _fill(tb: pa.Table, skip: set[str], pos: np.ndarray, firsts: np.ndarray) -> pa.Table:
    """`tb` with the winners' (`pos[firsts]`) null cells taken from the first older row of their key that has one."""
    n = tb.num_rows
    winners = pos[firsts]
    cols = []
    for name in tb.column_names:
        col = tb.column(name)
        if name in skip or not col.null_count:
            cols.append(col)
            continue
        valid = pc.is_valid(col.take(pos)).to_numpy(zero_copy_only=False)
        # per key, the first sorted position holding a value (n: none does)
        first_valid = np.minimum.reduceat(np.where(valid, np.arange(n), n), firsts)
        gap = ~valid[firsts] & (first_valid < n)
        if not gap.any():
            cols.append(col)
            continue
        src = np.arange(n)
        src[winners[gap]] = pos[first_valid[gap]]
        cols.append(col.take(pa.array(src)))
    return pa.table(cols, schema=tb.schema)


def dedupe(tb: pa.Table, keys: tuple[str, ...]) -> tuple[pa.Table, pa.Table, int]:
    """(winners with their gaps filled, conflicting losers, number of dropped duplicates), in key order."""
    filled, win, lost, dropped = dedupe_filled(tb, keys)
    return filled.take(win), tb.take(lost), dropped
