"""Read finished raw runs back: the manifest, the items of every part, and the player ids they name."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

from cricket_contract.layout import (
    MANIFEST,
    FinishedRun,
    RawPartName,
    RunDir,
    manifest_written_at,
    newest_finished,
)
from cricket_storage import Location


class RawRunError(ValueError):
    """The location is not a finished raw run (no manifest, unreadable part, …)."""


def _manifest(loc: Location) -> dict[str, Any]:
    try:
        doc = json.loads(loc.read_bytes())
    except ValueError as exc:
        raise RawRunError(f"{loc.uri}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise RawRunError(f"{loc.uri}: not a JSON object")
    return doc


def resolve_run(uri: str) -> Location:
    """The run directory for `uri`: a run (`.../run_id=X`) or a spider directory (its newest finished run,
    by cricket_contract.layout's one rule: manifest `written_at`, then its mtime, then the run id)."""
    loc = Location.parse(uri)
    if loc.child(MANIFEST).exists():
        return loc
    finished = []
    for entry in loc.list():
        run = RunDir.parse(entry.name) if entry.is_dir else None
        manifest = loc.child(entry.name, MANIFEST)
        stat = manifest.stat() if run is not None else None
        if run is not None and stat is not None:
            written_at = manifest_written_at(_manifest(manifest))
            finished.append(FinishedRun(run.run_id, written_at, stat.mtime_ns or 0))
    newest = newest_finished(finished)
    if newest is None:
        raise RawRunError(f"{uri}: not a finished raw run (no {MANIFEST}; unfinished runs are never read)")
    return loc.child(RunDir(newest.run_id).name())


def read_manifest(uri: str) -> dict[str, Any]:
    return _manifest(resolve_run(uri).child(MANIFEST))


def iter_items(uri: str) -> Iterator[dict[str, Any]]:
    """Every raw item of a finished run, part by part, streamed (one line in memory at a time)."""
    run = resolve_run(uri)
    for name in _manifest(run.child(MANIFEST)).get("parts", []):
        if not isinstance(name, str) or RawPartName.parse(name) is None:
            raise RawRunError(f"{run.uri}: manifest lists an unexpected part name {name!r}")
        with run.child(name).open_read() as raw, gzip.GzipFile(fileobj=raw) as gz:
            for lineno, line in enumerate(io.TextIOWrapper(gz, encoding="utf-8"), 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise RawRunError(f"{run.uri}/{name}:{lineno}: bad JSON line: {exc}") from exc


def player_ids_from_raw(uri: str) -> list[int]:
    """Sorted distinct player ids named by the items of finished raw runs (file://, path or s3://).

    `uri` is one run or a comma list of runs (`cricket-scrape --from-raw A --from-raw B`), so one
    profiles crawl serves every class of a DAG run and asks the site for each player once.
    """
    ids: set[int] = set()
    for one in filter(None, (u.strip() for u in uri.split(","))):
        for item in iter_items(one):
            pid = item.get("player_id")
            if isinstance(pid, int) and not isinstance(pid, bool):
                ids.add(pid)
    return sorted(ids)
