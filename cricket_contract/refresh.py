"""The refresh state `{raw}/_state/refresh.json`: watermark, last full crawl, the runs of the current snapshot."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from cricket_contract.layout import check_run_id, json_object

STATE_PATH = "_state/refresh.json"
VERSION = 1
HISTORY = 30  # refreshes kept in the state's history (newest last)
# Days before the watermark a delta reads again: late scorecard amendments, Tests still in progress when the last
# refresh read them (cricket-scrape refresh --overlap-days, the DAG's overlap_days).
OVERLAP_DAYS = 7


@dataclass(frozen=True)
class RunRef:
    """One raw run: `{raw}/{spider}/run_id={run_id}`."""

    spider: str
    run_id: str

    def to_json(self) -> dict[str, str]:
        return {"spider": self.spider, "run_id": self.run_id}

    @classmethod
    def from_json(cls, doc: Any, where: str) -> RunRef:
        if not isinstance(doc, dict) or not isinstance(doc.get("spider"), str) or not doc["spider"]:
            raise ValueError(f"{where}: a run must be {{'spider': ..., 'run_id': ...}}, got {doc!r}")
        try:
            return cls(doc["spider"], check_run_id(doc.get("run_id")))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass
class RefreshState:
    """What the refreshes have made of the raw zone so far.

    `watermark`: the day up to which innings are known complete (the `until` of the last finished refresh).
    `snapshot`: the runs the transformer reads, in the order written: the latest full runs, then every delta
    since. `last_full`: the full crawl they start from (`refresh_id`, `until`, `finished_at`). `refreshes`: the
    newest finished refreshes (`refresh_id`, `kind`, `since`, `until`, `runs`, `requests`, `finished_at`).
    `backfill`: a full crawl split into chunks that has not finished yet (`refresh_id`, `until`, `done`: its
    finished runs, `remaining`: the runs still to make), else None.
    """

    watermark: dt.date | None = None
    snapshot: list[RunRef] = field(default_factory=list)
    last_full: dict[str, Any] | None = None
    refreshes: list[dict[str, Any]] = field(default_factory=list)
    backfill: dict[str, Any] | None = None
    updated_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "updated_at": self.updated_at,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "last_full": self.last_full,
            "snapshot": [r.to_json() for r in self.snapshot],
            "refreshes": self.refreshes[-HISTORY:],
            "backfill": self.backfill,
        }

    def dumps(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n").encode()


def parse_state(data: bytes | str, where: str = STATE_PATH) -> RefreshState:
    """The state in `data`, checked for what every reader relies on; ValueError naming `where` if not."""
    doc = json_object(data, where)
    if doc.get("version") != VERSION:
        raise ValueError(f"{where}: version {doc.get('version')!r} (this program reads version {VERSION})")
    wm = doc.get("watermark")
    try:
        watermark = dt.date.fromisoformat(wm) if wm is not None else None
    except (TypeError, ValueError):
        raise ValueError(f"{where}: watermark {wm!r} is not an ISO date") from None
    snap = doc.get("snapshot")
    if not isinstance(snap, list):
        raise ValueError(f"{where}: snapshot must be a list of runs")
    runs = [RunRef.from_json(r, f"{where} snapshot[{i}]") for i, r in enumerate(snap)]
    if len(set(runs)) != len(runs):
        raise ValueError(f"{where}: the snapshot names a run twice")
    for key in ("last_full", "backfill"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            raise ValueError(f"{where}: {key} must be an object or null")
    if not isinstance(doc.get("refreshes", []), list):
        raise ValueError(f"{where}: refreshes must be a list")
    return RefreshState(
        watermark=watermark,
        snapshot=runs,
        last_full=doc.get("last_full"),
        refreshes=list(doc.get("refreshes") or []),
        backfill=doc.get("backfill"),
        updated_at=doc.get("updated_at"),
    )
