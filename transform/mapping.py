"""Typing raw Statsguru rows: header text → typed curated columns, vectorised over Arrow tables."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transform.dq import DQ
from transform.rejects import Rejects
from transform.schemas import (
    COMPOSITE_TEAMS,
    FORMAT_BY_CLASS,
    FORMAT_BY_SUMMARY_LABEL,
    curated_schema,
)

TYPES = ("batting", "bowling", "fielding")
I32 = pa.int32()
_MISSING = pa.array(["-", ""])
ALL_FORMATS_CLASS = 11
# Match links in innings lists ("Test # 2345") name the format when the class does not (class 11).
FORMAT_BY_MATCH_LABEL = {
    "test": "test",
    "odi": "odi",
    "t20i": "t20i",
    "wtest": "wtest",
    "wodi": "wodi",
    "wt20i": "wt20i",
}
PARTICIPATION_MARKERS = {"dnb": "dnb", "tdnb": "tdnb", "absent": "absent", "sub": "sub"}
PLAYED = {"batting": "batted", "bowling": "bowled", "fielding": "fielded"}
MARKER_HEADER = {"batting": "Runs", "bowling": "Overs", "fielding": "Dis"}

# Headers each kind of row must carry (others, e.g. BBM or "4", depend on the class's list).
REQUIRED = {
    ("agg", "batting"): ("Span", "Mat", "Inns", "NO", "Runs", "HS", "Ave"),
    ("agg", "bowling"): ("Span", "Mat", "Inns", "Overs", "Mdns", "Runs", "Wkts", "Ave", "Econ", "SR"),
    ("agg", "fielding"): ("Span", "Mat", "Inns", "Dis", "Ct", "St"),
    ("innings", "batting"): ("Runs", "Inns", "Start Date"),
    ("innings", "bowling"): ("Overs", "Mdns", "Runs", "Wkts", "Inns", "Start Date"),
    ("innings", "fielding"): ("Dis", "Ct", "St", "Inns", "Start Date"),
}
# Every header a group's typer reads; only these columns are carried into the group (Arrow filters copy).
HEADERS = {
    ("agg", "batting"): (
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
    ),
    ("agg", "bowling"): (
        "Span",
        "Mat",
        "Inns",
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "BBI",
        "BBM",
        "Ave",
        "Econ",
        "SR",
        "4",
        "5",
        "10",
    ),
    ("agg", "fielding"): ("Span", "Mat", "Inns", "Dis", "Ct", "St", "Ct Wk", "Ct Fi", "MD", "D/I"),
    ("innings", "batting"): (
        "Runs",
        "Mins",
        "BF",
        "4s",
        "6s",
        "SR",
        "Pos",
        "Dismissal",
        "Inns",
        "Opposition",
        "Ground",
        "Start Date",
    ),
    ("innings", "bowling"): (
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "Econ",
        "Pos",
        "Inns",
        "Opposition",
        "Ground",
        "Start Date",
    ),
    ("innings", "fielding"): (
        "Dis",
        "Ct",
        "St",
        "Ct Wk",
        "Ct Fi",
        "Pos",
        "Inns",
        "Opposition",
        "Ground",
        "Start Date",
    ),
}
BASE_COLUMNS = (
    "record",
    "class",
    "player_id",
    "player_cell",
    "source_url",
    "run_id",
    "caption",
    "grouping",
    "match_id",
    "match_label",
    "_seq",
    "_ts",
)
CONTINENTS = frozenset({"Africa", "Americas", "Asia", "Europe", "Oceania"})
_ORDINAL = r"\d+(st|nd|rd|th)"
_KIND_RULES: list[tuple[str, re.Pattern]] = [
    ("overall", re.compile(r"^overall$")),
    ("opposition", re.compile(r"^v ")),
    ("home_away", re.compile(r"^(home|away|neutral)$")),
    ("year", re.compile(r"^year \d{4}$")),
    ("season", re.compile(r"^season \d{4}(/\d{2})?$")),
    ("captain", re.compile(r"^\*")),
    ("captaincy", re.compile(r"^is (not )?captain$")),
    ("keeper", re.compile(r"^is (not )?keeper$")),
    ("toss", re.compile(r"^(won|lost) the toss$")),
    ("toss_decision", re.compile(r"^(won|lost) toss & ")),
    ("batting_order", re.compile(r"^matches (batting|fielding) first$")),
    ("team_innings", re.compile(rf"^{_ORDINAL} team innings$")),
    ("match_innings", re.compile(rf"^{_ORDINAL} match innings$")),
    ("day_night", re.compile(r"^(day|day/night|night) match$")),
    ("result", re.compile(r"^(won match|lost match|tied match|drawn match|no result)$")),
    ("result_batting_order", re.compile(r"^(won|lost|tied|drawn|no result) (batting|fielding) first$")),
    ("series_type", re.compile(r"^\d+\+? team (series|tournaments?)$")),
    ("series_match", re.compile(rf"^(only|{_ORDINAL}) match in series$")),
    (
        "stage",
        re.compile(r"^(tournament (finals|semi-finals|quarter-finals)|preliminary matches|.*-finals?)$"),
    ),
    ("position", re.compile(rf"^{_ORDINAL} position$")),
]


def grouping_kind(label: str) -> str:
    """The Career summary section a grouping label belongs to (format, opposition, host, year, …)."""
    if label in FORMAT_BY_SUMMARY_LABEL:
        return "format"
    if label.startswith("in "):
        return "continent" if label[3:] in CONTINENTS else "host"
    for kind, rx in _KIND_RULES:
        if rx.search(label):
            return kind
    return "series"  # series and tournament names ("The Ashes", "World Cup")


def country_of(teams) -> str | None:
    """The first team that is not a composite side (ICC, World, …), without the women's `-W`."""
    for t in teams or ():
        base = t[:-2] if t.endswith("-W") else t
        if t not in COMPOSITE_TEAMS and base not in COMPOSITE_TEAMS:
            return base
    return None


