"""Test helpers: raw items from the real saved pages (parsed with lxml here) and raw runs on disk."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lxml.html

from cricket_contract.manifest import part_entries, part_info

SCRAPED_AT = "2026-11-26T03:04:05Z"


def player_page_items(
    path: Path, player_id: int, typ: str, run_id: str = "r1", scraped_at: str = SCRAPED_AT
) -> list[dict]:
    """One raw `player_career` item per row of "Career averages" and "Career summary", cells by header text."""
    doc = lxml.html.parse(str(path))
    items = []
    for table in doc.xpath('//table[contains(@class, "engineTable")][caption]'):
        caption = table.xpath("string(caption)").strip()
        if caption not in ("Career averages", "Career summary"):
            continue
        heads = table.xpath('.//tr[contains(@class, "head")]')
        if not heads:
            continue  # "No records available to match this query"
        head = heads[0]
        headers = [th.text_content().strip() for th in head.xpath("th")]
        section = 0
        for tr in table.xpath('.//tr[contains(@class, "data1")]'):
            tds = [td.text_content().strip() for td in tr.xpath("td")]
            if len(tds) < len(headers):
                section += 1  # a blank separator row
                continue
            cells = {h: v for h, v in zip(headers[1:], tds[1:], strict=True) if h}
            items.append(
                {
                    "record": "player_career",
                    "class": 11,
                    "type": typ,
                    "view": "career",
                    "player_id": player_id,
                    "caption": caption,
                    "grouping": tds[0],
                    "section": section,
                    "cells": cells,
                    "source_url": f"https://stats.espncricinfo.com/ci/engine/player/{player_id}.html?class=11;"
                    f"template=results;type={typ}",
                    "page": 1,
                    "scraped_at": scraped_at,
                    "run_id": run_id,
                    "spider": "player_stats",
                }
            )
    return items


def write_run(
    raw: Path,
    spider: str,
    run_id: str,
    items: list,
    *,
    manifest: bool = True,
    per_part: int = 5000,
    arguments: dict | None = None,
) -> Path:
    """`{raw}/{spider}/run_id={run_id}/part-NNNNN.jsonl.gz` (+ `_manifest.json`). Items may be dicts or raw bytes lines."""
    d = raw / spider / f"run_id={run_id}"
    d.mkdir(parents=True, exist_ok=True)
    parts = []
    for i in range(0, max(len(items), 1), per_part):
        chunk = items[i : i + per_part]
        name = f"part-{i // per_part + 1:05d}.jsonl.gz"
        lines = [it if isinstance(it, bytes) else json.dumps(it).encode() for it in chunk]
        data = gzip.compress(b"\n".join(lines) + b"\n") if lines else gzip.compress(b"")
        (d / name).write_bytes(data)
        parts.append(part_info(name, data, len(lines)))
    if (
        manifest
    ):  # shaped like the crawler's: parts with rows, bytes, sha256; records per kind (bad lines "unknown")
        kinds: dict[str, int] = {}
        for it in items:
            kind = it.get("record", "unknown") if isinstance(it, dict) else "unknown"
            kinds[kind] = kinds.get(kind, 0) + 1
        (d / "_manifest.json").write_text(
            json.dumps(
                {
                    "run_id": run_id,
                    "spider": spider,
                    "arguments": arguments or {},
                    "finish_reason": "finished",
                    **part_entries(parts),
                    "items": kinds,
                }
            )
        )
    return d
