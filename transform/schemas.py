"""One explicit Arrow schema per curated table, natural keys, partitioning, and the Arrow→Athena type map."""

from __future__ import annotations

import pyarrow as pa

from transform.cricsheet_schemas import CRICSHEET_KEYS, CRICSHEET_TABLES

i32 = pa.int32()
i64 = pa.int64()
f64 = pa.float64()
s = pa.string()
b = pa.bool_()

_CAREER_KEY = [
    ("player_id", i64),
    ("name", s),
    ("country", s),
    ("format", s),
    ("start_year", i32),
    ("end_year", i32),
]
_INNINGS_KEY = [
    ("player_id", i64),
    ("name", s),
    ("country", s),
    ("format", s),
    ("match_id", i64),
    ("match_date", pa.date32()),
    ("innings_number", i32),
    ("opposition", s),
    ("ground", s),
    ("participation", s),
]

_BATTING_COUNTS = [
    ("matches", i32),
    ("innings", i32),
    ("not_outs", i32),
    ("runs", i32),
    ("high_score", i32),
    ("high_score_not_out", b),
    ("average", f64),
    ("balls_faced", i32),
    ("strike_rate", f64),
    ("hundreds", i32),
    ("fifties", i32),
    ("ducks", i32),
    ("fours", i32),
    ("sixes", i32),
]
_BOWLING_COUNTS = [
    ("matches", i32),
    ("innings", i32),
    ("balls", i32),
    ("maidens", i32),
    ("runs_conceded", i32),
    ("wickets", i32),
    ("best_innings_wickets", i32),
    ("best_innings_runs", i32),
    ("best_match_wickets", i32),
    ("best_match_runs", i32),
    ("average", f64),
    ("economy", f64),
    ("strike_rate", f64),
    ("four_wickets", i32),
    ("five_wickets", i32),
    ("ten_wickets", i32),
]
_FIELDING_COUNTS = [
    ("matches", i32),
    ("innings", i32),
    ("dismissals", i32),
    ("caught", i32),
    ("stumped", i32),
    ("caught_keeper", i32),
    ("caught_fielder", i32),
    ("max_dismissals_innings", i32),
    ("dismissals_per_innings", f64),
]
_SPLIT_KEY = [
    ("player_id", i64),
    ("name", s),
    ("country", s),
    ("grouping_kind", s),
    ("grouping", s),
    ("start_year", i32),
    ("end_year", i32),
]


# Where an innings row comes from: `statsguru` (the results lists) or `cricsheet` (computed from the deliveries,
# transform/cricsheet.py); cricket_contract.vocabulary.INNINGS_SOURCES. Both sources' rows share the table.
_SOURCE = ("source", s)


def _schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in fields])


# Business columns of every curated table. `python -m replica truth` writes exactly these.
TABLES: dict[str, pa.Schema] = {
    "players": _schema(
        [
            ("player_id", i64),
            ("name", s),
            ("full_name", s),
            ("country", s),
            ("teams", pa.list_(s)),
            ("gender", s),  # "male" | "female"
            ("date_of_birth", pa.date32()),
            ("batting_style", s),  # long form, e.g. "right-hand bat"
            ("bowling_style", s),  # long form, e.g. "right-arm medium"; null when none
            ("playing_role", s),  # e.g. "allrounder", "opening batter"
        ]
    ),
    "batting_career": _schema(_CAREER_KEY + _BATTING_COUNTS),
    "bowling_career": _schema(_CAREER_KEY + _BOWLING_COUNTS),
    "fielding_career": _schema(_CAREER_KEY + _FIELDING_COUNTS),
    "batting_innings": _schema(
        _INNINGS_KEY
        + [
            ("runs", i32),
            ("not_out", b),
            ("minutes", i32),
            ("balls_faced", i32),
            ("fours", i32),
            ("sixes", i32),
            ("strike_rate", f64),
            ("position", i32),
            ("dismissal", s),
            _SOURCE,
        ]
    ),
    "bowling_innings": _schema(
        _INNINGS_KEY
        + [
            ("balls", i32),
            ("maidens", i32),
            ("runs_conceded", i32),
            ("wickets", i32),
            ("economy", f64),
            ("position", i32),
            _SOURCE,
        ]
    ),
    "fielding_innings": _schema(
        _INNINGS_KEY
        + [
            ("dismissals", i32),
            ("caught", i32),
            ("stumped", i32),
            ("caught_keeper", i32),
            ("caught_fielder", i32),
            _SOURCE,
        ]
    ),
    "batting_splits": _schema(_SPLIT_KEY + _BATTING_COUNTS),
    "bowling_splits": _schema(_SPLIT_KEY + _BOWLING_COUNTS),
    "fielding_splits": _schema(_SPLIT_KEY + _FIELDING_COUNTS),
    # The team dimension (cricket_contract/teams.csv, written by every run): `country` and `opposition` of the
    # other tables hold its `team_id`; `nation` is the same for a country's men's and women's sides.
    "teams": _schema(
        [
            ("team_id", s),
            ("name", s),  # "England", "England Women"
            ("gender", s),  # "male" | "female"
            ("kind", s),  # "full member" | "associate" | "composite" | "historic side"
            ("nation", s),  # "England" for ENG and ENG-W; null for composites
            ("player_codes", pa.list_(s)),  # every player-cell code the site uses ("INDIA", "IND")
            ("opposition", pa.list_(s)),  # every Opposition text, without "v " ("U.A.E.", "ENG Women")
            ("statsguru_id", i64),  # the `team=` filter value, where known
            ("espn_country_id", i64),  # the athlete JSON's `country` for a player of this side
        ]
    ),
}

