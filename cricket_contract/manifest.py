"""The raw run manifest: what it must say of every part (rows, bytes, sha256) and the checks readers apply to it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cricket_contract.layout import RawPartName

# Keys a verifiable manifest carries besides run_id, spider, arguments, finish_reason, written_at, items, …
PART_KEYS = ("part_items", "part_bytes", "part_sha256")


@dataclass(frozen=True)
class PartInfo:
    """What the manifest promises of one stored part."""

    name: str
    rows: int
    size: int
    sha256: str


def part_info(name: str, data: bytes, rows: int) -> PartInfo:
    """The manifest entry of a part whose stored bytes are `data` and which holds `rows` records."""
    return PartInfo(name, rows, len(data), hashlib.sha256(data).hexdigest())


def part_entries(parts: list[PartInfo]) -> dict[str, Any]:
    """The manifest keys that list `parts`: `parts`, `part_items`, `part_bytes`, `part_sha256`, `item_count`."""
    return {
        "parts": [p.name for p in parts],
        "part_items": {p.name: p.rows for p in parts},
        "part_bytes": {p.name: p.size for p in parts},
        "part_sha256": {p.name: p.sha256 for p in parts},
        "item_count": sum(p.rows for p in parts),
    }


class ManifestError(ValueError):
    """A manifest that cannot vouch for its run; the message names the run and what is wrong."""


def parts_of(manifest: dict[str, Any], where: str) -> list[PartInfo]:
    """The parts a manifest lists, each with its promised rows, size and hash; ManifestError when it cannot say.

    Checks: every name is a raw part name and listed once; every part has a row count, a size and a sha256;
    the part counts add up to `item_count`, and so do the per-record counts (`items`) when present.
    """
    listed = manifest.get("parts")
    if not isinstance(listed, list):
        raise ManifestError(f"{where}: the manifest has no list of parts")
    seen: set[str] = set()
    for name in listed:
        if not isinstance(name, str) or RawPartName.parse(name) is None:
            raise ManifestError(f"{where}: the manifest lists an unexpected part name {name!r}")
        if name in seen:
            raise ManifestError(f"{where}: the manifest lists {name} twice")
        seen.add(name)
    maps = {}
    for key in PART_KEYS:
        value = manifest.get(key)
        if not isinstance(value, dict):
            raise ManifestError(
                f"{where}: the manifest has no {key} (written by an older crawler?): its parts cannot be verified"
            )
        maps[key] = value
    out = []
    for name in listed:
        rows, size, digest = (maps[k].get(name) for k in PART_KEYS)
        if not _count(rows) or not _count(size) or not (isinstance(digest, str) and len(digest) == 64):
            raise ManifestError(f"{where}: the manifest says no rows, size or sha256 of {name}")
        out.append(PartInfo(name, rows, size, digest))
    total = manifest.get("item_count")
    if not _count(total) or total != sum(p.rows for p in out):
        raise ManifestError(
            f"{where}: the manifest's item_count {total!r} is not the sum of its parts' rows "
            f"({sum(p.rows for p in out)})"
        )
    by_record = manifest.get("items")
    if isinstance(by_record, dict) and sum(v for v in by_record.values() if _count(v)) != total:
        raise ManifestError(f"{where}: the manifest's records per kind {by_record} do not add up to {total}")
    return out


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0
