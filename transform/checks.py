"""Consistency checks over typed, de-duplicated rows (runs ≥ high score, not_outs ≤ innings, …)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from transform.dq import DQ


def _c(tb: pa.Table, name: str) -> pa.Array:
    return tb.column(name).combine_chunks()


def _checks(table: str, tb: pa.Table) -> list[tuple[str, pa.Array]]:
    """(check name, failed mask) pairs; null in a mask means the check does not apply to that row."""
    if table in ("batting_career", "batting_splits"):
        return [
            ("runs_ge_high_score", pc.less(_c(tb, "runs"), _c(tb, "high_score"))),
            ("not_outs_le_innings", pc.greater(_c(tb, "not_outs"), _c(tb, "innings"))),
            (
                "hundreds_fifties_le_innings",
                pc.greater(pc.add(_c(tb, "hundreds"), _c(tb, "fifties")), _c(tb, "innings")),
            ),
            ("ducks_le_innings", pc.greater(_c(tb, "ducks"), _c(tb, "innings"))),
            (
                "boundary_runs_le_runs",
                pc.greater(
                    pc.add(pc.multiply(_c(tb, "fours"), 4), pc.multiply(_c(tb, "sixes"), 6)), _c(tb, "runs")
                ),
            ),
        ]
    if table in ("bowling_career", "bowling_splits"):
        return [
            ("wickets_le_balls", pc.greater(_c(tb, "wickets"), _c(tb, "balls"))),
            ("maiden_balls_le_balls", pc.greater(pc.multiply(_c(tb, "maidens"), 6), _c(tb, "balls"))),
            ("best_innings_le_wickets", pc.greater(_c(tb, "best_innings_wickets"), _c(tb, "wickets"))),
            (
                "best_innings_le_best_match",
                pc.greater(_c(tb, "best_innings_wickets"), _c(tb, "best_match_wickets")),
            ),
            ("five_wickets_le_innings", pc.greater(_c(tb, "five_wickets"), _c(tb, "innings"))),
        ]
    if table in ("fielding_career", "fielding_splits"):
        return [
            (
                "dismissals_eq_caught_plus_stumped",
                pc.not_equal(_c(tb, "dismissals"), pc.add(_c(tb, "caught"), _c(tb, "stumped"))),
            ),
            (
                "caught_eq_keeper_plus_fielder",
                pc.not_equal(_c(tb, "caught"), pc.add(_c(tb, "caught_keeper"), _c(tb, "caught_fielder"))),
            ),
            (
                "max_dismissals_le_dismissals",
                pc.greater(_c(tb, "max_dismissals_innings"), _c(tb, "dismissals")),
            ),
        ]
    if table == "batting_innings":
        return [
            (
                "boundary_runs_le_runs",
                pc.greater(
                    pc.add(pc.multiply(_c(tb, "fours"), 4), pc.multiply(_c(tb, "sixes"), 6)), _c(tb, "runs")
                ),
            ),
            (
                "minutes_non_zero_when_balls_faced",
                pc.and_(pc.equal(_c(tb, "minutes"), 0), pc.greater(_c(tb, "balls_faced"), 0)),
            ),
        ]
    if table == "bowling_innings":
        return [
            ("wickets_le_10", pc.greater(_c(tb, "wickets"), 10)),
            ("maiden_balls_le_balls", pc.greater(pc.multiply(_c(tb, "maidens"), 6), _c(tb, "balls"))),
        ]
    if table == "fielding_innings":
        return [
            (
                "dismissals_eq_caught_plus_stumped",
                pc.not_equal(_c(tb, "dismissals"), pc.add(_c(tb, "caught"), _c(tb, "stumped"))),
            ),
        ]
    if table == "players":
        return [
            ("has_profile", pc.is_null(_c(tb, "full_name"))),
            ("has_country", pc.is_null(_c(tb, "country"))),
        ]
    return []


def run(dq: DQ, table: str, tb: pa.Table, profiles: bool = True) -> None:
    """Record every check of `table` over `tb`; `profiles=False` skips has_profile when no profiles were read."""
    if not tb.num_rows:
        return
    for name, mask in _checks(table, tb):
        if name == "has_profile" and not profiles:
            continue
        dq.record(table, name, mask, tb)