def player_cell_columns(
    cell: pa.Array, with_teams: bool = True
) -> tuple[pa.Array, pa.Array | None, pa.Array]:
    """`BA Stokes (ENG)`, `Rashid Khan (AFG/ICC)` cells → (name, teams list or None, country) arrays."""
    well_formed = pc.and_(pc.ends_with(cell, ")"), pc.match_substring(cell, " ("))
    if pc.all(pc.fill_null(well_formed, True)).as_py():
        # every cell is `Name (TEAMS)`: split at the last " (" — several times faster than the regex below
        parts = pc.split_pattern(cell, " (", max_splits=1, reverse=True)
        name = pc.list_element(parts, 0)
        teams_text = pc.utf8_rtrim(pc.list_element(parts, 1), characters=")")
    else:
        parts = pc.extract_regex(cell, r"^(?P<name>.*?)\s*\((?P<teams>[^()]*)\)\s*$")
        matched = pc.is_valid(parts)
        # a struct's child arrays ignore the struct's own nulls: mask them explicitly
        name = pc.if_else(matched, parts.field("name"), pc.utf8_trim_whitespace(cell))
        teams_text = pc.if_else(matched, parts.field("teams"), pa.scalar(None, pa.string()))
    # team strings repeat ("ENG", "AFG/ICC"): decide the country once per distinct value
    country = _map_unique(teams_text, lambda v: country_of(t.strip() for t in v.split("/")), pa.string())
    teams = pc.split_pattern(teams_text, "/") if with_teams else None
    return name, teams, country


def _map_unique(arr: pa.Array, fn, out_type: pa.DataType) -> pa.Array:
    """Apply a Python function to each distinct value only (labels and player cells repeat a lot)."""
    uniq = pc.unique(arr)
    values = uniq.to_pylist()
    mapped = pa.array([None if v is None else fn(v) for v in values], type=out_type)
    return mapped.take(pc.index_in(arr, value_set=uniq))


def _mask(a) -> pa.Array:
    return pc.fill_null(a, False)


