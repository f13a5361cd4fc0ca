"""`cricket-transform query`: DuckDB over the current curated run, with Athena's table and view names."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from cricket_storage import Location
from transform.ddl import VIEWS, current
from transform.schemas import PARTITIONED, TABLES, curated_schema


def athena_to_duckdb(sql: str) -> str:
    """Athena (Trino) SQL in DuckDB's dialect; unchanged when sqlglot is not installed (a runtime-only image):
    the views use only SQL that both engines read alike."""
    try:
        import sqlglot
    except ImportError:
        return sql
    return sqlglot.transpile(sql, read="athena", write="duckdb")[0]


def dataset(table: str, meta: dict) -> ds.Dataset | pa.Table:
    """The table's files as a pyarrow dataset (local or S3); the Hive `format=` directory becomes a column."""
    schema = curated_schema(table)
    files = meta.get("files") or []
    if not files:
        return schema.empty_table()
    fs, base = Location.parse(meta["location"]).arrow()
    paths = [Location.parse(f).arrow()[1] for f in files]
    kwargs = {}
    if table in PARTITIONED:
        kwargs = {
            "partitioning": ds.partitioning(pa.schema([("format", pa.string())]), flavor="hive"),
            "partition_base_dir": base,
        }
    return ds.dataset(paths, filesystem=fs, format="parquet", schema=schema, **kwargs)


def connect(curated: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every curated table registered and every view created."""
    cur = current(curated)
    con = duckdb.connect()
    for table in TABLES:
        con.register(table, dataset(table, cur["tables"].get(table, {})))  # {}: a run older than the table
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {athena_to_duckdb(sql)}")
    return con


def query(sql: str, curated: str) -> tuple[list[str], list[tuple]]:
    con = connect(curated)
    try:
        rel = con.execute(athena_to_duckdb(sql))
        cols = [d[0] for d in rel.description]
        return cols, rel.fetchall()
    finally:
        con.close()


def format_result(cols: list[str], rows: list[tuple], fmt: str = "table") -> str:
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(cols, r, strict=True)), default=str) for r in rows)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")

    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.4f}".rstrip("0").rstrip(".")
        return str(v)

    text = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(cols)]
    sep = "  "
    out = [sep.join(c.ljust(w) for c, w in zip(cols, widths, strict=True)), sep.join("-" * w for w in widths)]
    for r in text:
        out.append(sep.join(v.rjust(w) if _num(v) else v.ljust(w) for v, w in zip(r, widths, strict=True)))
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _num(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False
