"""Synthetic raw runs for the transformer benchmark: Statsguru-shaped JSONL parts, consistent numbers."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np

from cricket_contract.manifest import part_entries, part_info

TEAMS = ("ENG", "AUS", "IND", "PAK", "SA", "NZ", "SL", "WI", "BAN", "ZIM", "AFG", "IRE")
W_TEAMS = tuple(t for t in TEAMS if t != "AFG")
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
# in the manifest's arguments, bumped whenever the rows change (cached data of an older one is made again): 1 random
# careers, 2 careers summed from the innings, 3 no AFG-W
GENERATOR = 3
ROWS_PER_PLAYER = 50  # innings and careers of a player: 20,000 players at a million rows, fewer below


def _players(n: int) -> int:
    return max(1, min(PLAYERS, n // ROWS_PER_PLAYER))


def _career_batting(t: dict) -> dict[str, str]:
    """A batting career list row that is the sum of the player's innings (as the site's lists are)."""
    runs, no, bf = t["runs"], t["no"], t["bf"]
    out = t["inns"] - no
    hs, hs_no = divmod(t["hs"], 2)
    return {
        "Span": f"{t['first']}-{t['last']}",
        "Mat": str(len(t["matches"])),
        "Inns": str(t["inns"]),
        "NO": str(no),
        "Runs": str(runs),
        "HS": f"{hs}{'*' if hs_no else ''}",
        "Ave": trunc(runs / out, 2) if out else "-",
        "BF": str(bf),
        "SR": trunc(runs * 100 / bf, 2),
        "100": str(t["100"]),
        "50": str(t["50"]),
        "0": str(t["0"]),
        "4s": str(t["4s"]),
        "6s": str(t["6s"]),
    }


def _career_bowling(t: dict, cls: int) -> dict[str, str]:
    """A bowling career list row that is the sum of the player's innings; one innings a match here, so the best
    match is the best innings and no match reaches ten wickets."""
    balls, runs, wk = t["balls"], t["runs"], t["wk"]
    best = f"{t['best'] // BIG}/{BIG - 1 - t['best'] % BIG}" if wk else "-"
    cells = {
        "Span": f"{t['first']}-{t['last']}",
        "Mat": str(len(t["matches"])),
        "Inns": str(t["inns"]),
        "Overs": f"{balls // 6}.{balls % 6}" if balls % 6 else str(balls // 6),
        "Mdns": str(t["mdns"]),
        "Runs": str(runs),
        "Wkts": str(wk),
        "BBI": best,
        "Ave": trunc(runs / wk, 2) if wk else "-",
        "Econ": trunc(runs * 6 / balls, 2),
        "SR": trunc(balls / wk, 1) if wk else "-",
        "5": str(t["5"]),
    }
    if cls in (1, 8):
        cells |= {"BBM": best, "10": "0"}
    else:
        cells["4"] = str(t["4"])
    return cells


BIG = 1_000_000  # best figures as one number: wickets * BIG + (BIG - 1 - runs), the larger the better


def _rows(n: int, seed: int, run_id: str):
    """Innings rows (unique per player, match and innings; each player in one format), then the career lists:
    one batting and one bowling row per player who batted or bowled, each the sum of that player's innings, as
    on the site (the reconciliation finds nothing). Innings stop where innings plus careers make `n` rows."""
    rng = np.random.default_rng(seed)
    players = _players(n)
    ts = "2026-11-26T03:04:05Z"
    chunk = 100_000  # random numbers a chunk at a time: the generator's memory stays flat
    totals: dict[tuple[str, int], dict] = {}  # (type, player) → the sums its career row shows
    emitted, i = 0, -1
    while True:
        i += 1
        if i % chunk == 0:
            kinds = rng.choice(3, size=chunk, p=[0.55, 0.30, 0.15])  # batting, bowling, fielding innings
            ints = rng.integers(0, 1 << 30, size=(chunk, 8))
        r = ints[i % chunk]
        k = int(kinds[i % chunk])
        match = 100000 + i // 22
        pid = 1000 + (match * 22 + i % 22) % players
        typ = ("batting", "bowling", "fielding")[k]
        new_career = typ != "fielding" and (typ, pid) not in totals
        if emitted + len(totals) >= n:
            break
        if emitted + len(totals) + 1 + new_career > n:
            continue  # one row short of `n`: wait for an innings of a player who already has his career
        cls = FORMAT_CLASSES[pid % len(FORMAT_CLASSES)]
        year = 1990 + r[3] % 36
        date = f"{1 + r[3] % 28} {MONTHS[r[3] % 12]} {year}"
        common = {
            "Inns": str(1 + i % 2),
            "Opposition": f"v {OPPS[r[4] % len(OPPS)]}",
            "Ground": GROUNDS[r[5] % len(GROUNDS)],
            "Start Date": date,
        }
        t = None
        if typ != "fielding":
            t = totals.setdefault((typ, pid), {"matches": set(), "first": year, "last": year, "inns": 0})
            t["matches"].add(match)
            t["first"], t["last"], t["inns"] = min(t["first"], year), max(t["last"], year), t["inns"] + 1
        if k == 0:
            runs, bf, no = int(r[5] % 150), 1 + int(r[6] % 200), r[7] % 9 == 0
            cells = {
                "Runs": f"{runs}{'*' if no else ''}",
                "Mins": str(bf + 10),
                "BF": str(bf),
                "4s": str(runs // 12),
                "6s": str(runs // 40),
                "SR": trunc(runs * 100 / bf, 2),
                "Pos": str(1 + r[7] % 11),
                "Dismissal": "not out" if no else "caught",
                **common,
            }
            for key, v in (
                ("runs", runs),
                ("no", int(no)),
                ("bf", bf),
                ("4s", runs // 12),
                ("6s", runs // 40),
                ("100", int(runs >= 100)),
                ("50", int(50 <= runs < 100)),
                ("0", int(runs == 0 and not no)),
            ):
                t[key] = t.get(key, 0) + v
            t["hs"] = max(t.get("hs", -1), runs * 2 + int(no))  # a not out wins a tie, as HS shows it
        elif k == 1:
            balls, runs, wk = 6 + int(r[5] % 120), int(r[6] % 90), int(r[7] % 6)
            mdns = int(r[4] % (balls // 6 + 1))
            cells = {
                "Overs": f"{balls // 6}.{balls % 6}" if balls % 6 else str(balls // 6),
                "Mdns": str(mdns),
                "Runs": str(runs),
                "Wkts": str(wk),
                "Econ": trunc(runs * 6 / balls, 2),
                "Pos": str(1 + r[7] % 6),
                **common,
            }
            for key, v in (
                ("balls", balls),
                ("runs", runs),
                ("wk", wk),
                ("mdns", mdns),
                ("4", int(wk == 4)),
                ("5", int(wk >= 5)),
            ):
                t[key] = t.get(key, 0) + v
            t["best"] = max(t.get("best", -1), wk * BIG + BIG - 1 - runs)
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
        emitted += 1
        yield {
            "record": "innings",
            "type": typ,
            "view": "innings",
            **_base(cls, pid, int(r[2] % 50) + 1, ts, run_id),
            "cells": cells,
            "match_id": str(match),
            "match_label": f"{LABEL[cls]} # {match % 5000}",
        }
    for (typ, pid), t in sorted(totals.items()):
        cls = FORMAT_CLASSES[pid % len(FORMAT_CLASSES)]
        cells = _career_batting(t) if typ == "batting" else _career_bowling(t, cls)
        base = _base(cls, pid, 1 + pid % 50, ts, run_id)
        yield {"record": "career", "type": typ, "view": "career", **base, "cells": cells}


def _team(pid: int, cls: int) -> str:
    """The player's side as the site writes it; women's sides only of countries that have one (no AFG-W)."""
    if cls < 8:
        return TEAMS[pid % len(TEAMS)]
    return f"{W_TEAMS[pid % len(W_TEAMS)]}-W"


def _base(cls: int, pid: int, page: int, ts: str, run_id: str) -> dict:
    return {
        "class": cls,
        "player_id": pid,
        "player_cell": f"P{pid} Player ({_team(pid, cls)})",
        "page": page,
        "source_url": f"http://127.0.0.1:8765/ci/engine/stats/index.html?class={cls};template=results",
        "scraped_at": ts,
        "run_id": run_id,
        "spider": "statsguru",
    }


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
        "arguments": {"bench": True, "generator": GENERATOR},
        "finish_reason": "finished",
        **part_entries(parts),
        "items": by_record,
    }
    (d / "_manifest.json").write_text(json.dumps(manifest))
    return d
