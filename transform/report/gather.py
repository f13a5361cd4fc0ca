"""The data of a run report: what changed against the previous published run, freshness, new players, leaders.

Everything comes from the attempt's `report.json` (written by transform/job.py) and the Parquet files it and the
previous run's tables list, read with DuckDB; nothing here writes.
"""

from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

from cricket_contract.vocabulary import SOURCE_CRICSHEET, SOURCE_STATSGURU
from transform.query import dataset
from transform.schemas import EXTRA_COLUMNS, NATURAL_KEYS, PARTITIONED, SOURCED, TABLES, curated_schema

log = logging.getLogger(__name__)

ALL = "all"  # the "format" of an unpartitioned table (players, teams)
LEADERS = 10  # top run scorers and wicket takers per format
NEW_PLAYERS_LISTED = 25
CHANGED_EXAMPLES = 3  # per table
LAST = "\uffff"  # a key whose text is null (an innings without a number) sorts last, as ORDER BY puts nulls
INNINGS_TABLES = ("batting_innings", "bowling_innings", "fielding_innings")


class Data:
    """The tables of one curated run registered in DuckDB as `{prefix}{table}` (empty when files are gone)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, prefix: str, tables: dict) -> None:
        self.con, self.prefix, self.missing = con, prefix, []
        self.tables: set[str] = set()  # the tables this run has (the others are registered empty)
        for table in TABLES:
            meta = (tables or {}).get(table)
            if meta is not None:
                try:
                    con.register(prefix + table, dataset(table, meta))
                    con.execute(f"SELECT count(*) FROM {prefix}{table}").fetchall()  # files still there?
                    self.tables.add(table)
                    continue
                except (OSError, duckdb.Error, ValueError) as exc:
                    # a run pruned beyond --keep, or an attempt whose data was discarded: say so, show the rest
                    log.warning("report: table %s of a compared run is not readable: %s", table, exc)
                    self.missing.append(table)
            con.register(prefix + table, curated_schema(table).empty_table())

    def name(self, table: str) -> str:
        return self.prefix + table

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()


def labelled(table: str, source: str | None) -> str:
    """The report's name for one source's rows of a table: an innings table's Statsguru rows keep the table's
    name (they are the ones career figures use), Cricsheet's are `batting_innings (cricsheet)`."""
    return table if source in (None, SOURCE_STATSGURU) else f"{table} ({source})"


def _source(table: str, alias: str = "") -> str:
    """SQL for a row's source; a run from before the innings tables had `source` held Statsguru's rows only."""
    return f"coalesce({alias}source, '{SOURCE_STATSGURU}')" if table in SOURCED else "NULL"


def _fmt(table: str, alias: str = "") -> str:
    return f"{alias}format" if table in PARTITIONED else f"'{ALL}'"


def _compared_columns(table: str) -> list[str]:
    """Business columns (lineage — run id, scrape time, URL — changes every run and is no change in the data)."""
    return list(TABLES[table].names) + [f.name for f in EXTRA_COLUMNS.get(table, [])]


def _join(table: str, new: Data, old: Data, where: str = "") -> tuple[str, str, list[str]]:
    """(FROM clause joining this run's rows `n` to the previous run's `o` by natural key, the "row differs"
    condition, the compared non-key columns); `where` filters both sides' rows (as `t`) first."""
    key = NATURAL_KEYS[table]
    cols = _compared_columns(table)
    data_cols = [c for c in cols if c not in key]
    on = " AND ".join(f"n.{k} IS NOT DISTINCT FROM o.{k}" for k in key)
    differs = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in data_cols) or "false"
    sel = ", ".join(f"{_source(table)} AS source" if c == "source" else c for c in cols)
    src = (
        f"(SELECT {sel} FROM {new.name(table)} t {where}) n FULL OUTER JOIN "
        f"(SELECT {sel} FROM {old.name(table)} t {where}) o ON {on}"
    )
    return src, differs, data_cols


def _comparable(new: Data, old: Data) -> list[str]:
    unknown = set(new.missing) | set(old.missing)  # no data to compare: never "all added" / "all removed"
    return sorted((new.tables | old.tables) - unknown)


def _keys_text(table: str) -> str:
    """SQL for this run's natural key as text (its source apart): the order changed examples are listed in."""
    return " || ' ' || ".join(f"CAST(n.{k} AS VARCHAR)" for k in NATURAL_KEYS[table] if k != "source")


