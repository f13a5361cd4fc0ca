"""Publishing a curated run: rejects and report written, `_current.json` moved last, old runs pruned; the summary."""

from __future__ import annotations

import datetime as dt
import json
import logging

from cricket_contract.layout import (
    CURRENT,
    REJECTS_DIR,
    AttemptDir,
    RunDir,
    attempt_path,
    read_current,
    report_dir,
    table_run_path,
)
from cricket_contract.vocabulary import SOURCE_STATSGURU
from cricket_storage import Location
from transform.schemas import REFERENCE_TABLES, SOURCED, TABLES

log = logging.getLogger(__name__)


def load_current(curated: str | Location) -> dict:
    """The published `_current.json` under `curated` (the one reader of it); FileNotFoundError when there is none."""
    root = Location.parse(curated)
    loc = root.child(CURRENT)
    try:
        data = loc.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{loc} not found: no transform run has been published under {root}"
        ) from None
    return read_current(data, loc.uri)


def current(curated: Location) -> dict | None:
    """The published `_current.json`, or None when nothing was published or it is unreadable (a new one replaces it)."""
    try:
        return load_current(curated)
    except (OSError, ValueError):
        return None


def _source_rows(table: str, meta: dict) -> dict[str, int]:
    """{source: rows} of a table's meta; a table without `sources` is one source's (before Cricsheet's innings
    shared the innings tables, they held Statsguru's rows only)."""
    if "sources" in meta:
        return {src: int(m.get("rows") or 0) for src, m in meta["sources"].items()}
    return {SOURCE_STATSGURU if table in SOURCED else "": int(meta.get("rows") or 0)}


def shrink_problems(previous: dict | None, tables: dict, max_row_drop: float) -> list[str]:
    """Why this run's tables must not replace the published ones: no rows at all, or a table (each source of an
    innings table on its own: Cricsheet's rows must not hide a Statsguru crawl that quietly fetched less) that
    lost more than `max_row_drop` of its published rows. A table the contract no longer has is no loss."""
    total = sum(meta["rows"] for table, meta in tables.items() if table not in REFERENCE_TABLES)
    if not total:
        return ["the run has no rows at all"]
    problems = []
    for table, old in ((previous or {}).get("tables") or {}).items():
        if table not in TABLES:
            continue
        now = _source_rows(table, tables.get(table) or {"rows": 0})
        for src, was in _source_rows(table, old).items():
            has = now.get(src, 0)
            if was and has < was * (1 - max_row_drop):
                name = f"{table} ({src} rows)" if src else table
                problems.append(f"{name} would fall from {was:,} to {has:,} rows ({1 - has / was:.0%} fewer)")
    return problems


def discard_attempt(curated: Location, run_id: str, attempt: str) -> None:
    """Delete an attempt's table data (nothing references it); its rejects and report stay for diagnosis."""
    for table in TABLES:
        curated.child(attempt_path(table, run_id, attempt)).delete_tree()


def _other_attempts(curated: Location, run_id: str, published: str) -> None:
    """Attempts at `run_id` other than the published one (killed or refused before): nothing references them."""
    for table in TABLES:
        run = curated.child(table_run_path(table, run_id))
        for entry in run.list():
            attempt = AttemptDir.parse(entry.name)
            if entry.is_dir and attempt is not None and attempt.attempt != published:
                run.child(entry.name).delete_tree()


def _table_dirs(curated: Location) -> list[str]:
    """Every table of the contract, and every table directory under `curated` (`_`-prefixed ones are the
    pipeline's own: reports, rejects): a table an earlier version wrote and the contract since dropped still has
    runs to prune."""
    listed = {e.name for e in curated.list() if e.is_dir and not e.name.startswith("_")}
    return sorted(set(TABLES) | listed)


def prune(curated: Location, dropped: list[str], run_id: str) -> None:
    """Delete published runs that fell out of the `--keep` window (never the one just published)."""
    tables = _table_dirs(curated) if dropped else []
    for rid in dropped:
        if rid == run_id:
            continue
        for table in tables:
            curated.child(table_run_path(table, rid)).delete_tree()
        curated.child(REJECTS_DIR, RunDir(rid).name()).delete_tree()
        curated.child(report_dir(rid)).delete_tree()


