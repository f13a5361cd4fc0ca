"""Cricsheet's innings against Statsguru's for the same (player, match, innings): every differing cell a finding,
and each match's date and teams checked (a Cricsheet file name is taken to be Cricinfo's match id: verified)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cricket_contract.vocabulary import SOURCE_CRICSHEET, SOURCE_STATSGURU
from cricket_storage import Location

COMPARED = {
    "batting_innings": ("runs", "not_out", "balls_faced", "fours", "sixes"),
    "bowling_innings": ("balls", "maidens", "runs_conceded", "wickets"),
    "fielding_innings": ("caught", "stumped"),
}
PLAYED = {"batting_innings": "batted", "bowling_innings": "bowled", "fielding_innings": "fielded"}
KEY = ("player_id", "match_id", "innings_number")


def _read(files: list[str], columns: list[str], match_ids: pa.Array | None = None) -> pa.Table:
    """The columns of a written table (its partition column `format` included), only `match_ids`' rows."""
    parts = []
    for uri in files:
        loc = Location.parse(uri)
        fs, path = loc.arrow()
        tb = pq.read_table(fs.open_input_file(path), columns=[c for c in columns if c != "format"])
        fmt = loc.parent.name.removeprefix("format=") if loc.parent.name.startswith("format=") else None
        if "format" in columns:
            tb = tb.append_column("format", pa.array([fmt] * tb.num_rows, pa.string()))
        if match_ids is not None:
            tb = tb.filter(pc.is_in(tb.column("match_id"), value_set=match_ids))
        parts.append(tb.select(columns))
    return pa.concat_tables(parts) if parts else pa.table({c: pa.array([], pa.null()) for c in columns})


def findings(tables: dict) -> Iterator[dict]:
    """Reconciliation rows (transform/cricsheet_schemas.py) from the written tables' metas."""
    matches = _read(tables["matches"]["files"], ["match_id", "format", "start_date", "team1_id", "team2_id"])
    if not matches.num_rows:
        return
    ids = matches.column("match_id").combine_chunks()
    by_match = {r["match_id"]: r for r in matches.to_pylist()}
    seen_in_statsguru: dict[int, tuple] = {}
    for table, cols in COMPARED.items():
        want = [
            "player_id",
            "name",
            "match_id",
            "innings_number",
            "participation",
            "match_date",
            "country",
            "opposition",
            *cols,
        ]
        both = _read(tables[table]["files"], [*want, "format", "source"], ids).to_pylist()
        sg = [r for r in both if r["source"] == SOURCE_STATSGURU]
        cs = [r for r in both if r["source"] == SOURCE_CRICSHEET]
        for r in sg:
            seen_in_statsguru.setdefault(r["match_id"], (r["match_date"], {r["country"], r["opposition"]}))
        sg_rows = {tuple(r[k] for k in KEY): r for r in sg if r["participation"] == PLAYED[table]}
        cs_rows = {tuple(r[k] for k in KEY): r for r in cs}
        sg_matches = {k[1] for k in sg_rows}
        for key, c in cs_rows.items():
            s = sg_rows.get(key)
            if s is None:
                if key[1] in sg_matches:
                    yield _row(c, table, None, "only_cricsheet", None, None)
                continue
            for col in cols:
                if s[col] is not None and c[col] != s[col]:
                    yield _row(c, table, col, "differs", s[col], c[col])
        for key, s in sg_rows.items():
            if key not in cs_rows and key[1] in by_match:
                fmt = by_match[key[1]]["format"]
                yield _row({**s, "format": fmt}, table, None, "only_statsguru", None, None)
    for mid, (date, teams) in sorted(seen_in_statsguru.items()):
        m = by_match[mid]
        base = {
            "match_id": mid,
            "format": m["format"],
            "player_id": None,
            "name": None,
            "innings_number": None,
        }
        if date is not None and m["start_date"] is not None and abs((date - m["start_date"]).days) > 1:
            yield {**base, "innings_table": "matches", "field": "match_date", "statsguru": str(date),
                   "cricsheet": str(m["start_date"]), "finding": "match_date"}  # fmt: skip
        mine = {m["team1_id"], m["team2_id"]}
        if teams - {None} and teams != mine:
            yield {**base, "innings_table": "matches", "field": "teams", "statsguru": ",".join(sorted(t or "" for t in teams)),
                   "cricsheet": ",".join(sorted(t or "" for t in mine)), "finding": "match_teams"}  # fmt: skip


def _row(r: dict, table: str, col: str | None, finding: str, sg, cs) -> dict:
    return {
        "match_id": r["match_id"],
        "format": r.get("format"),
        "innings_table": table,
        "player_id": r["player_id"],
        "name": r.get("name"),
        "innings_number": r["innings_number"],
        "field": col,
        "statsguru": None if sg is None else str(sg),
        "cricsheet": None if cs is None else str(cs),
        "finding": finding,
    }
