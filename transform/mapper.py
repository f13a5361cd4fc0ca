"""Row routing: raw Arrow blocks → (view, type) groups → curated tables, with format, grouping and player cells."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cricket_contract.columns import columns, required_headers
from cricket_contract.records import NULLABLE_KEYS, REQUIRED_KEYS
from cricket_contract.teams import country_of, team_of_code, team_of_opposition, unknown_codes
from cricket_contract.vocabulary import (
    ALL_MEN_CLASS,
    CAREER,
    FORMAT_BY_CLASS,
    FORMAT_BY_MATCH_LABEL,
    FORMAT_BY_SUMMARY_LABEL,
    INNINGS,
    PLAYER_CAREER,
    SOURCE_STATSGURU,
    TABLE_RECORDS,
    TYPES,
)
from transform.cells import Rows, mask, timestamps
from transform.dq import DQ
from transform.read import Origin
from transform.rejects import Rejects
from transform.schemas import SCRAPED_AT, curated_schema
from transform.typers import type_columns

# The raw columns every group carries besides its own headers' cells.
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
# Every header a group's typer reads; only these columns are carried into the group (Arrow filters copy).
GROUP_HEADERS = {
    (v, t): tuple(h for c in columns(v, t) for h in c.headers) for v in ("career", "innings") for t in TYPES
}
_CHECKED_ABOVE = frozenset({"record", "class", "type", "player_id", "cells", "grouping"})
_FORMAT_OF_CLASS = pa.array([FORMAT_BY_CLASS.get(i) for i in range(ALL_MEN_CLASS + 1)])
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


def player_cell_columns(
    cell: pa.Array, with_teams: bool = True
) -> tuple[pa.Array, pa.Array | None, pa.Array, pa.Array]:
    """`BA Stokes (ENG)`, `JH Kallis (Afr/ICC/SA)` cells → (name, canonical team ids or None, country, the first
    code cricket_contract/teams.csv does not know) arrays. An unknown code is kept as the site spells it."""
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
    # team strings repeat ("ENG", "AFG/ICC"): decide the country once per distinct value, finding those once
    uniq = pc.unique(teams_text)
    at = pc.index_in(teams_text, value_set=uniq)
    codes = [None if v is None else v.split("/") for v in uniq.to_pylist()]

    def per_row(fn, out_type: pa.DataType) -> pa.Array:
        return pa.array([None if c is None else fn(c) for c in codes], type=out_type).take(at)

    country = per_row(country_of, pa.string())
    unknown = per_row(lambda c: next(iter(unknown_codes(c)), None), pa.string())
    teams = per_row(lambda c: [_canonical_code(x) for x in c], pa.list_(pa.string())) if with_teams else None
    return name, teams, country, unknown


def _canonical_code(code: str) -> str:
    t = team_of_code(code)
    return t.team_id if t is not None else code.strip()


def opposition_teams(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Opposition cells without `v ` → (canonical team ids, the texts teams.csv does not know); unknown ones keep
    the site's text."""

    uniq = pc.unique(text)
    at = pc.index_in(text, value_set=uniq)  # the distinct texts found once for both columns
    values = uniq.to_pylist()
    teams = [None if v is None else team_of_opposition(v) for v in values]
    ids = [t.team_id if t is not None else v for v, t in zip(values, teams, strict=True)]
    unknown = [None if t is not None else v for v, t in zip(values, teams, strict=True)]
    return pa.array(ids, pa.string()).take(at), pa.array(unknown, pa.string()).take(at)


def record_unknown(dq: DQ, table: str, kind: str, unknown: pa.Array, rows: pa.Table | None) -> None:
    """One DQ finding per spelling teams.csv does not know, named in the check (`unknown_team:XYZ`)."""
    if unknown.null_count == len(unknown):
        return
    for value in pc.unique(unknown.filter(pc.is_valid(unknown))).to_pylist():
        dq.record(
            table, f"{kind}:{value}", pc.fill_null(pc.equal(unknown, value), False), rows, {kind: unknown}
        )


def _map_unique(arr: pa.Array, fn, out_type: pa.DataType) -> pa.Array:
    """Apply a Python function to each distinct value only (labels and player cells repeat a lot)."""
    uniq = pc.unique(arr)
    mapped = pa.array([None if v is None else fn(v) for v in uniq.to_pylist()], type=out_type)
    return mapped.take(pc.index_in(arr, value_set=uniq))


def staging_schema(table: str) -> pa.Schema:
    """The curated schema plus the input sequence number used to break scraped_at ties."""
    return curated_schema(table).append(pa.field("_seq", pa.int64()))


