"""Publishing a curated run: rejects and report written, `_current.json` moved last, old runs pruned; the summary."""

from __future__ import annotations

import datetime as dt
import json

from cricket_contract.layout import CURRENT, read_current, rejects_path, report_dir, table_run_path
from cricket_storage import Location
from transform.schemas import TABLES


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


def remove_stale(curated: Location, run_id: str, tables: dict) -> None:
    """A re-run of the same id replaces its output: files of an earlier attempt not written now go."""
    for table, meta in tables.items():
        keep = set(meta["files"])
        for f in curated.child(table_run_path(table, run_id)).walk():
            if f.uri not in keep:
                f.delete()


def prune(curated: Location, dropped: list[str], run_id: str) -> None:
    """Delete published runs that fell out of the `--keep` window (never the one just published)."""
    for rid in dropped:
        if rid == run_id:
            continue
        for table in TABLES:
            curated.child(table_run_path(table, rid)).delete_tree()
        curated.child(rejects_path(rid)).parent.delete_tree()
        curated.child(report_dir(rid)).delete_tree()


def publish(curated: Location, report: dict, keep: int, publish_it: bool) -> bool:
    """Write the run's report; when `publish_it`, switch `_current.json` to the run and prune beyond `keep`."""
    run_id = report["run_id"]
    previous = current(curated)
    dropped: list[str] = []
    if publish_it:
        report["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        history = [run_id] + [r for r in (previous or {}).get("history", []) if r != run_id]
        report["history"], dropped = history[:keep], history[keep:]
    report_loc = curated.child(report_dir(run_id), "report.json")
    report_loc.write_bytes(json.dumps(report, indent=2, default=str).encode())
    if not publish_it:
        return False
    cur = {k: report[k] for k in ("run_id", "published_at", "tables", "rejects", "rows_read", "history")}
    cur["dq"] = {"findings": report["dq"]["findings"], "checks": report["dq"]["checks"]}
    cur["report"] = report_loc.uri
    # The publish: every part and the report exist; this one write makes them what readers see.
    curated.child(CURRENT).write_bytes(json.dumps(cur, indent=2).encode())
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
    if published:
        lines.append(f"published: {curated.child(CURRENT).uri}")
    else:
        lines.append("NOT published: reject ratio over the limit; readers still see the previous run")
    return "\n".join(lines)
