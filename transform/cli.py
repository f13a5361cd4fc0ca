"""`cricket-transform` (also `python -m transform`): run, publish, ddl, query and report subcommands."""

from __future__ import annotations

import argparse
import logging
import os
import sys

DEFAULT_RAW = "./data/raw"
DEFAULT_CURATED = "./data/curated"
POOL_DECAY_MS = 1000


def default_raw() -> str:
    return os.environ.get("CRICKET_RAW_URI") or DEFAULT_RAW


def default_curated() -> str:
    return os.environ.get("CRICKET_CURATED_URI") or DEFAULT_CURATED


def lean_memory_pool() -> None:
    """jemalloc returning freed pages after a second: RSS follows the blocks of that second, not the peak so far."""
    import pyarrow as pa

    try:
        # Not 0: returning pages at once made every new block fault its memory in again, which cost a third
        # of the run in system time; one second keeps RSS steady over a run of any length.
        pa.jemalloc_set_decay_ms(POOL_DECAY_MS)
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass  # a pyarrow build without jemalloc keeps its default pool


class _WithholdPandas:
    """An import hook that makes `import pandas` fail while it is installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas withheld from pyarrow's probe", name="pandas")
        return None


def skip_pandas_probe() -> None:
    """Spare the program pyarrow's import of pandas (~0.7 CPU-s), done only to ask "is this a pandas object?".

    pyarrow probes once per process, at its first `pa.array`/`pa.scalar`; with pandas withheld for that one
    probe it answers "no" from then on, and still imports pandas when really asked to (`to_pandas`). Only for
    the program itself (`main()` reading sys.argv): a caller that hands pandas objects to pyarrow keeps it.
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    hook = _WithholdPandas()
    sys.meta_path.insert(0, hook)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hook)


def _run(args) -> int:
    from transform.job import Job

    job = Job(
        args.raw,
        args.curated,
        args.raw_run,
        args.run_id,
        args.max_reject_ratio,
        args.keep,
        max_row_drop=args.max_row_drop,
        allow_shrink=args.allow_shrink,
    )
    res = job.run()
    print(res.summary, flush=True)
    return res.exit_code


def _publish(args) -> int:
    from transform.glue import publish

    for line in publish(args.curated, args.glue_database, region=args.region):
        print(line)
    return 0


def _ddl(args) -> int:
    from transform.ddl import render

    print(render(args.curated, args.database))
    return 0


def _query(args) -> int:
    import re

    import duckdb

    from transform.ddl import VIEWS
    from transform.query import format_result, query
    from transform.schemas import TABLES

    try:
        cols, rows = query(args.sql, args.curated)
    except duckdb.CatalogException as exc:
        m = re.search(r"(?:Table|View) with name (\S+) does not exist", str(exc))
        if not m:
            raise
        raise LookupError(
            f"no table or view {m.group(1)!r}; tables: {', '.join(TABLES)}; views: {', '.join(VIEWS)}"
        ) from None
    print(format_result(cols, rows, args.format))
    return 0


def _report(args) -> int:
    from transform.report import regenerate

    print(f"report: {regenerate(args.curated, args.run_id, args.out).uri}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="cricket-transform",
        description="Raw Statsguru JSONL runs → typed, partitioned Parquet; Athena DDL, Glue publish, DuckDB queries.",
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="transform raw runs into a new curated run and publish it (_current.json)")
    r.add_argument(
        "--raw", default=default_raw(), help="raw root URI (file://, path, s3://); env CRICKET_RAW_URI"
    )
    r.add_argument("--curated", default=default_curated(), help="curated root URI; env CRICKET_CURATED_URI")
    r.add_argument(
        "--raw-run",
        action="append",
        metavar="ID",
        help="raw run id to read (repeatable); default: the snapshot {raw}/_state/refresh.json names (the latest "
        "full runs and every delta since), else the newest finished run per (spider, arguments)",
    )
    r.add_argument("--run-id", help="id of this transform run (default: UTC timestamp)")
    r.add_argument(
        "--max-reject-ratio",
        type=float,
        default=0.01,
        help="fail (exit 4, nothing published) when rejects/rows exceeds this (default 0.01)",
    )
    r.add_argument("--keep", type=int, default=5, help="published runs to keep for rollback (default 5)")
    r.add_argument(
        "--max-row-drop",
        type=float,
        default=0.2,
        help="refuse (exit 5, nothing published) when a table loses more than this fraction of the published "
        "run's rows (default 0.2), or when the run has no rows at all",
    )
    r.add_argument(
        "--allow-shrink", action="store_true", help="publish even when tables shrink (see --max-row-drop)"
    )
    r.set_defaults(fn=_run)
    p = sub.add_parser("publish", help="point Glue tables at the current curated run (creates db/tables)")
    p.add_argument("--curated", default=default_curated())
    p.add_argument("--glue-database", required=True)
    p.add_argument("--region", default=None)
    p.set_defaults(fn=_publish)
    d = sub.add_parser("ddl", help="print Athena DDL (database, tables with partition projection, views)")
    d.add_argument("--curated", default=default_curated(), help="curated root, normally s3://...")
    d.add_argument("--database", default="cricket")
    d.set_defaults(fn=_ddl)
    q = sub.add_parser("query", help="run SQL locally with DuckDB over the current curated tables and views")
    q.add_argument("sql")
    q.add_argument("--curated", default=default_curated())
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.set_defaults(fn=_query)
    rp = sub.add_parser(
        "report",
        help="write a curated run's HTML report again ({curated}/_reports/run_id=R/index.html)",
        description="Render a curated run's report (one self-contained HTML page) from its report.json and "
        "its tables, compared with the published run before it.",
    )
    rp.add_argument("--curated", default=default_curated(), help="curated root URI; env CRICKET_CURATED_URI")
    rp.add_argument("--run-id", help="the run (default: the current one, as _current.json names it)")
    rp.add_argument(
        "--out",
        help="where to write it (a path or URI; default: the run's own page, or for a run never published "
        "its newest attempt's page)",
    )
    rp.set_defaults(fn=_report)
    return ap


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.cmd == "run":
        # process-wide tuning, for the program only (never for a library caller of Job)
        lean_memory_pool()
        if argv is None:
            skip_pandas_probe()
    try:
        return args.fn(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, LookupError) as exc:
        print(f"cricket-transform {args.cmd}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback for operators
        if type(exc).__module__.startswith(
            ("botocore", "boto3", "duckdb", "_duckdb", "sqlglot", "transform", "pyarrow")
        ):
            first = (str(exc).strip().splitlines() or [""])[0]  # one line (SQL errors quote the query below)
            print(f"cricket-transform {args.cmd}: error: {type(exc).__name__}: {first}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