PLAYER_CELLS_SCHEMA = pa.schema(
    [
        ("player_id", pa.int64()),
        ("name", pa.string()),
        ("teams", pa.list_(pa.string())),
        ("country", pa.string()),
        ("scraped_at", SCRAPED_AT),
        ("source_url", pa.string()),
        ("run_id", pa.string()),
        ("_seq", pa.int64()),
        ("_rank", pa.int8()),  # 1: a career list's cell (every side), 0: an innings row's (one side)
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

    def map(self, raw: pa.Table, origin: Origin | None = None) -> dict[str, pa.Table]:
        """Typed tables of one raw block by curated table name (`_player_cells` for the players' list cells).

        `origin` says which part and line each row came from, for the rejects.
        """
        n = raw.num_rows
        self.rows_in += n
        raw = raw.append_column("_seq", pa.array(np.arange(self.seq, self.seq + n, dtype=np.int64)))
        self.seq += n
        base = Rows(raw)
        keep = self._check_base(base, raw)
        raw = raw.append_column("_ts", timestamps(base))
        self._block, self._seq0, self._origin = raw, self.seq - n, origin
        bad = pc.and_(pc.is_valid(base.reason), keep)
        if pc.any(bad).as_py():
            self._reject(pc.indices_nonzero(bad), base.reason.filter(bad))
        flat = raw.flatten()  # zero-copy: one column per header, so groups copy only the headers they read
        ok = pc.and_(pc.is_null(base.reason), keep)
        if not pc.all(ok).as_py():
            flat = flat.filter(ok)
        out: dict[str, list[pa.Table]] = {}
        if flat.num_rows:
            self._player_cells(flat, out)
        innings_mask = pc.equal(flat.column("record"), INNINGS)
        typ = flat.column("type")
        present = set(flat.column_names)  # Table.column_names builds a new list at every call
        for view, vmask in (("career", pc.invert(innings_mask)), ("innings", innings_mask)):
            for t in TYPES:
                m = mask(pc.and_(vmask, pc.equal(typ, t)))
                n_m = pc.sum(m).as_py() or 0
                if not n_m:
                    continue
                cols = [
                    *BASE_COLUMNS,
                    *(c for h in GROUP_HEADERS[(view, t)] if (c := f"cells.{h}") in present),
                ]
                sub = flat.select(cols)
                self._type_group(view, t, sub if n_m == flat.num_rows else sub.filter(m), out)
        return {k: pa.concat_tables(v) if len(v) > 1 else v[0] for k, v in out.items()}

    def _check_base(self, base: Rows, raw: pa.Table) -> pa.Array:
        """Flag rows whose record keys are unusable; return the mask of rows that are data (not blank separators)."""
        record, cls, typ = base.col("record"), base.col("class"), base.col("type")
        grouping = base.col("grouping")
        base.flag(pc.is_null(record), "missing_key:record")
        base.flag(pc.invert(pc.is_in(record, value_set=pa.array(TABLE_RECORDS))), "unknown_record")
        base.flag(pc.is_null(base.col("player_id")), "missing_key:player_id")
        base.flag(pc.less_equal(base.col("player_id"), 0), "wrong_type:player_id")
        base.flag(pc.is_null(typ), "missing_key:type")
        base.flag(pc.invert(pc.is_in(typ, value_set=pa.array(TYPES))), "unknown_type")
        base.flag(pc.is_null(raw.column("cells")), "missing_key:cells")
        listed = pc.is_in(record, value_set=pa.array([CAREER, INNINGS]))
        base.flag(pc.and_(listed, pc.is_null(cls)), "missing_key:class")
        known_cls = pc.is_in(cls, value_set=pa.array([*FORMAT_BY_CLASS, ALL_MEN_CLASS], pa.int64()))
        base.flag(pc.and_(listed, pc.invert(known_cls)), "unknown_class")
        pcar = pc.equal(record, PLAYER_CAREER)
        base.flag(pc.and_(pcar, pc.is_null(grouping)), "missing_key:grouping")
        # the rest of the raw record spec's required keys (the slow path checks the same with the JSON Schema)
        for kind in TABLE_RECORDS:
            of_kind = None
            for key in REQUIRED_KEYS[kind]:
                if key in _CHECKED_ABOVE or key in NULLABLE_KEYS or not base.col(key).null_count:
                    continue
                of_kind = pc.equal(record, kind) if of_kind is None else of_kind
                base.flag(pc.and_(of_kind, pc.is_null(base.col(key))), f"missing_key:{key}")
        # blank separator rows of the Career summary are layout, not data
        blank = mask(pc.and_(pcar, pc.equal(pc.utf8_trim_whitespace(grouping), "")))
        self.skipped_blank += pc.sum(blank).as_py() or 0
        return pc.invert(blank)

    def _reject_seq(self, seq: pa.Array, reasons: pa.Array, tables: list) -> None:
        """Reject rows of the current block by their sequence numbers, with the block's full raw rows."""
        self._reject(pc.subtract(seq, self._seq0), reasons, tables)

    def _reject(self, idx: pa.Array, reasons: pa.Array, tables: list | None = None) -> None:
        """Reject the current block's rows at `idx`, each with its raw row, part and line."""
        if not len(idx):
            return
        raw = self._block.take(idx).drop_columns(["_seq", "_ts"])
        where = [self._origin.at(i) for i in idx.to_pylist()] if self._origin is not None else None
        self.rejects.add_rows(raw, reasons.to_pylist(), tables or [None] * raw.num_rows, where)

    def _player_cells(self, flat: pa.Table, out: dict) -> None:
        """The best player cell of each player in this block (the lists' name and teams for `players`): a career
        list's cell names every side the player appeared for, an innings row's only that innings' side, so career
        cells win; then the newest."""
        slim = flat.select(["player_id", "player_cell", "record", "_ts", "_seq", "source_url", "run_id"])
        slim = slim.filter(pc.is_valid(slim.column("player_cell")))
        if not slim.num_rows:
            return
        rank = pc.cast(pc.equal(slim.column("record"), CAREER), pa.int8())
        slim = slim.append_column("_rank", rank).drop_columns(["record"])
        # the order's indices, not a sorted copy: only each player's first row is taken, once
        order = pc.sort_indices(
            slim,
            sort_keys=[
                ("player_id", "ascending"),
                ("_rank", "descending"),
                ("_ts", "descending"),
                ("_seq", "descending"),
            ],
        )
        pid = slim.column("player_id").take(order).to_numpy()
        first = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
        g = slim.take(order.take(pa.array(first)))
        name, teams, country, _ = player_cell_columns(g.column("player_cell").combine_chunks())
        cols = [g.column("player_id"), name, teams, country, g.column("_ts"), g.column("source_url")]
        cols += [g.column("run_id"), g.column("_seq"), g.column("_rank")]
        out.setdefault("_player_cells", []).append(pa.table(cols, schema=PLAYER_CELLS_SCHEMA))

    def _route(self, view: str, typ: str, rows: Rows) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """(target table name, format, grouping_kind, grouping) of every row of a (view, type) group."""
        by_class = pc.take(_FORMAT_OF_CLASS, pc.fill_null(rows.col("class"), 0))
        if view == "innings":
            fmt = by_class
            if by_class.null_count:  # a class the map does not know: the match label ("ODI # 4567") says
                label = pc.utf8_lower(pc.fill_null(rows.col("match_label"), ""))
                prefix = pc.extract_regex(label, r"^(?P<f>[a-z0-9]+)\s*#").field("f")
                fmt = pc.coalesce(by_class, _map_unique(prefix, FORMAT_BY_MATCH_LABEL.get, pa.string()))
            rows.flag(pc.is_null(fmt), "unknown_class:format")
            nulls = pa.nulls(rows.n, pa.string())
            return pa.repeat(pa.scalar(f"{typ}_innings"), rows.n), fmt, nulls, nulls
        record, caption, grouping = rows.col("record"), rows.col("caption"), rows.col("grouping")
        is_list = pc.equal(record, CAREER)
        summary_fmt = _map_unique(pc.fill_null(grouping, ""), FORMAT_BY_SUMMARY_LABEL.get, pa.string())
        in_summary = pc.and_(pc.equal(record, PLAYER_CAREER), pc.equal(caption, "Career summary"))
        summary_fmt = pc.if_else(in_summary, summary_fmt, pa.scalar(None, pa.string()))
        fmt = pc.if_else(is_list, by_class, summary_fmt)
        is_career = mask(pc.is_valid(fmt))
        target = pc.if_else(is_career, pa.scalar(f"{typ}_career"), pa.scalar(f"{typ}_splits"))
        overall = pc.or_(is_list, pc.equal(pc.fill_null(caption, ""), "Career averages"))
        groupcol = pc.if_else(overall, pa.scalar("overall"), pc.utf8_trim_whitespace(grouping))
        kindcol = pc.if_else(
            is_career, pa.scalar(None, pa.string()), _map_unique(groupcol, grouping_kind, pa.string())
        )
        groupcol = pc.if_else(is_career, pa.scalar(None, pa.string()), groupcol)
        return target, fmt, kindcol, groupcol

    def _type_group(self, view: str, typ: str, sub: pa.Table, out: dict) -> None:
        rows = Rows(sub)
        rows.require(required_headers(view, typ))
        target, fmt, kindcol, groupcol = self._route(view, typ, rows)
        table = f"{typ}_{view}"
        typed = type_columns(view, typ, rows, self.dq, table)
        name, _, country, unknown = player_cell_columns(rows.col("player_cell"), with_teams=False)
        record_unknown(self.dq, table, "unknown_team", unknown, sub)
        if view == "innings":
            # an innings row's cell names that innings' side; a composite (`JH Kallis (Afr)`) leaves the
            # country to the player's other rows (filled from `players` when the table is written)
            typed["opposition"], unknown_opp = opposition_teams(typed["opposition"])
            record_unknown(self.dq, table, "unknown_opposition", unknown_opp, sub)
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
            "source": pa.repeat(pa.scalar(SOURCE_STATSGURU), rows.n),  # the innings tables' `source`
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
            schema = staging_schema(tname)
            cols = []
            for f in schema:
                arr = typed.get(f.name, common.get(f.name))
                arr = pa.nulls(rows.n, f.type) if arr is None else arr
                cols.append(pc.cast(arr if every else arr.filter(m), f.type))
            out.setdefault(tname, []).append(pa.table(cols, schema=schema))