def publish(curated: Location, report: dict, keep: int, publish_it: bool) -> bool:
    """Write the attempt's report; when `publish_it`, switch `_current.json` to the attempt and prune beyond `keep`.

    Published data is never written again: each attempt has its own files, and `_current.json` is the one
    object that changes. Attempts nothing references any more are deleted afterwards.
    """
    from transform.report import attempt_page, publish_page, write_attempt_page  # matplotlib: only when used

    run_id, attempt = report["run_id"], report["attempt"]
    previous = current(curated)
    dropped: list[str] = []
    if publish_it:
        report["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        history = [run_id] + [r for r in (previous or {}).get("history", []) if r != run_id]
        report["history"], dropped = history[:keep], history[keep:]
    report_loc = curated.child(report_dir(run_id, attempt), "report.json")
    report_loc.write_bytes(json.dumps(report, indent=2, default=str).encode())
    # The HTML page: rendered now, into the attempt's directory; the run's page only after the pointer moves
    # (transform/report/__init__.py says why).
    page = write_attempt_page(curated, report, previous)
    report["report_page"] = attempt_page(curated, run_id, attempt).uri if page else None
    if not publish_it:
        return False
    keys = ("run_id", "attempt", "published_at", "tables", "rejects", "rows_read", "history")
    cur = {k: report[k] for k in keys}
    cur["dq"] = {"findings": report["dq"]["findings"], "checks": report["dq"]["checks"]}
    cur["report"] = report_loc.uri
    # The publish: every part and the report exist; this one write makes them what readers see.
    curated.child(CURRENT).write_bytes(json.dumps(cur, indent=2).encode())
    if page is not None:
        try:
            report["report_page"] = publish_page(curated, run_id, page).uri
        except (
            OSError
        ) as exc:  # the run is published; its page can be written again (cricket-transform report)
            log.error("run report page not written: %s", exc)
            report["report_page"] = None
    _other_attempts(curated, run_id, attempt)
    prune(curated, dropped, run_id)
    return True


def summarize(report: dict, published: bool, curated: Location) -> str:
    secs = report["stats"]["seconds"]
    rows = report["rows_read"]
    lines = [
        f"cricket-transform run {report['run_id']}: {rows:,} raw rows from {len(report['raw_runs'])} raw runs "
        f"in {secs:.1f} s ({rows / max(secs, 1e-9):,.0f} rows/s)",
        "",
        f"{'table':<18}{'rows':>12}{'files':>7}",
    ]
    for t, meta in report["tables"].items():
        lines.append(f"{t:<18}{meta['rows']:>12,}{len(meta['files']):>7}")
    rs = report["rejects_summary"]
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(rs["by_reason"].items(), key=lambda x: -x[1])) or "none"
    lines += [
        "",
        f"rejects: {report['rejects']:,} ({report['reject_ratio']:.2%}, limit {report['max_reject_ratio']:.2%})"
        f" — {reasons}",
        f"  → {report['rejects_location']}",
    ]
    dq = report["dq"]
    failing = [
        f"{t}.{c} {v['failed']}" for t, cs in dq["checks"].items() for c, v in cs.items() if v["failed"]
    ]
    lines.append(f"dq findings: {dq['findings']:,}" + (f" — {', '.join(failing[:8])}" if failing else ""))
    st = report["stats"]
    lines.append(
        f"duplicates dropped: {st['duplicates_dropped']:,} (conflicting: {st['duplicate_conflicts']:,})"
    )
    page = report.get("report_page")
    lines.append(
        f"report: {page}"
        if page
        else f"report: NOT written (see the error above); cricket-transform report --run-id {report['run_id']}"
    )
    if published:
        lines.append(f"published: {curated.child(CURRENT).uri}")
    else:
        why = "; ".join(report.get("refused") or ["reject ratio over the limit"])
        lines.append(f"NOT published: {why}; readers still see the previous run")
    return "\n".join(lines)
