"""Read finished raw runs back (verified against their manifests): their items and the player ids they name."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from typing import Any

from cricket_contract.layout import MANIFEST
from cricket_storage.rawruns import RawRunError, resolve_run

__all__ = ["RawRunError", "iter_items", "player_ids_from_raw", "read_manifest"]


def read_manifest(uri: str) -> dict[str, Any]:
    """The manifest of the finished run at `uri` (a run, or a spider directory's newest finished run)."""
    return resolve_run(uri).manifest


def iter_items(uri: str) -> Iterator[dict[str, Any]]:
    """Every raw item of a finished run, part by part; each part is checked against the manifest first.

    A part is a few thousand rows, so it is read whole, hashed, then decoded line by line.
    """
    run = resolve_run(uri)
    for part in run.parts:
        info = run.verify[part.uri]
        data = part.read_bytes()
        if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.sha256:
            raise RawRunError(
                f"{part.uri}: the stored part is not the one its manifest ({MANIFEST}) vouches for"
            )
        try:
            lines = gzip.decompress(data).splitlines()
        except (OSError, EOFError, zlib.error) as exc:
            raise RawRunError(f"{part.uri}: not a readable gzip part: {exc}") from None
        if len(lines) != info.rows:
            raise RawRunError(f"{part.uri}: {len(lines)} lines, the manifest says {info.rows} rows")
        for lineno, line in enumerate(lines, 1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise RawRunError(f"{part.uri}:{lineno}: bad JSON line: {exc}") from exc


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
