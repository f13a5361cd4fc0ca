"""Crawl health of one raw run, from its `_manifest.json`: pages, retries by cause, statuses, blocks, drift, time."""

from __future__ import annotations

import json
from urllib.parse import urlparse

TIMELINE_STAT = "cricket/timeline"  # written by crawler/timeline.py (the crawler's progress timeline)
TIMELINE_SERIES = ("requests", "retries", "http_errors")

# Scrapy's retry reasons (`retry/reason_count/<reason>`) grouped into the causes an operator tells apart.
_CAUSES = (
    ("429", ("429",)),
    ("503", ("503",)),
    ("other http", ("500", "502", "504", "522", "524", "408")),
    ("timeout", ("timeout", "timedout", "tcptimedout")),
    ("reset", ("connectionlost", "connectionrefused", "connectiondone", "responsenever", "reset", "dns")),
    ("truncated", ("truncated",)),
)


def retry_cause(reason: str) -> str:
    """`503 Service Unavailable` → 503, `twisted.internet.error.TimeoutError` → timeout, … (else `other`)."""
    low = reason.lower().replace("_", "").replace(" ", "")
    for cause, marks in _CAUSES:
        if any(low.startswith(m) if m.isdigit() else m in low for m in marks):
            return cause
    return "other"


def timeline(value: object) -> dict | None:
    """The crawl's `cricket/timeline` stat parsed; None when absent or unreadable (runs crawled before it)."""
    if not isinstance(value, str):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("bucket_s"), int) or doc["bucket_s"] <= 0:
        return None
    series = {s: doc.get(s) for s in TIMELINE_SERIES}
    if not all(isinstance(v, list) and all(isinstance(n, int) for n in v) for v in series.values()):
        return None
    return {"bucket_s": doc["bucket_s"], "started_at": doc.get("started_at"), **series}


def _int(v: object) -> int:
    try:
        return int(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def crawl_health(manifest: dict, location: str) -> dict:
    """What the report shows of one raw run; every field optional in the manifest (older runs lack some)."""
    stats = manifest.get("stats") or {}
    args = manifest.get("arguments") or {}
    retries: dict[str, int] = {}
    for key, n in stats.items():
        if key.startswith("retry/reason_count/"):
            cause = retry_cause(key.removeprefix("retry/reason_count/"))
            retries[cause] = retries.get(cause, 0) + _int(n)
    statuses = {
        key.removeprefix("downloader/response_status_count/"): _int(n)
        for key, n in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    delays = {
        key.removeprefix("cricket/crawl_delay/"): v
        for key, v in stats.items()
        if key.startswith("cricket/crawl_delay/")
    }
    host = urlparse(str(args.get("base_url") or "")).hostname
    requests = _int(stats.get("downloader/request_count"))
    per_host = {
        key.removeprefix("cricket/requests_per_host/"): _int(n)
        for key, n in stats.items()
        if key.startswith("cricket/requests_per_host/")
    }
    pace = {
        key.removeprefix("cricket/pace/"): v for key, v in stats.items() if key.startswith("cricket/pace/")
    }
    return {
        "spider": manifest.get("spider"),
        "run_id": manifest.get("run_id"),
        "location": location,
        "arguments": args,
        "finish_reason": manifest.get("finish_reason"),
        "started_at": stats.get("start_time"),
        "finished_at": stats.get("finish_time") or manifest.get("written_at"),
        "elapsed_s": float(stats.get("elapsed_time_seconds") or 0.0),
        "pages_known": _int(stats.get("cricket/pages_known")),
        "pages_fetched": _int(stats.get("cricket/pages_done")),
        "pages_resumed": _int(stats.get("cricket/pages_resumed")),
        "pages_failed": _int(stats.get("cricket/failed_pages")),
        "rows": _int(manifest.get("item_count") or stats.get("cricket/rows")),
        "items": manifest.get("items") or {},
        "parts": len(manifest.get("parts") or []),
        "requests": requests,
        # counted per host by crawler/timeline.py; a run crawled before it: all of them to the base URL's host
        "requests_per_host": per_host or ({host: requests} if host else {}),
        "crawl_delay": delays,  # robots.txt's Crawl-delay floor per host
        "pace": pace,  # DOWNLOAD_DELAY, AutoThrottle, concurrency per domain as configured
        "retries": _int(stats.get("retry/count")),
        "retries_by_cause": dict(sorted(retries.items(), key=lambda kv: -kv[1])),
        "retries_given_up": _int(stats.get("retry/max_reached")),
        "retry_after_waits": _int(stats.get("cricket/retry_after_waits")),
        "status_counts": dict(sorted(statuses.items())),
        "blocked_responses": _int(stats.get("cricket/blocked_responses")),
        "stop_reason": stats.get("cricket/stop_reason"),
        "layout_drift": stats.get("cricket/layout_drift"),
        "errors_logged": _int(stats.get("log_count/ERROR")),
        "drops": manifest.get("drops") or {},
        "unknown_headers": manifest.get("unknown_headers") or stats.get("cricket/unknown_headers") or {},
        "columns_absent": manifest.get("columns_absent") or stats.get("cricket/columns_absent") or {},
        "timeline": timeline(stats.get(TIMELINE_STAT)),
    }
