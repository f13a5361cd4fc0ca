"""Cell parsers over Arrow arrays: one function per parser kind of the column map, and the rows they flag."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cricket_contract.columns import Column, Rate
from transform.dq import DQ

I32 = pa.int32()
_MISSING = pa.array(["-", ""])
_NULL_STR = pa.scalar(None, pa.string())


def whole(col: pa.ChunkedArray) -> pa.Array:
    """A column as one array; its only chunk as it is (combine_chunks copies even a single chunk)."""
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def mask(a: pa.Array) -> pa.Array:
    """A boolean array with nulls as False."""
    return pc.fill_null(a, False)


class Rows:
    """One group of raw rows being typed (the table flattened: one `cells.<header>` column per header).

    Records the first reason each row cannot be typed; a row with a reason becomes a reject.
    """

    def __init__(self, sub: pa.Table) -> None:
        self.sub = sub
        self.n = sub.num_rows
        self.reason = pa.nulls(self.n, pa.string())
        # typers read some columns several times: combine (and trim) each once
        self._names = frozenset(sub.column_names)
        self._cols: dict[str, pa.Array] = {}
        self._trimmed: dict[str, pa.Array] = {}

    def col(self, name: str) -> pa.Array:
        a = self._cols.get(name)
        if a is None:
            a = self._cols[name] = whole(self.sub.column(name))
        return a

    def has(self, h: str) -> bool:
        return f"cells.{h}" in self._names

    def rawcell(self, h: str) -> pa.Array:
        """A header's cells as the page showed them; all null when the rows' lists lack the header."""
        if not self.has(h):
            return pa.nulls(self.n, pa.string())
        return self.col(f"cells.{h}")

    def shows(self, h: str) -> bool:
        """Some row of the group has a value under header `h`."""
        return self.rawcell(h).null_count < self.n

    def cell(self, h: str) -> pa.Array:
        a = self._trimmed.get(h)
        if a is None:
            a = self._trimmed[h] = pc.utf8_trim_whitespace(self.rawcell(h))
        return a

    def flag(self, bad: pa.Array, reason: str) -> None:
        if not pc.any(bad).as_py():  # the usual case: no row to flag, nothing more to compute
            return
        m = pc.and_(mask(bad), pc.is_null(self.reason))
        if pc.any(m).as_py():
            self.reason = pc.if_else(m, pa.scalar(reason), self.reason)

    def require(self, headers) -> None:
        for h in headers:
            self.flag(pc.is_null(self.rawcell(h)), f"missing_header:{h}")

    @staticmethod
    def missing(s: pa.Array) -> pa.Array:
        return mask(pc.or_kleene(pc.is_null(s), pc.is_in(s, value_set=_MISSING)))

    def int_(self, h: str, dtype=I32, s: pa.Array | None = None) -> pa.Array:
        s = self.rawcell(h) if s is None else s
        # fast path: a column of plain digits and "-" casts in one kernel; anything else takes the checked path
        plain = pc.if_else(pc.is_in(s, value_set=_MISSING), _NULL_STR, s)
        try:
            out = pc.cast(plain, dtype)
            if out.null_count == plain.null_count and (
                len(out) == out.null_count or pc.min(out).as_py() >= 0
            ):
                return out
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        s = pc.utf8_trim_whitespace(s)
        digits = 18 if dtype == pa.int64() else 9
        ok = mask(pc.match_substring_regex(s, rf"^\d{{1,{digits}}}$"))
        neg = mask(pc.match_substring_regex(s, r"^-\d+$"))
        self.flag(neg, f"negative_count:{h}")
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.invert(ok)), f"non_numeric:{h}")
        return pc.cast(pc.if_else(ok, s, _NULL_STR), dtype)

    def shown(self, h: str) -> pa.Array:
        """A rate as the site shows it (truncated); null for `-` or a header the list lacks."""
        if not self.has(h):
            return pa.nulls(self.n, pa.float64())
        s = self.cell(h)
        ok = mask(pc.match_substring_regex(s, r"^\d{1,9}(\.\d+)?$"))
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.invert(ok)), f"non_numeric:{h}")
        return pc.cast(pc.if_else(ok, s, _NULL_STR), pa.float64())

    def regex(self, h: str, pattern: str, reason: str, s: pa.Array | None = None) -> pa.StructArray:
        s = self.cell(h) if s is None else s
        parts = pc.extract_regex(s, pattern)
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.is_null(parts)), f"{reason}:{h}")
        return parts

    @staticmethod
    def group_int(parts: pa.StructArray, name: str, dtype=I32) -> pa.Array:
        v = parts.field(name)
        v = pc.if_else(pc.equal(v, ""), _NULL_STR, v)
        return pc.cast(v, dtype)


def null_where(a: pa.Array, where: pa.Array | None) -> pa.Array:
    return a if where is None else pc.if_else(where, pa.scalar(None, a.type), a)


# ------------------------------------------------------------------------------------------ parsers
# Each takes the rows, the column and (in innings rows) the mask of marker rows, and returns the arrays of
# the column's `out` names in order. Digit counts are bounded so every value fits its int32 column.


def span(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    parts = rows.regex(col.header, r"^(?P<start>\d{4})-(?P<end>\d{4})$", "bad_span")
    return [rows.group_int(parts, "start"), rows.group_int(parts, "end")]


def count(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    s = rows.rawcell(col.header)
    if col.marker and markers is not None:
        s = null_where(s, markers)
    return [rows.int_(col.header, s=s)]


def score(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    s = null_where(rows.cell(col.header), markers)
    parts = rows.regex(col.header, r"^(?P<v>\d{1,5})(?P<star>\*?)$", "non_numeric", s=s)
    not_out = pc.if_else(pc.is_null(parts), pa.scalar(None, pa.bool_()), pc.equal(parts.field("star"), "*"))
    return [rows.group_int(parts, "v"), not_out]


def overs(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    s = null_where(rows.cell(col.header), markers)
    parts = rows.regex(col.header, r"^(?P<o>\d{1,7})(?:\.(?P<b>[0-5]))?$", "non_numeric", s=s)
    o = rows.group_int(parts, "o")
    b = pc.fill_null(rows.group_int(parts, "b"), 0)
    return [pc.add(pc.multiply(o, 6), b)]


def best(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    if not rows.shows(col.header):
        return [pa.nulls(rows.n, I32), pa.nulls(rows.n, I32)]
    parts = rows.regex(col.header, r"^(?P<w>\d{1,4})/(?P<r>\d{1,6})$", "bad_best_figures")
    return [rows.group_int(parts, "w"), rows.group_int(parts, "r")]


def max_dismissals(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    if not rows.shows(col.header):
        return [pa.nulls(rows.n, I32)] * 3
    md = rows.regex(
        col.header, r"^(?P<d>\d{1,4})(?:\s*\((?P<ct>\d{1,4})ct (?P<st>\d{1,4})st\))?$", "non_numeric"
    )
    dis = rows.group_int(md, "d")
    zero = pc.equal(dis, 0)  # a plain "0" has no (ct st) part: no catches, no stumpings
    return [dis, pc.if_else(zero, 0, rows.group_int(md, "ct")), pc.if_else(zero, 0, rows.group_int(md, "st"))]


def date(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    d = rows.cell(col.header)
    # match dates repeat across a block's rows: parse each distinct one once
    uniq = pc.unique(d)
    parsed = pc.strptime(uniq, format="%d %b %Y", unit="s", error_is_null=True).take(
        pc.index_in(d, value_set=uniq)
    )
    rows.flag(pc.and_(pc.invert(rows.missing(d)), pc.is_null(parsed)), f"bad_date:{col.header}")
    return [pc.cast(parsed, pa.date32())]


def opposition(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    opp = rows.cell(col.header)
    return [pc.if_else(pc.starts_with(opp, "v "), pc.utf8_slice_codeunits(opp, 2), opp)]


def text(rows: Rows, col: Column, markers: pa.Array | None) -> list[pa.Array]:
    s = rows.cell(col.header)
    return [pc.if_else(rows.missing(s), _NULL_STR, s)]


PARSE = {
    "span": span,
    "count": count,
    "score": score,
    "overs": overs,
    "best": best,
    "max_dismissals": max_dismissals,
    "date": date,
    "opposition": opposition,
    "text": text,
}


# ------------------------------------------------------------------------------------------ rates


def divide(a: pa.Array, b: pa.Array, scale: float = 1.0) -> pa.Array:
    """a / b × scale as float64; null where b is 0 or either side is null."""
    a = pc.cast(a, pa.float64())
    b = pc.cast(b, pa.float64())
    b = pc.if_else(pc.equal(b, 0.0), pa.scalar(None, pa.float64()), b)
    out = pc.divide(a, b)
    return pc.multiply(out, scale) if scale != 1.0 else out


def recompute(rate: Rate, typed: dict[str, pa.Array]) -> pa.Array:
    den = typed[rate.den] if rate.minus is None else pc.subtract(typed[rate.den], typed[rate.minus])
    return divide(typed[rate.num], den, rate.scale)


def check_truncation(
    dq: DQ,
    table: str,
    column: str,
    shown: pa.Array,
    recomputed: pa.Array,
    decimals: int,
    rows: pa.Table,
    ok: pa.Array,
) -> None:
    """The site truncates rates to `decimals`; a shown value that is not the truncated recomputed one is a finding.

    Only rows where `ok` holds are checked; the others are null in the mask (not applicable), so nothing is
    filtered and copied for a check that nearly always passes.
    """
    scale = 10.0**decimals
    r = recomputed.to_numpy(zero_copy_only=False)
    sh = shown.to_numpy(zero_copy_only=False)
    r_ok = ~np.isnan(r)
    s_ok = ~np.isnan(sh)
    with np.errstate(invalid="ignore"):
        trunc = np.floor(r * scale + 1e-6) / scale
        bad = np.where(r_ok & s_ok, np.abs(trunc - sh) > 0.5 / scale, r_ok != s_ok)
    okn = ok.to_numpy(zero_copy_only=False)
    failed = pa.array(bad) if okn.all() else pa.array(bad, mask=~okn)
    dq.record(table, f"{column}_matches_site", failed, rows, {"shown": shown, "recomputed": recomputed})


def timestamps(rows: Rows) -> pa.Array:
    """`scraped_at` as UTC timestamps in milliseconds (what Athena reads); a missing or unreadable one flags the row."""
    return pc.cast(_timestamps_us(rows), pa.timestamp("ms", tz="UTC"), safe=False)


def _timestamps_us(rows: Rows) -> pa.Array:
    s = rows.col("scraped_at")
    rows.flag(pc.is_null(s), "missing_key:scraped_at")
    utc = pa.timestamp("us", tz="UTC")
    try:  # fast path: the crawler writes ISO 8601 with a zone ("…Z")
        return pc.cast(s, utc)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = pc.utf8_trim_whitespace(s)
    ok = mask(
        pc.match_substring_regex(s, r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?$")
    )
    rows.flag(pc.and_(pc.is_valid(s), pc.invert(ok)), "bad_timestamp:scraped_at")
    has_zone = mask(pc.match_substring_regex(s, r"(Z|[+-]\d\d:?\d\d)$"))
    s = pc.if_else(has_zone, s, pc.binary_join_element_wise(s, "Z", ""))  # no zone: UTC
    s = pc.if_else(ok, s, pa.scalar("1970-01-01T00:00:00Z"))
    ts = pc.cast(s, utc)
    return pc.if_else(ok, ts, pa.scalar(None, utc))