def changes(
    new: Data, old: Data, per_table: int = CHANGED_EXAMPLES
) -> tuple[dict[str, dict[str, dict[str, int]]], dict[str, list[dict]]]:
    """({table: {format: {added, changed, removed, rows}}} by natural key, {table: the keys of its first changed
    rows}): a key only in this run is added, only in the previous run removed, in both with any business column
    different changed. An innings table's sources are counted apart (`labelled`). The keys, found in the same
    pass, let changed_examples join only those rows again."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    first: dict[str, list[dict]] = {}
    for table in _comparable(new, old):
        src, differs, _ = _join(table, new, old)
        key = NATURAL_KEYS[table]
        k0 = next(k for k in key if k != "source")
        source = "coalesce(n.source, o.source)" if table in SOURCED else "NULL"
        changed = f"n.{k0} IS NOT NULL AND o.{k0} IS NOT NULL AND ({differs})"
        struct = ", ".join([f"'_text': {_keys_text(table)}", *(f"'{k}': n.{k}" for k in key)])
        sql = f"""
            SELECT coalesce({_fmt(table, "n.")}, {_fmt(table, "o.")}) AS fmt, {source} AS src,
                   count(*) FILTER (WHERE o.{k0} IS NULL AND n.{k0} IS NOT NULL) AS added,
                   count(*) FILTER (WHERE n.{k0} IS NULL AND o.{k0} IS NOT NULL) AS removed,
                   count(*) FILTER (WHERE {changed}) AS changed,
                   count(n.{k0}) AS rows,
                   min_by({{{struct}}}, coalesce({_keys_text(table)}, '{LAST}'), {per_table})
                       FILTER (WHERE {changed}) AS first
            FROM {src} GROUP BY 1, 2 ORDER BY 2 DESC NULLS FIRST, 1"""
        found = []
        for fmt, source, a, r, c, n, keys in new.con.execute(sql).fetchall():
            counts = {"added": a, "changed": c, "removed": r, "rows": n}
            out.setdefault(labelled(table, source), {})[fmt] = counts
            found += keys or []
        # as changed_examples lists them: source descending, then the key's text
        found.sort(key=lambda k: LAST if k["_text"] is None else k["_text"])
        found.sort(key=lambda k: k.get("source") or "", reverse=True)
        first[table] = found[:per_table]
    return out, first


def _text(side: str, column: str, schema: pa.Schema) -> str:
    """SQL for a column's value as text; floats to 4 places (not 17 digits)."""
    v = f"{side}.{column}"
    v = f"round({v}, 4)" if pa.types.is_floating(schema.field(column).type) else v
    return f"coalesce(CAST({v} AS VARCHAR), 'null')"


def changed_examples(
    new: Data, old: Data, first: dict[str, list[dict]], per_table: int = CHANGED_EXAMPLES
) -> list[dict]:
    """A few changed rows per table: the key, the player's name and each differing column as `old → new`.

    Only the rows `first` names (changes() found them) are joined again, and their text built."""
    out = []
    for table in _comparable(new, old):
        key = NATURAL_KEYS[table]
        if not first.get(table):
            continue
        new.con.register("_examples", pa.Table.from_pylist([{k: x[k] for k in key} for x in first[table]]))
        same = " AND ".join(
            f"{_source(table, 't.') if k == 'source' else f't.{k}'} IS NOT DISTINCT FROM e.{k}" for k in key
        )
        src, differs, data_cols = _join(
            table, new, old, f"WHERE EXISTS (SELECT 1 FROM _examples e WHERE {same})"
        )
        schema = curated_schema(table)
        diffs = ", ".join(
            f"CASE WHEN n.{c} IS DISTINCT FROM o.{c} THEN '{c}: ' || {_text('o', c, schema)} || ' → ' || "
            f"{_text('n', c, schema)} END"
            for c in data_cols
        )
        name = "n.name" if "name" in data_cols else "NULL"
        keys = " || ' ' || ".join(f"CAST(n.{k} AS VARCHAR)" for k in key if k != "source")
        k0 = next(k for k in key if k != "source")
        sql = f"""
            SELECT {_fmt(table, "n.")}, {keys}, {name}, concat_ws('; ', {diffs}), {_source(table, "n.")}
            FROM {src} WHERE n.{k0} IS NOT NULL AND o.{k0} IS NOT NULL AND ({differs})
            ORDER BY 5 DESC, 2 LIMIT {per_table}"""
        for fmt, k, nm, what, source in new.rows(sql):
            out.append(
                {"table": labelled(table, source), "format": fmt, "key": k, "name": nm, "changed": what}
            )
        new.con.unregister("_examples")
    return out