class Rows:
    """One group of raw rows being typed; records the first reason a row cannot be typed."""

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
            a = self._cols[name] = self.sub.column(name).combine_chunks()
        return a

    def has(self, h: str) -> bool:
        return f"cells.{h}" in self._names

    def rawcell(self, h: str) -> pa.Array:
        """A header's cells as the page showed them (the table is flattened: one `cells.<header>` column each)."""
        if not self.has(h):
            return pa.nulls(self.n, pa.string())
        return self.col(f"cells.{h}")

    def cell(self, h: str) -> pa.Array:
        a = self._trimmed.get(h)
        if a is None:
            a = self._trimmed[h] = pc.utf8_trim_whitespace(self.rawcell(h))
        return a

    def flag(self, mask: pa.Array, reason: str) -> None:
        if not pc.any(mask).as_py():  # the usual case: no row to flag, nothing more to compute
            return
        m = pc.and_(_mask(mask), pc.is_null(self.reason))
        if pc.any(m).as_py():
            self.reason = pc.if_else(m, pa.scalar(reason), self.reason)

    def require(self, headers) -> None:
        for h in headers:
            self.flag(pc.is_null(self.rawcell(h)), f"missing_header:{h}")

    @staticmethod
    def missing(s: pa.Array) -> pa.Array:
        return _mask(pc.or_kleene(pc.is_null(s), pc.is_in(s, value_set=pa.array(["-", ""]))))

    def int_(self, h: str, dtype=I32, s: pa.Array | None = None) -> pa.Array:
        s = self.rawcell(h) if s is None else s
        # fast path: a column of plain digits and "-" casts in one kernel; anything else takes the checked path
        plain = pc.if_else(pc.is_in(s, value_set=_MISSING), pa.scalar(None, pa.string()), s)
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
        ok = _mask(pc.match_substring_regex(s, rf"^\d{{1,{digits}}}$"))
        neg = _mask(pc.match_substring_regex(s, r"^-\d+$"))
        self.flag(neg, f"negative_count:{h}")
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.invert(ok)), f"non_numeric:{h}")
        return pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), dtype)

    def shown(self, h: str) -> pa.Array:
        """A rate as the site shows it (truncated); null for `-` or a header the list lacks."""
        if not self.has(h):
            return pa.nulls(self.n, pa.float64())
        s = self.cell(h)
        ok = _mask(pc.match_substring_regex(s, r"^\d+(\.\d+)?$"))
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.invert(ok)), f"non_numeric:{h}")
        return pc.cast(pc.if_else(ok, s, pa.scalar(None, pa.string())), pa.float64())

    def regex(self, h: str, pattern: str, reason: str) -> pa.StructArray:
        s = self.cell(h)
        parts = pc.extract_regex(s, pattern)
        self.flag(pc.and_(pc.invert(self.missing(s)), pc.is_null(parts)), f"{reason}:{h}")
        return parts

    def group_int(self, parts: pa.StructArray, name: str, dtype=I32) -> pa.Array:
        v = parts.field(name)
        v = pc.if_else(pc.equal(v, ""), pa.scalar(None, pa.string()), v)
        return pc.cast(v, dtype)


def _div(a: pa.Array, b: pa.Array, scale: float = 1.0) -> pa.Array:
    """a / b × scale as float64; null where b is 0 or either side is null."""
    a = pc.cast(a, pa.float64())
    b = pc.cast(b, pa.float64())
    b = pc.if_else(pc.equal(b, 0.0), pa.scalar(None, pa.float64()), b)
    out = pc.divide(a, b)
    return pc.multiply(out, scale) if scale != 1.0 else out


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
    mask = pa.array(bad) if okn.all() else pa.array(bad, mask=~okn)
    dq.record(table, f"{column}_matches_site", mask, rows, {"shown": shown, "recomputed": recomputed})


def _timestamps(rows: Rows) -> pa.Array:
    s = rows.col("scraped_at")
    rows.flag(pc.is_null(s), "missing_key:scraped_at")
    utc = pa.timestamp("us", tz="UTC")
    try:  # fast path: the crawler writes ISO 8601 with a zone ("…Z")
        return pc.cast(s, utc)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = pc.utf8_trim_whitespace(s)
    ok = _mask(
        pc.match_substring_regex(s, r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)?$")
    )
    rows.flag(pc.and_(pc.is_valid(s), pc.invert(ok)), "bad_timestamp:scraped_at")
    has_zone = _mask(pc.match_substring_regex(s, r"(Z|[+-]\d\d:?\d\d)$"))
    s = pc.if_else(has_zone, s, pc.binary_join_element_wise(s, "Z", ""))  # no zone: UTC
    s = pc.if_else(ok, s, pa.scalar("1970-01-01T00:00:00Z"))
    ts = pc.cast(s, utc)
    return pc.if_else(ok, ts, pa.scalar(None, utc))