# Tables the replica's ground truth covers (splits come only from player pages).
TRUTH_TABLES = (
    "players",
    "batting_career",
    "bowling_career",
    "fielding_career",
    "batting_innings",
    "bowling_innings",
    "fielding_innings",
)

NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "players": ("player_id",),
    "batting_career": ("player_id", "format"),
    "bowling_career": ("player_id", "format"),
    "fielding_career": ("player_id", "format"),
    # per source: Statsguru and Cricsheet may both have an innings (the `*_innings_preferred` views pick one)
    "batting_innings": ("source", "player_id", "match_id", "innings_number"),
    "bowling_innings": ("source", "player_id", "match_id", "innings_number"),
    "fielding_innings": ("source", "player_id", "match_id", "innings_number"),
    "batting_splits": ("player_id", "grouping_kind", "grouping"),
    "bowling_splits": ("player_id", "grouping_kind", "grouping"),
    "fielding_splits": ("player_id", "grouping_kind", "grouping"),
    "teams": ("team_id",),
}

# Cricsheet's own tables (transform/cricsheet_schemas.py), written from `cricsheet` raw runs by transform/cricsheet.py
# (which also writes its innings from the deliveries into the innings tables, `source` = `cricsheet`).
CRICSHEET = tuple(CRICSHEET_TABLES)
TABLES.update(CRICSHEET_TABLES)
NATURAL_KEYS.update(CRICSHEET_KEYS)

# Tables holding rows of more than one source, told apart by `source`: the innings tables.
SOURCED = tuple(t for t, sch in TABLES.items() if "source" in sch.names)

# Tables written from the repo's own data (cricket_contract/teams.csv), not from the raw zone: they do not make a
# run that read nothing worth publishing.
REFERENCE_TABLES = frozenset({"teams"})

# Tables partitioned by `format` on disk (Hive style `format=test/`); the others are unpartitioned.
PARTITIONED = frozenset(t for t, sch in TABLES.items() if "format" in sch.names)

# Milliseconds: Athena reads Parquet timestamps as milliseconds (microseconds come out wrong there).
SCRAPED_AT = pa.timestamp("ms", tz="UTC")
LINEAGE = [
    pa.field("run_id", s),
    pa.field("scraped_at", SCRAPED_AT),
    pa.field("source_url", s),
]


# Columns the transformer adds beyond the replica's truth contract: the catches and stumpings of the
# fielding "MD" cell (`5 (5ct 0st)`). Kept out of TABLES so the truth's column set stays as agreed.
EXTRA_COLUMNS: dict[str, list[pa.Field]] = {
    t: [pa.field("max_dismissals_caught", i32), pa.field("max_dismissals_stumped", i32)]
    for t in ("fielding_career", "fielding_splits")
}


def curated_schema(table: str) -> pa.Schema:
    """The Parquet schema of a curated table: business columns, extra derived columns, then lineage."""
    sch = TABLES[table]
    for f in EXTRA_COLUMNS.get(table, []):
        sch = sch.append(f)
    for f in LINEAGE:
        sch = sch.append(f)
    return sch


_ATHENA_SCALARS: dict[pa.DataType, str] = {
    pa.bool_(): "boolean",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.string(): "string",
    pa.large_string(): "string",
    pa.date32(): "date",
}


def arrow_to_athena(t: pa.DataType) -> str:
    """Athena (Hive DDL) type for an Arrow type; raises TypeError for a type without a known mapping."""
    if t in _ATHENA_SCALARS:
        return _ATHENA_SCALARS[t]
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{arrow_to_athena(t.value_type)}>"
    if pa.types.is_struct(t):
        inner = ",".join(f"{f.name}:{arrow_to_athena(f.type)}" for f in t)
        return f"struct<{inner}>"
    raise TypeError(f"no Athena type for Arrow type {t}")