def freshness(data: Data, source: str = SOURCE_STATSGURU) -> dict[str, str]:
    """{format: latest match date} over one source's rows of the innings tables of the run."""
    parts = [
        f"SELECT format, max(match_date) AS d FROM {data.name(t)} "
        f"WHERE {_source(t)} = '{source}' GROUP BY format"
        for t in INNINGS_TABLES
        if t in data.tables
    ]
    if not parts:
        return {}
    sql = f"SELECT format, max(d) FROM ({' UNION ALL '.join(parts)}) GROUP BY format ORDER BY format"
    return {fmt: d.isoformat() for fmt, d in data.rows(sql) if d is not None}


def new_players(new: Data, old: Data) -> dict:
    """Players in this run's `players` table whose id the previous run did not have."""
    if "players" not in new.tables:
        return {"count": 0, "listed": [], "compared": False}
    if "players" not in old.tables or "players" in old.missing:
        n = new.rows(f"SELECT count(*) FROM {new.name('players')}")[0][0]
        return {"count": n, "listed": [], "compared": False}
    base = (
        f"FROM {new.name('players')} n WHERE NOT EXISTS "
        f"(SELECT 1 FROM {old.name('players')} o WHERE o.player_id = n.player_id)"
    )
    count = new.rows(f"SELECT count(*) {base}")[0][0]
    listed = new.rows(
        f"SELECT n.player_id, n.name, n.country {base} ORDER BY n.player_id LIMIT {NEW_PLAYERS_LISTED}"
    )
    return {
        "count": count,
        "listed": [{"player_id": p, "name": name, "country": c} for p, name, c in listed],
        "compared": True,
    }


def leaders(data: Data, table: str, column: str) -> dict[str, list[dict]]:
    """{format: the LEADERS players with the most `column` (careers summed over the format)}."""
    if table not in data.tables:
        return {}
    sql = f"""
        SELECT format, player_id, any_value(name) AS name, any_value(country) AS country, sum({column}) AS v
        FROM {data.name(table)} WHERE {column} IS NOT NULL GROUP BY format, player_id
        QUALIFY row_number() OVER (PARTITION BY format ORDER BY v DESC, player_id) <= {LEADERS}
        ORDER BY format, v DESC, player_id"""
    out: dict[str, list[dict]] = {}
    for fmt, pid, name, country, v in data.rows(sql):
        out.setdefault(fmt, []).append({"player_id": pid, "name": name, "country": country, "value": int(v)})
    return out


def rows_per_format(tables: dict) -> dict[str, dict[str, int]]:
    """{table: {format: rows}} from the run's table metadata (no data read); an innings table's sources apart
    (`labelled`: the table's own name is Statsguru's rows)."""
    out = {}
    for table, meta in (tables or {}).items():
        for source, m in (meta.get("sources") or {None: meta}).items():
            if source == SOURCE_CRICSHEET and not m.get("rows"):
                continue  # no cricsheet run was read
            parts = m.get("partitions")
            counts = {k: int(v) for k, v in parts.items()} if parts else {ALL: int(m.get("rows") or 0)}
            out[labelled(table, source)] = counts
    return out


def gather(report: dict, previous: dict | None) -> dict:
    """The report's data: `report` is this attempt's report.json; `previous` the published run compared with
    (its `_current.json` or published report.json: run_id, tables), None for the first run."""
    compare = previous is not None and not previous.get("pruned")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # its bar would land in the run's output and the DAG's log
    try:
        new = Data(con, "n_", report.get("tables") or {})
        old = Data(con, "o_", (previous or {}).get("tables") or {})
        changed = changes(new, old) if compare else ({}, {})
        return {
            "previous_run": (previous or {}).get("run_id"),
            "previous_published_at": (previous or {}).get("published_at"),
            "missing": {"this": new.missing, "previous": old.missing},
            "rows_per_format": rows_per_format(report.get("tables") or {}),
            "previous_pruned": bool((previous or {}).get("pruned")),
            "changes": changed[0],
            "changed_examples": changed_examples(new, old, changed[1]) if compare else [],
            "freshness": {
                "this": freshness(new),
                "previous": freshness(old) if compare else {},
                "cricsheet": freshness(new, SOURCE_CRICSHEET),
            },
            "new_players": new_players(new, old) if compare else new_players(new, Data(con, "x_", {})),
            "top_runs": leaders(new, "batting_career", "runs"),
            "top_wickets": leaders(new, "bowling_career", "wickets"),
        }
    finally:
        con.close()
