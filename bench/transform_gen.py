"""Synthetic raw runs for the transformer benchmark: Statsguru-shaped JSONL parts, consistent numbers."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np

from cricket_contract.manifest import part_entries, part_info

TEAMS = ("ENG", "AUS", "IND", "PAK", "SA", "NZ", "SL", "WI", "BAN", "ZIM", "AFG", "IRE")
OPPS = (
    "Australia",
    "England",
    "India",
    "Pakistan",
    "South Africa",
    "New Zealand",
    "Sri Lanka",
    "West Indies",
)
GROUNDS = ("Lord's", "Melbourne", "Eden Gardens", "Karachi", "Cape Town", "Wellington", "Galle", "Bridgetown")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LABEL = {1: "Test", 2: "ODI", 3: "T20I", 8: "WTest", 9: "WODI", 10: "WT20I"}


def trunc(x: float, d: int) -> str:
    """A rate as the site shows it: truncated to d decimals, trailing zeros dropped."""
    v = math.floor(x * 10**d + 1e-9) / 10**d
    return f"{v:.{d}f}".rstrip("0").rstrip(".")


PLAYERS = 20_000
FORMAT_CLASSES = (1, 2, 3, 8, 9, 10)


def _rows(n: int, seed: int, run_id: str):
    """Innings rows (unique per player, match and innings) plus one career row per (player, format) up to 5%."""
    rng = np.random.default_rng(seed)
    career_rows = min(n // 20, PLAYERS * len(FORMAT_CLASSES))
    ts = "2026-11-26T03:04:05Z"
    chunk = 100_000  # random numbers a chunk at a time: the generator's memory stays flat
    for i in range(n):
        if i % chunk == 0:
            size = min(chunk, n - i)
            kinds = rng.choice(3, size=size, p=[0.55, 0.30, 0.15])  # batting, bowling, fielding innings
            ints = rng.integers(0, 1 << 30, size=(size, 8))
        r = ints[i % chunk]
        career = i < career_rows
        cls = FORMAT_CLASSES[(i // PLAYERS) % 6] if career else FORMAT_CLASSES[r[0] % 6]
        match = 100000 + i // 22
        pid = 1000 + (i % PLAYERS if career else (match * 22 + i % 22) % PLAYERS)
        cell = f"P{pid} Player ({TEAMS[pid % len(TEAMS)]}{'-W' if cls >= 8 else ''})"
        base = {
            "class": cls,
            "player_id": pid,
            "player_cell": cell,
            "page": int(r[2] % 50) + 1,
            "source_url": f"http://127.0.0.1:8765/ci/engine/stats/index.html?class={cls};template=results",
            "scraped_at": ts,
            "run_id": run_id,
            "spider": "statsguru",
        }
        if not career:
            k = int(kinds[i % chunk])
            date = f"{1 + r[3] % 28} {MONTHS[r[3] % 12]} {1990 + r[3] % 36}"
            common = {
                "Inns": str(1 + i % 2),
                "Opposition": f"v {OPPS[r[4] % len(OPPS)]}",
                "Ground": GROUNDS[r[5] % len(GROUNDS)],
                "Start Date": date,
            }
            extra = {"match_id": str(match), "match_label": f"{LABEL[cls]} # {match % 5000}"}
            if k == 0:
                runs, bf = int(r[5] % 150), 1 + int(r[6] % 200)
                cells = {
                    "Runs": f"{runs}{'*' if r[7] % 9 == 0 else ''}",
                    "Mins": str(bf + 10),
                    "BF": str(bf),
                    "4s": str(runs // 12),
                    "6s": str(runs // 40),
                    "SR": trunc(runs * 100 / bf, 2),
                    "Pos": str(1 + r[7] % 11),
                    "Dismissal": "caught",
                    **common,
                }
            elif k == 1:
                balls, runs, wk = 6 + int(r[5] % 120), int(r[6] % 90), int(r[7] % 6)
                cells = {
                    "Overs": f"{balls // 6}.{balls % 6}" if balls % 6 else str(balls // 6),
                    "Mdns": str(int(r[4] % (balls // 6 + 1))),
                    "Runs": str(runs),
                    "Wkts": str(wk),
                    "Econ": trunc(runs * 6 / balls, 2),
                    "Pos": str(1 + r[7] % 6),
                    **common,
                }
            else:
                ct, st = int(r[5] % 3), int(r[6] % 2)
                cells = {
                    "Dis": str(ct + st),
                    "Ct": str(ct),
                    "St": str(st),
                    "Ct Wk": str(ct if st else 0),
                    "Ct Fi": str(0 if st else ct),
                    **common,
                }
            typ = ("batting", "bowling", "fielding")[k]
            yield {"record": "innings", "type": typ, "view": "innings", **base, "cells": cells, **extra}
            continue
        mat = 1 + int(r[4] % 150)
        inns = mat + int(r[5] % mat)
        if i % 2 == 0:
            no = int(r[6] % (inns // 4 + 1))
            runs = int(r[7] % 12000)
            hs = min(runs, 40 + int(r[5] % 200))
            bf = runs + 1 + int(r[6] % 5000)
            out = inns - no
            cells = {
                "Span": "2001-2019",
                "Mat": str(mat),
                "Inns": str(inns),
                "NO": str(no),
                "Runs": str(runs),
                "HS": f"{hs}{'*' if r[4] % 7 == 0 else ''}",
                "Ave": trunc(runs / out, 2) if out else "-",
                "BF": str(bf),
                "SR": trunc(runs * 100 / bf, 2),
                "100": str(min(inns // 2, runs // 900)),
                "50": "0",
                "0": str(int(r[4] % 5) % (inns + 1)),
                "4s": str(runs // 15),
                "6s": str(runs // 60),
            }
            yield {"record": "career", "type": "batting", "view": "career", **base, "cells": cells}
        else:
            balls = 60 + int(r[6] % 20000)
            wk = int(r[7] % min(400, balls // 6))
            runs = balls * (2 + int(r[5] % 5)) // 6
            cells = {
                "Span": "2001-2019",
                "Mat": str(mat),
                "Inns": str(inns),
                "Overs": f"{balls // 6}.{balls % 6}" if balls % 6 else str(balls // 6),
                "Mdns": str(balls // 100),
                "Runs": str(runs),
                "Wkts": str(wk),
                "BBI": f"{min(wk, 7)}/{30 + int(r[4] % 40)}" if wk else "-",
                "Ave": trunc(runs / wk, 2) if wk else "-",
                "Econ": trunc(runs * 6 / balls, 2),
                "SR": trunc(balls / wk, 1) if wk else "-",
                "5": str(min(inns, wk // 60)),
                "10": "0",
            }
            if cls in (1, 8):
                cells["BBM"] = cells["BBI"]
            else:
                cells["4"] = str(min(inns, wk // 40))
                del cells["10"]
            yield {"record": "career", "type": "bowling", "view": "career", **base, "cells": cells}


def generate(raw: Path, rows: int, run_id: str = "bench", seed: int = 7, per_part: int = 5000) -> Path:
    """Write `rows` raw items as `{raw}/statsguru/run_id={run_id}/part-NNNNN.jsonl.gz` plus a manifest."""
    d = raw / "statsguru" / f"run_id={run_id}"
    d.mkdir(parents=True, exist_ok=True)
    parts, buf, n = [], [], 0
    dumps = json.JSONEncoder(separators=(",", ":")).encode

    def flush() -> None:
        name = f"part-{len(parts) + 1:05d}.jsonl.gz"
        data = gzip.compress(("\n".join(buf) + "\n").encode(), compresslevel=1)
        (d / name).write_bytes(data)
        parts.append(part_info(name, data, len(buf)))
        buf.clear()

    by_record: dict[str, int] = {}
    for item in _rows(rows, seed, run_id):
        buf.append(dumps(item))
        n += 1
        by_record[item["record"]] = by_record.get(item["record"], 0) + 1
        if len(buf) >= per_part:
            flush()
    if buf:
        flush()
    # Shaped like the crawler's manifest: every part's rows, bytes and sha256, records per kind and in all.
    manifest = {
        "run_id": run_id,
        "spider": "statsguru",
        "arguments": {"bench": True},
        "finish_reason": "finished",
        **part_entries(parts),
        "items": by_record,
    }
    (d / "_manifest.json").write_text(json.dumps(manifest))
    return d
