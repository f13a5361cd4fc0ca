"""Raw runs in storage: finished runs (with a `_manifest.json`), the parts their manifests vouch for, the newest,
and the snapshot the refresh state names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from cricket_contract.layout import (
    MANIFEST,
    FinishedRun,
    RunDir,
    manifest_written_at,
    newest_finished,
)
from cricket_contract.manifest import ManifestError, PartInfo, parts_of
from cricket_contract.refresh import STATE_PATH, RefreshState, parse_state
from cricket_storage import Entry, Location


class RawRunError(ValueError):
    """A raw run cannot be used (missing, unfinished, unreadable manifest)."""


@dataclass
class RawRun:
    spider: str
    run_id: str
    location: Location
    manifest: dict
    parts: list[Location] = field(default_factory=list)
    verify: dict[str, PartInfo] = field(default_factory=dict)  # part URI → what the manifest promises of it
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
    # Readers trust only what the manifest lists, and only as far as it vouches for it: every part's size
    # here, and its sha256 and row count as it is read (transform/read.py). A part beside the manifest that
    # it does not name belongs to a later attempt under the same run id and is never read.
    try:
        listed = parts_of(manifest, f"raw run {run_dir}")
    except ManifestError as exc:
        raise RawRunError(str(exc)) from None
    parts, verify, size = [], {}, 0
    for info in listed:
        entry: Entry | None = entries.get(info.name)
        if entry is None or entry.is_dir:
            raise RawRunError(f"raw run {run_dir}: the manifest lists {info.name} but the file is missing")
        if entry.size != info.size:
            raise RawRunError(
                f"raw run {run_dir}: {info.name} is {entry.size} bytes, the manifest says {info.size}"
            )
        loc = run_dir.child(info.name)
        parts.append(loc)
        verify[loc.uri] = info
        size += info.size
    return RawRun(
        spider=manifest.get("spider") or spider,
        run_id=run_id,
        location=run_dir,
        manifest=manifest,
        parts=parts,
        verify=verify,
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


def resolve_run(uri: str | Location) -> RawRun:
    """The finished run at `uri`: a run directory (`…/run_id=X`), or a spider directory's newest finished run."""
    loc = Location.parse(uri)
    run = RunDir.parse(loc.name)
    if run is not None and loc.child(MANIFEST).exists():
        return load_run(loc, loc.parent.name, run.run_id)
    runs = [
        load_run(loc.child(e.name), loc.name, r.run_id)
        for e in loc.list()
        if e.is_dir and (r := RunDir.parse(e.name)) is not None and loc.child(e.name, MANIFEST).exists()
    ]
    newest = _newest(runs)
    if newest is None:
        raise RawRunError(
            f"{loc.uri}: not a finished raw run (no {MANIFEST}; unfinished runs are never read)"
        )
    return newest


def _newest(runs: list[RawRun]) -> RawRun | None:
    """The one "newest finished run" rule of cricket_contract.layout over loaded runs."""
    pick = newest_finished(
        FinishedRun(r.run_id, manifest_written_at(r.manifest), r.manifest_mtime_ns) for r in runs
    )
    return next((r for r in runs if pick is not None and r.run_id == pick.run_id), None)


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


def state_location(raw: Location) -> Location:
    """`{raw}/_state/refresh.json`."""
    return raw.child(*STATE_PATH.split("/"))


def read_state(raw: Location) -> RefreshState | None:
    """The refresh state under the raw root, or None when no refresh has finished there yet."""
    loc = state_location(raw)
    if not loc.exists():
        return None
    try:
        return parse_state(loc.read_bytes(), loc.uri)
    except ValueError as exc:
        raise RawRunError(str(exc)) from None


def snapshot_runs(raw: Location, state: RefreshState) -> list[RawRun]:
    """The runs the refresh state names (the latest full runs, then every delta since), in that order; each must
    be a finished run."""
    if not state.snapshot:
        progress = ""
        if state.backfill:
            done, left = len(state.backfill.get("done") or []), len(state.backfill.get("remaining") or [])
            progress = f" (the backfill has finished {done} of {done + left} runs)"
        raise RawRunError(
            f"{state_location(raw).uri} names no complete snapshot yet{progress}; nothing to read"
        )
    runs = []
    for ref in state.snapshot:
        d = raw.child(ref.spider, RunDir(ref.run_id).name())
        try:
            runs.append(load_run(d, ref.spider, ref.run_id))
        except RawRunError as exc:
            raise RawRunError(
                f"the refresh state names {ref.spider}/{ref.run_id}, which cannot be read: {exc}"
            ) from None
    return runs