def _span(rows: Rows) -> tuple[pa.Array, pa.Array]:
    parts = rows.regex("Span", r"^(?P<start>\d{4})-(?P<end>\d{4})$", "bad_span")
    return rows.group_int(parts, "start"), rows.group_int(parts, "end")


def _balls(rows: Rows, h: str = "Overs", s: pa.Array | None = None) -> pa.Array:
    s = rows.cell(h) if s is None else s
    parts = pc.extract_regex(s, r"^(?P<o>\d{1,7})(?:\.(?P<b>[0-5]))?$")
    rows.flag(pc.and_(pc.invert(rows.missing(s)), pc.is_null(parts)), f"non_numeric:{h}")
    o = rows.group_int(parts, "o")
    b = pc.fill_null(rows.group_int(parts, "b"), 0)
    return pc.add(pc.multiply(o, 6), b)


def _best(rows: Rows, h: str) -> tuple[pa.Array, pa.Array]:
    if rows.rawcell(h).null_count == rows.n:
        return pa.nulls(rows.n, pa.int32()), pa.nulls(rows.n, pa.int32())
    parts = rows.regex(h, r"^(?P<w>\d+)/(?P<r>\d+)$", "bad_best_figures")
    return rows.group_int(parts, "w"), rows.group_int(parts, "r")


def _optional_int(rows: Rows, h: str) -> pa.Array:
    if rows.rawcell(h).null_count == rows.n:
        return pa.nulls(rows.n, pa.int32())
    return rows.int_(h)


# ---------------------------------------------------------------------------------------------
# Typers: each returns typed columns (by curated name) for one (kind, type) group


