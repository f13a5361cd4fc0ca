"""Raw runs to read: finished runs (with a `_manifest.json`), the parts their manifests list, the newest per spider."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from cricket_contract.layout import (
    MANIFEST,
    FinishedRun,
    RawPartName,
    RunDir,
    manifest_written_at,
    newest_finished,
)
from cricket_storage import Entry, Location

ROWS_PER_BUCKET = 400_000  # rows of one dedupe bucket of one table: comfortably in memory
GZIP_BYTES_PER_ROW = 45  # a gzipped Statsguru JSON line, for runs whose manifest has no count


class RawRunError(ValueError):
    """A raw run cannot be used (missing, unfinished, unreadable manifest)."""


@dataclass
class RawRun:
    spider: str
    run_id: str
    location: Location
    manifest: dict
    parts: list[Location] = field(default_factory=list)
    bytes: int = 0
    manifest_mtime_ns: int = 0

    @property
    def arguments_key(self) -> str:
        return json.dumps(self.manifest.get("arguments") or {}, sort_keys=True, default=str)

    def describe(self) -> dict:
        return {
            "spider": self.spider,
            "run_id": self.run_id,
            "location": self.location.uri,
            "parts": len(self.parts),
        }


def load_run(run_dir: Location, spider: str, run_id: str) -> RawRun:
    """The finished run in `run_dir`: its manifest and the parts it lists (each must exist)."""
    manifest_loc = run_dir.child(MANIFEST)
    entries = {e.name: e for e in run_dir.list()}
    if MANIFEST not in entries:
        raise RawRunError(f"raw run {run_dir} has no {MANIFEST} (unfinished or failed run); it is never read")
    try:
        manifest = json.loads(manifest_loc.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise RawRunError(f"unreadable manifest {manifest_loc}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise RawRunError(f"manifest {manifest_loc} is not a JSON object")
    # Readers trust only what the manifest lists: a part beside it that it does not name belongs to a
    # later attempt under the same run id (killed, blocked or drifted) and is never read.
    listed = manifest.get("parts")
    if not isinstance(listed, list):
        raise RawRunError(f"manifest {manifest_loc} has no list of parts")
    parts, size = [], 0
    for ref in listed:
        name = ref if isinstance(ref, str) else (ref or {}).get("path") or (ref or {}).get("uri") or ""
        base = str(name).rsplit("/", 1)[-1]
        if RawPartName.parse(base) is None:
            raise RawRunError(f"raw run {run_dir}: manifest lists an unexpected part name {name!r}")
        entry: Entry | None = entries.get(base)
        if entry is None or entry.is_dir:
            raise RawRunError(f"raw run {run_dir}: manifest lists {base} but the file is missing")
        parts.append(run_dir.child(base))
        size += entry.size or 0
    return RawRun(
        spider=manifest.get("spider") or spider,
        run_id=run_id,
        location=run_dir,
        manifest=manifest,
        parts=parts,
        bytes=size,
        manifest_mtime_ns=entries[MANIFEST].mtime_ns or 0,
    )


def run_dirs(raw: Location) -> Iterator[tuple[str, str, Location]]:
    """(spider, run id, location) of every run directory under the raw root."""
    for sp in raw.list():
        if not sp.is_dir:
            continue
        for rd in raw.child(sp.name).list():
            run = RunDir.parse(rd.name)
            if rd.is_dir and run is not None:
                yield sp.name, run.run_id, raw.child(sp.name, rd.name)


def discover_runs(raw: Location, run_ids: list[str] | None = None) -> list[RawRun]:
    """The raw runs to read: the named ones, or the newest finished run per (spider, arguments)."""
    if run_ids:
        found: list[RawRun] = []
        dirs = list(run_dirs(raw))
        for rid in run_ids:
            matches = [(sp, d) for sp, r, d in dirs if r == rid]
            if not matches:
                raise RawRunError(f"no raw run with id {rid!r} under {raw}")
            found += [load_run(d, sp, rid) for sp, d in matches]
        return found
    by_key: dict[tuple[str, str], list[RawRun]] = {}
    for spider, rid, d in run_dirs(raw):
        if not d.child(MANIFEST).exists():
            continue  # unfinished runs are invisible
        run = load_run(d, spider, rid)
        by_key.setdefault((run.spider, run.arguments_key), []).append(run)
    newest = []
    for runs in by_key.values():
        pick = newest_finished(
            FinishedRun(r.run_id, manifest_written_at(r.manifest), r.manifest_mtime_ns) for r in runs
        )
        newest += [r for r in runs if pick is not None and r.run_id == pick.run_id]
    return sorted(newest, key=lambda r: (r.spider, r.run_id))


def bucket_count(runs: list[RawRun]) -> int:
    """Hash buckets for the dedupe stage, so one bucket of one table fits comfortably in memory."""
    est_rows = 0.0
    for r in runs:
        count = r.manifest.get("item_count")  # the crawler's manifest counts records; else estimate from size
        est_rows += count if isinstance(count, int) else r.bytes / GZIP_BYTES_PER_ROW
    return int(min(32, max(1, math.ceil(est_rows / ROWS_PER_BUCKET))))
