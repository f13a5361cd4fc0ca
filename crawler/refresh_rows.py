"""The rows a refresh's delta compares: careers against their stored innings, a player's own innings view against those."""

from __future__ import annotations

import datetime as dt

# The totals of a career row its innings rows must add up to (a correction moves one of them).
SUM_CELLS = {"batting": ("Runs",), "bowling": ("Wkts", "Runs"), "fielding": ("Ct", "St")}
OWN_ONLY = frozenset({"Pos", "Dismissal"})  # cells of a player's own view the multi-player lists do not show
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _n(cell: str | None) -> int | None:
    text = (cell or "").rstrip("*")
    return int(text) if text.isdigit() else None


def start_date(cell: str) -> dt.date | None:
    """`25 Apr 2021` → a date (the month names are the site's, not the locale's)."""
    parts = (cell or "").split()
    if len(parts) != 3 or parts[1][:3] not in MONTHS or not (parts[0].isdigit() and parts[2].isdigit()):
        return None
    return dt.date(int(parts[2]), MONTHS.index(parts[1][:3]) + 1, int(parts[0]))


def careers(rows) -> dict[tuple[int, str, int], dict[str, str]]:
    """(class, type, player) → career cells, later rows winning."""
    return {(r["class"], r["type"], r["player_id"]): r["cells"] for r in rows if r.get("record") == "career"}


def innings_by_player(rows, keep: set[tuple[int, str, int]], into: dict | None = None) -> dict:
    """(class, type, player) → {(match id, innings number): cells} for the players in `keep`, later rows winning."""
    out = into if into is not None else {}
    for r in rows:
        if r.get("record") != "innings":
            continue
        key = (r["class"], r["type"], r["player_id"])
        if key in keep:
            out.setdefault(key, {})[(r.get("match_id"), r["cells"].get("Inns"))] = r["cells"]
    return out


def disagrees(kind: str, career: dict[str, str], innings: dict) -> bool:
    """Whether the career's totals differ from the sums of its innings (an innings was amended or missed)."""
    for col in SUM_CELLS[kind]:
        want = _n(career.get(col))
        if want is None:
            continue
        if want != sum(_n(c.get(col)) or 0 for c in innings.values()):
            return True
    return False


def same(a: str | None, b: str | None) -> bool:
    """Two cells say the same: equal text, or equal numbers (a player's own view writes `112.5`, the lists
    `112.50`)."""
    if a == b:
        return True
    try:
        return float(a or "") == float(b or "")
    except ValueError:
        return False


def amended_days(own_rows, stored: dict, since: dt.date) -> tuple[set[tuple[int, str, dt.date]], set]:
    """The (class, type, day) of every innings in the players' own views that differs from (or is missing in)
    what is stored, before the window; and the players whose views showed one."""
    days, located = set(), set()
    for r in own_rows:
        if r.get("record") != "innings":
            continue
        day = start_date(r["cells"].get("Start Date", ""))
        if day is None or day >= since:
            continue
        key = (r["class"], r["type"], r["player_id"])
        have = stored.get(key, {}).get((r.get("match_id"), r["cells"].get("Inns")))
        mine = {h: v for h, v in r["cells"].items() if h not in OWN_ONLY}
        if have is None or any(not same(have[h], v) for h, v in mine.items() if h in have):
            days.add((r["class"], r["type"], day))
            located.add(key)
    return days, located
