"""Read finished raw runs back: the manifest, the items of every part, and the player ids they name."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

from crawler.storage import MANIFEST, PART_RE, Location, exists, list_dirs, open_read, read_bytes


class RawRunError(ValueError):
    """The location is not a finished raw run (no manifest, unreadable part, …)."""


def resolve_run(uri: str) -> Location:
    """The run directory for `uri`: a run (`.../run_id=X`) or a spider directory (newest finished run)."""
    loc = Location.parse(uri)
    if exists(loc.child(MANIFEST)):
        return loc
    runs = [d for d in list_dirs(loc) if d.startswith("run_id=")]
    for run in sorted(runs, reverse=True):  # run ids default to UTC timestamps, so newest sorts last
        if exists(loc.child(run, MANIFEST)):
            return loc.child(run)
    raise RawRunError(f"{uri}: not a finished raw run (no {MANIFEST}; unfinished runs are never read)")


def read_manifest(uri: str) -> dict[str, Any]:
    run = resolve_run(uri)
    return json.loads(read_bytes(run.child(MANIFEST)))


def iter_items(uri: str) -> Iterator[dict[str, Any]]:
    """Every raw item of a finished run, part by part, streamed (one line in memory at a time)."""
    run = resolve_run(uri)
    manifest = json.loads(read_bytes(run.child(MANIFEST)))
    for name in manifest["parts"]:
        if not PART_RE.match(name):
            raise RawRunError(f"{run.uri}: manifest lists an unexpected part name {name!r}")
        with open_read(run.child(name)) as raw, gzip.GzipFile(fileobj=raw) as gz:
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
