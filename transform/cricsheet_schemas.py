"""The Cricsheet tables' Arrow schemas: matches, deliveries, people, reconciliation (its innings: schemas.TABLES)."""

from __future__ import annotations

import pyarrow as pa

i32 = pa.int32()
i64 = pa.int64()
s = pa.string()
b = pa.bool_()
d32 = pa.date32()


def _schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in fields])


CRICSHEET_TABLES: dict[str, pa.Schema] = {
    "matches": _schema(
        [
            (
                "match_id",
                i64,
            ),  # the file's name: Cricinfo's match id, as far as is known (checked in reconciliation)
            ("format", s),  # test | odi | t20i | wtest | wodi | wt20i
            ("gender", s),
            ("match_type", s),  # Cricsheet's: Test, ODI, T20, IT20
            ("match_type_number", i32),
            ("start_date", d32),
            ("end_date", d32),
            ("days", i32),  # dates listed (a reserve day included)
            ("venue", s),
            ("city", s),
            ("team1", s),  # Cricsheet's names ("England" for either gender)
            ("team2", s),
            ("team1_id", s),  # cricket_contract/teams.csv ids (ENG, ENG-W)
            ("team2_id", s),
            ("toss_winner", s),
            ("toss_decision", s),
            ("winner", s),
            ("result", s),  # draw | tie | no result; null when a side won
            ("by_runs", i32),
            ("by_wickets", i32),
            ("by_innings", i32),
            ("method", s),  # D/L, VJD, Awarded, …
            ("eliminator", s),  # the side that won a tie's super over or bowl-out
            ("event", s),
            ("event_stage", s),
            ("event_match_number", i32),
            ("season", s),
            ("balls_per_over", i32),
            ("overs", i32),  # scheduled overs a side (limited-overs matches)
            ("innings", i32),  # team innings, super overs left out
            ("super_overs", i32),
            ("data_version", s),
            ("created", d32),
            ("revision", i32),
            ("archive", s),
            ("member", s),
        ]
    ),
    "deliveries": _schema(
        [
            ("match_id", i64),
            ("format", s),
            ("innings", i32),  # team innings number (super overs numbered on after the match's innings)
            ("super_over", b),
            ("batting_team", s),
            ("over", i32),  # 0-based, as Cricsheet numbers them
            ("ball", i32),  # 1-based position in the over, wides and no-balls included
            ("batter_id", s),  # Cricsheet person identifiers
            ("bowler_id", s),
            ("non_striker_id", s),
            ("batter", s),
            ("bowler", s),
            ("non_striker", s),
            ("runs_batter", i32),
            ("runs_extras", i32),
            ("runs_total", i32),
            ("non_boundary", b),
            ("wides", i32),
            ("noballs", i32),
            ("byes", i32),
            ("legbyes", i32),
            ("penalty", i32),
            ("wicket_kind", s),
            ("player_out_id", s),
            ("fielder_ids", pa.list_(s)),
            ("wickets", i32),  # wickets on this delivery (rarely two)
        ]
    ),
    "people": _schema(
        [
            ("identifier", s),
            ("name", s),
            ("unique_name", s),
            ("key_cricinfo", i64),
            ("key_cricinfo_2", i64),
            ("player_id", i64),  # the Cricinfo id the pipeline joins on: key_cricinfo, else key_cricinfo_2
        ]
    ),
    # One row per cell where Cricsheet's figures and Statsguru's differ for the same innings, or where a match's
    # date or teams disagree (the match-id = Cricinfo-id assumption, checked on the data).
    "reconciliation": _schema(
        [
            ("match_id", i64),
            ("format", s),
            ("innings_table", s),  # batting_innings | bowling_innings | fielding_innings | matches
            ("player_id", i64),
            ("name", s),
            ("innings_number", i32),
            ("field", s),  # the column that differs
            ("statsguru", s),
            ("cricsheet", s),
            ("finding", s),  # differs | only_statsguru | only_cricsheet | match_date | match_teams
        ]
    ),
}

CRICSHEET_KEYS: dict[str, tuple[str, ...]] = {
    "matches": ("match_id",),
    "deliveries": ("match_id", "innings", "over", "ball"),
    "people": ("identifier",),
    "reconciliation": ("match_id", "innings_table", "player_id", "innings_number", "field"),
}