def _agg_batting(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c: dict[str, pa.Array] = {}
    c["start_year"], c["end_year"] = _span(rows)
    for name, h in (("matches", "Mat"), ("innings", "Inns"), ("not_outs", "NO"), ("runs", "Runs")):
        c[name] = rows.int_(h)
    hs = rows.regex("HS", r"^(?P<v>\d+)(?P<star>\*?)$", "non_numeric")
    c["high_score"] = rows.group_int(hs, "v")
    c["high_score_not_out"] = pc.if_else(
        pc.is_null(hs), pa.scalar(None, pa.bool_()), pc.equal(hs.field("star"), "*")
    )
    c["balls_faced"] = _optional_int(rows, "BF")
    for name, h in (("hundreds", "100"), ("fifties", "50"), ("ducks", "0"), ("fours", "4s"), ("sixes", "6s")):
        c[name] = _optional_int(rows, h)
    rows.flag(pc.greater(c["not_outs"], c["innings"]), "impossible:not_outs>innings")
    c["average"] = _div(c["runs"], pc.subtract(c["innings"], c["not_outs"]))
    c["strike_rate"] = _div(c["runs"], c["balls_faced"], 100.0)
    ok = pc.is_null(rows.reason)
    check_truncation(dq, table, "average", rows.shown("Ave"), c["average"], 2, rows.sub, ok)
    if rows.rawcell("SR").null_count < rows.n:
        check_truncation(dq, table, "strike_rate", rows.shown("SR"), c["strike_rate"], 2, rows.sub, ok)
    return c


def _agg_bowling(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c: dict[str, pa.Array] = {}
    c["start_year"], c["end_year"] = _span(rows)
    c["matches"], c["innings"] = rows.int_("Mat"), rows.int_("Inns")
    c["balls"] = _balls(rows)
    c["maidens"], c["runs_conceded"], c["wickets"] = rows.int_("Mdns"), rows.int_("Runs"), rows.int_("Wkts")
    c["best_innings_wickets"], c["best_innings_runs"] = _best(rows, "BBI")
    c["best_match_wickets"], c["best_match_runs"] = _best(rows, "BBM")
    c["four_wickets"], c["five_wickets"], c["ten_wickets"] = (
        _optional_int(rows, h) for h in ("4", "5", "10")
    )
    c["average"] = _div(c["runs_conceded"], c["wickets"])
    c["economy"] = _div(c["runs_conceded"], c["balls"], 6.0)
    c["strike_rate"] = _div(c["balls"], c["wickets"])
    ok = pc.is_null(rows.reason)
    for col, h, d in (("average", "Ave", 2), ("economy", "Econ", 2), ("strike_rate", "SR", 1)):
        check_truncation(dq, table, col, rows.shown(h), c[col], d, rows.sub, ok)
    return c


def _agg_fielding(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c: dict[str, pa.Array] = {}
    c["start_year"], c["end_year"] = _span(rows)
    c["matches"], c["innings"] = rows.int_("Mat"), rows.int_("Inns")
    c["dismissals"], c["caught"], c["stumped"] = rows.int_("Dis"), rows.int_("Ct"), rows.int_("St")
    c["caught_keeper"], c["caught_fielder"] = _optional_int(rows, "Ct Wk"), _optional_int(rows, "Ct Fi")
    if rows.rawcell("MD").null_count < rows.n:
        md = rows.regex("MD", r"^(?P<d>\d+)(?:\s*\((?P<ct>\d+)ct (?P<st>\d+)st\))?$", "non_numeric")
        c["max_dismissals_innings"] = rows.group_int(md, "d")
        zero = pc.equal(c["max_dismissals_innings"], 0)
        c["max_dismissals_caught"] = pc.if_else(zero, 0, rows.group_int(md, "ct"))
        c["max_dismissals_stumped"] = pc.if_else(zero, 0, rows.group_int(md, "st"))
    else:
        c["max_dismissals_innings"] = c["max_dismissals_caught"] = c["max_dismissals_stumped"] = pa.nulls(
            rows.n, pa.int32()
        )
    c["dismissals_per_innings"] = _div(c["dismissals"], c["innings"])
    ok = pc.is_null(rows.reason)
    check_truncation(
        dq, table, "dismissals_per_innings", rows.shown("D/I"), c["dismissals_per_innings"], 3, rows.sub, ok
    )
    return c


def _innings_common(rows: Rows, typ: str) -> tuple[dict[str, pa.Array], pa.Array]:
    c: dict[str, pa.Array] = {}
    marker_cell = rows.cell(MARKER_HEADER[typ])
    marker = pc.utf8_lower(marker_cell)
    is_marker = _mask(pc.is_in(marker, value_set=pa.array(list(PARTICIPATION_MARKERS))))
    c["participation"] = pc.if_else(is_marker, marker, pa.scalar(PLAYED[typ]))
    mid = rows.col("match_id")
    rows.flag(pc.is_null(mid), "missing_key:match_id")
    c["match_id"] = rows.int_("match_id", pa.int64(), s=pc.utf8_trim_whitespace(mid))
    c["innings_number"] = rows.int_("Inns")
    d = rows.cell("Start Date")
    # match dates repeat across a block's rows: parse each distinct one once
    uniq = pc.unique(d)
    date = pc.strptime(uniq, format="%d %b %Y", unit="s", error_is_null=True).take(
        pc.index_in(d, value_set=uniq)
    )
    rows.flag(pc.and_(pc.invert(rows.missing(d)), pc.is_null(date)), "bad_date:Start Date")
    c["match_date"] = pc.cast(date, pa.date32())
    opp = rows.cell("Opposition")
    c["opposition"] = pc.if_else(pc.starts_with(opp, "v "), pc.utf8_slice_codeunits(opp, 2), opp)
    c["ground"] = rows.cell("Ground")
    c["position"] = _optional_int(rows, "Pos")
    return c, is_marker


def _null_where(a: pa.Array, mask: pa.Array) -> pa.Array:
    return pc.if_else(mask, pa.scalar(None, a.type), a)


def _innings_batting(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c, dnb = _innings_common(rows, "batting")
    runs_cell = pc.if_else(dnb, pa.scalar(None, pa.string()), rows.cell("Runs"))
    parts = pc.extract_regex(runs_cell, r"^(?P<v>\d{1,5})(?P<star>\*?)$")
    rows.flag(pc.and_(pc.invert(rows.missing(runs_cell)), pc.is_null(parts)), "non_numeric:Runs")
    c["runs"] = rows.group_int(parts, "v")
    c["not_out"] = pc.if_else(
        pc.is_null(parts), pa.scalar(None, pa.bool_()), pc.equal(parts.field("star"), "*")
    )
    for name, h in (("minutes", "Mins"), ("balls_faced", "BF"), ("fours", "4s"), ("sixes", "6s")):
        c[name] = _null_where(_optional_int(rows, h), dnb)
    dis = rows.cell("Dismissal")
    c["dismissal"] = _null_where(pc.if_else(rows.missing(dis), pa.scalar(None, pa.string()), dis), dnb)
    c["strike_rate"] = _div(c["runs"], c["balls_faced"], 100.0)
    ok = pc.is_null(rows.reason)
    if rows.rawcell("SR").null_count < rows.n:
        check_truncation(dq, table, "strike_rate", rows.shown("SR"), c["strike_rate"], 2, rows.sub, ok)
    return c


def _innings_bowling(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c, dnb = _innings_common(rows, "bowling")
    overs = pc.if_else(dnb, pa.scalar(None, pa.string()), rows.cell("Overs"))
    c["balls"] = _balls(rows, "Overs", overs)
    for name, h in (("maidens", "Mdns"), ("runs_conceded", "Runs"), ("wickets", "Wkts")):
        c[name] = _null_where(rows.int_(h), dnb)
    c["economy"] = _div(c["runs_conceded"], c["balls"], 6.0)
    ok = pc.is_null(rows.reason)
    if rows.rawcell("Econ").null_count < rows.n:
        check_truncation(dq, table, "economy", rows.shown("Econ"), c["economy"], 2, rows.sub, ok)
    return c


def _innings_fielding(rows: Rows, dq: DQ, table: str) -> dict[str, pa.Array]:
    c, dnf = _innings_common(rows, "fielding")
    dis = pc.if_else(dnf, pa.scalar(None, pa.string()), rows.cell("Dis"))
    c["dismissals"] = rows.int_("Dis", s=dis)
    c["caught"], c["stumped"] = _null_where(rows.int_("Ct"), dnf), _null_where(rows.int_("St"), dnf)
    c["caught_keeper"] = _null_where(_optional_int(rows, "Ct Wk"), dnf)
    c["caught_fielder"] = _null_where(_optional_int(rows, "Ct Fi"), dnf)
    return c


TYPERS = {
    ("agg", "batting"): _agg_batting,
    ("agg", "bowling"): _agg_bowling,
    ("agg", "fielding"): _agg_fielding,
    ("innings", "batting"): _innings_batting,
    ("innings", "bowling"): _innings_bowling,
    ("innings", "fielding"): _innings_fielding,
}

PLAYER_CELLS_SCHEMA = pa.schema(
    [
        ("player_id", pa.int64()),
        ("name", pa.string()),
        ("teams", pa.list_(pa.string())),
        ("country", pa.string()),
        ("scraped_at", pa.timestamp("us", tz="UTC")),
        ("source_url", pa.string()),
        ("run_id", pa.string()),
        ("_seq", pa.int64()),
    ]
)


class Mapper:
    """Maps raw Arrow tables to typed tables per curated table; rejects and DQ findings go to their sinks."""

    def __init__(self, rejects: Rejects, dq: DQ) -> None:
        self.rejects = rejects
        self.dq = dq
        self.seq = 0
        self.rows_in = 0
        self.skipped_blank = 0

    def map(self, raw: pa.Table) -> dict[str, pa.Table]:
        n = raw.num_rows
        self.rows_in += n
        seq = pa.array(np.arange(self.seq, self.seq + n, dtype=np.int64))
        self.seq += n
        raw = raw.append_column("_seq", seq)
        base = Rows(raw)
        record = base.col("record")
        cls = base.col("class")
        typ = base.col("type")
        grouping = base.col("grouping")
        base.flag(pc.is_null(record), "missing_key:record")
        base.flag(
            pc.invert(pc.is_in(record, value_set=pa.array(["career", "innings", "player_career"]))),
            "unknown_record",
        )
        base.flag(pc.is_null(base.col("player_id")), "missing_key:player_id")
        base.flag(pc.less_equal(base.col("player_id"), 0), "wrong_type:player_id")
        base.flag(pc.is_null(typ), "missing_key:type")
        base.flag(pc.invert(pc.is_in(typ, value_set=pa.array(TYPES))), "unknown_type")
        base.flag(pc.is_null(raw.column("cells")), "missing_key:cells")
        listed = pc.is_in(record, value_set=pa.array(["career", "innings"]))
        base.flag(pc.and_(listed, pc.is_null(cls)), "missing_key:class")
        known_cls = pc.is_in(cls, value_set=pa.array([*FORMAT_BY_CLASS, ALL_FORMATS_CLASS], pa.int64()))
        base.flag(pc.and_(listed, pc.invert(known_cls)), "unknown_class")
        pcar = pc.equal(record, "player_career")
        base.flag(pc.and_(pcar, pc.is_null(grouping)), "missing_key:grouping")
        # blank separator rows of the Career summary are layout, not data
        blank = _mask(pc.and_(pcar, pc.equal(pc.utf8_trim_whitespace(grouping), "")))
        self.skipped_blank += pc.sum(blank).as_py() or 0
        keep = pc.invert(blank)
        ts = _timestamps(base)
        raw = raw.append_column("_ts", ts)
        self._block, self._seq0 = raw, self.seq - n
        bad = pc.and_(pc.is_valid(base.reason), keep)
        if pc.any(bad).as_py():
            self._reject(raw.filter(bad), base.reason.filter(bad))
        flat = raw.flatten()  # zero-copy: one column per header, so groups copy only the headers they read
        ok = pc.and_(pc.is_null(base.reason), keep)
        if not pc.all(ok).as_py():
            flat = flat.filter(ok)
        out: dict[str, list[pa.Table]] = {}
        if flat.num_rows:
            self._player_cells(flat, out)
        rec = flat.column("record")
        typ = flat.column("type")
        innings_mask = pc.equal(rec, "innings")
        for kind, kmask in (("agg", pc.invert(innings_mask)), ("innings", innings_mask)):
            for t in TYPES:
                m = _mask(pc.and_(kmask, pc.equal(typ, t)))
                n_m = pc.sum(m).as_py() or 0
                if not n_m:
                    continue
                cols = [
                    *BASE_COLUMNS,
                    *(c for h in HEADERS[(kind, t)] if (c := f"cells.{h}") in flat.column_names),
                ]
                sub = flat.select(cols)
                self._type_group(kind, t, sub if n_m == flat.num_rows else sub.filter(m), out)
        return {k: pa.concat_tables(v) if len(v) > 1 else v[0] for k, v in out.items()}

    def _reject_seq(self, seq: pa.Array, reasons: pa.Array, tables: list) -> None:
        """Reject rows of the current block by their sequence numbers, with the block's full raw rows."""
        idx = pc.subtract(seq, self._seq0)
        self._reject(self._block.take(idx), reasons, tables)

    def _reject(self, raw: pa.Table, reasons: pa.Array, tables: list | None = None) -> None:
        if not raw.num_rows:
            return
        raw = raw.drop_columns([c for c in ("_seq", "_ts") if c in raw.column_names])
        self.rejects.add_rows(raw, reasons.to_pylist(), tables or [None] * raw.num_rows)

    def _player_cells(self, flat: pa.Table, out: dict) -> None:
        """The newest player cell of each player in this block (the lists' name and teams for `players`)."""
        slim = flat.select(["player_id", "player_cell", "_ts", "_seq", "source_url", "run_id"])
        slim = slim.filter(pc.is_valid(slim.column("player_cell")))
        if not slim.num_rows:
            return
        slim = slim.sort_by([("player_id", "ascending"), ("_ts", "descending"), ("_seq", "descending")])
        pid = slim.column("player_id").to_numpy()
        first = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
        g = slim.take(pa.array(first))
        name, teams, country = player_cell_columns(g.column("player_cell").combine_chunks())
        tb = pa.table(
            [
                g.column("player_id"),
                name,
                teams,
                country,
                g.column("_ts"),
                g.column("source_url"),
                g.column("run_id"),
                g.column("_seq"),
            ],
            schema=PLAYER_CELLS_SCHEMA,
        )
        out.setdefault("_player_cells", []).append(tb)

    def _type_group(self, kind: str, typ: str, sub: pa.Table, out: dict) -> None:
        rows = Rows(sub)
        rows.require(REQUIRED[(kind, typ)])
        record = rows.col("record")
        cls = rows.col("class")
        grouping = rows.col("grouping")
        if kind == "innings":
            target = pa.array([f"{typ}_innings"] * rows.n)
            by_class = pc.take(pa.array([FORMAT_BY_CLASS.get(i) for i in range(12)]), pc.fill_null(cls, 0))
            label = pc.utf8_lower(pc.fill_null(rows.col("match_label"), ""))
            prefix = pc.extract_regex(label, r"^(?P<f>[a-z0-9]+)\s*#").field("f")
            by_label = _map_unique(prefix, lambda v: FORMAT_BY_MATCH_LABEL.get(v), pa.string())
            fmt = pc.coalesce(by_class, by_label)
            rows.flag(pc.is_null(fmt), "unknown_class:format")
            kindcol = groupcol = pa.nulls(rows.n, pa.string())
        else:
            is_list = pc.equal(record, "career")
            summary_fmt = _map_unique(
                pc.fill_null(grouping, ""), lambda v: FORMAT_BY_SUMMARY_LABEL.get(v), pa.string()
            )
            in_summary = pc.and_(
                pc.equal(record, "player_career"), pc.equal(rows.col("caption"), "Career summary")
            )
            summary_fmt = pc.if_else(in_summary, summary_fmt, pa.scalar(None, pa.string()))
            by_class = pc.take(pa.array([FORMAT_BY_CLASS.get(i) for i in range(12)]), pc.fill_null(cls, 0))
            fmt = pc.if_else(is_list, by_class, summary_fmt)
            is_career = _mask(pc.is_valid(fmt))
            target = pc.if_else(is_career, pa.scalar(f"{typ}_career"), pa.scalar(f"{typ}_splits"))
            overall = pc.or_(is_list, pc.equal(pc.fill_null(rows.col("caption"), ""), "Career averages"))
            groupcol = pc.if_else(overall, pa.scalar("overall"), pc.utf8_trim_whitespace(grouping))
            kindcol = _map_unique(groupcol, grouping_kind, pa.string())
            kindcol = pc.if_else(is_career, pa.scalar(None, pa.string()), kindcol)
            groupcol = pc.if_else(is_career, pa.scalar(None, pa.string()), groupcol)
        typed = TYPERS[(kind, typ)](rows, self.dq, f"{typ}_{'innings' if kind == 'innings' else 'career'}")
        name, _, country = player_cell_columns(rows.col("player_cell"), with_teams=False)
        common = {
            "player_id": rows.col("player_id"),
            "name": name,
            "country": country,
            "format": fmt,
            "grouping_kind": kindcol,
            "grouping": groupcol,
            "run_id": rows.col("run_id"),
            "scraped_at": rows.col("_ts"),
            "source_url": rows.col("source_url"),
            "_seq": rows.col("_seq"),
        }
        bad = pc.is_valid(rows.reason)
        if pc.any(bad).as_py():
            self._reject_seq(
                rows.col("_seq").filter(bad), rows.reason.filter(bad), target.filter(bad).to_pylist()
            )
        ok = pc.invert(bad)
        for tname in pc.unique(target.filter(ok)).to_pylist():
            m = pc.and_(ok, pc.equal(target, tname))
            every = pc.all(m).as_py()  # the usual case (an innings group, no rejects): nothing to filter
            sch = staging_schema(tname)
            cols = []
            for f in sch:
                arr = typed.get(f.name, common.get(f.name))
                arr = pa.nulls(rows.n, f.type) if arr is None else arr
                cols.append(pc.cast(arr if every else arr.filter(m), f.type))
            out.setdefault(tname, []).append(pa.table(cols, schema=sch))


def staging_schema(table: str) -> pa.Schema:
    """The curated schema plus the input sequence number used to break scraped_at ties."""
    return curated_schema(table).append(pa.field("_seq", pa.int64()))
