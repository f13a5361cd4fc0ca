"""Test helper for the run-report tests: a raw run of hostile site values (markup in a player's name and cells)."""

from __future__ import annotations

from pathlib import Path

from tests.transform.rawgen import write_run

HOSTILE_NAME = "<script>window.__pwned=1</script>"
HOSTILE_ID = 999_999_901
HOSTILE_CELL = "<img src=x onerror=window.__pwned=2>"  # no quotes: the raw text is JSON


def hostile_run(raw: Path, run_id: str = "hostile1", scraped_at: str = "2026-11-30T03:00:00Z") -> Path:
    """A finished `statsguru` career run: one Test batter whose name is a script tag (and who leads the runs, so
    he is drawn in the chart and listed), and one row whose Runs cell is markup (a reject with its raw text)."""
    url = (
        "http://replica.test/ci/engine/stats/index.html?class=1;template=results;type=batting;page=1;size=200"
    )
    base = {"record": "career", "class": 1, "type": "batting", "view": "career", "source_url": url, "page": 1,
            "scraped_at": scraped_at, "run_id": run_id, "spider": "statsguru"}  # fmt: skip
    cells = {"Span": "2001-2026", "Mat": "300", "Inns": "500", "NO": "20", "Runs": "99999", "HS": "400",
             "Ave": "208.33", "BF": "150000", "SR": "66.66", "100": "200", "50": "150", "0": "3", "4s": "9000",
             "6s": "900"}  # fmt: skip
    items = [
        base | {"player_id": HOSTILE_ID, "player_cell": f"{HOSTILE_NAME} (ENG)", "cells": cells},
        base
        | {
            "player_id": HOSTILE_ID + 1,
            "player_cell": "A Markup (AUS)",
            "cells": cells | {"Runs": HOSTILE_CELL},
        },
    ]
    return write_run(
        raw, "statsguru", run_id, items, arguments={"classes": "1", "types": "batting", "view": "hostile"}
    )
