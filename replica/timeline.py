"""The replica in time: the world as it stood on a day (`--as-of`), weekly scorecard corrections, `info`."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np

from cricket_contract.vocabulary import FORMAT_CLASSES
from replica.model import LAST_DATE, PLAYED, Model

# Corrections happen weekly from this Monday on (a year before the world's last day): week k starts on
# CORRECTIONS_FROM + 7k and amends `--corrections` innings of matches that had started a week before it.
CORRECTIONS_FROM = dt.date(2025, 5, 12)
RECENT_DAYS = 120  # "some recent": every other correction amends a match of the four months before
GRACE_DAYS = 7  # a correction never touches a match that started in the week before its own week
CORRECTABLE = ("batting", "bowling")


def parse_date(text: str) -> dt.date:
    """An ISO date (`2026-04-17`); ValueError naming it otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def check_as_of(model: Model, day: dt.date) -> None:
    first = model.matches[0].date
    if not first <= day <= LAST_DATE:
        raise ValueError(
            f"--as-of {day.isoformat()}: the replica's world runs from {first.isoformat()} to "
            f"{LAST_DATE.isoformat()}"
        )


def weeks_until(day: dt.date) -> list[int]:
    """The correction weeks k that have started by `day` (week k starts on CORRECTIONS_FROM + 7k)."""
    if day < CORRECTIONS_FROM:
        return []
    return list(range((day - CORRECTIONS_FROM).days // 7 + 1))


def week_start(k: int) -> dt.date:
    return CORRECTIONS_FROM + dt.timedelta(days=7 * k)


def corrections(model: Model, day: dt.date, n: int) -> list[tuple[str, int, str, int, int]]:
    """Every correction made by `day`, in the order made: (type, row, column, old value, new value).

    Week k draws its `n` innings from a generator seeded by (seed, k) alone, so the corrections of a week never
    depend on the as-of date that asks for them; a row amended twice compounds, in week order.
    """
    if n <= 0:
        return []
    tabs = {"batting": model.B, "bowling": model.BW}
    values = {"batting": {"runs": model.B["runs"].copy()}, "bowling": {"wkts": model.BW["wkts"].copy()}}
    out = []
    for k in weeks_until(day):
        rng = np.random.default_rng([model.seed, k, 0xC0FFEE])
        before = (week_start(k) - dt.timedelta(days=GRACE_DAYS)).toordinal()
        for i in range(n):
            typ = CORRECTABLE[int(rng.integers(2))]
            tab = tabs[typ]
            hi = int(np.searchsorted(tab["date"], before, side="left"))  # rows are in match-date order
            lo = int(np.searchsorted(tab["date"], before - RECENT_DAYS, side="left")) if i % 2 == 0 else 0
            if hi <= lo:
                continue
            row = _played_from(tab, int(rng.integers(lo, hi)), lo, hi)
            if row is None:
                continue
            step = int(rng.integers(1, 5))  # runs ± 1..4; wickets ± 1
            up = bool(rng.integers(2))
            if typ == "batting":
                col, old = "runs", int(values[typ]["runs"][row])
                floor = 4 * int(tab["f4"][row]) + 6 * int(tab["f6"][row])  # boundaries stay possible
                new = old + step if up or old - step < floor else old - step
            else:
                col, old = "wkts", int(values[typ]["wkts"][row])
                top = min(10, int(tab["balls"][row]))
                new = old + 1 if (up and old < top) or old == 0 else old - 1
                if new == old or not 0 <= new <= top:
                    continue
            values[typ][col][row] = new
            out.append((typ, row, col, old, new))
    return out


def _played_from(tab: dict, start: int, lo: int, hi: int) -> int | None:
    """The first row at or after `start` (wrapping within [lo, hi)) that was played (not DNB, absent or sub),
    and for bowling with a ball bowled (a wicket needs one)."""
    part, balls = tab["part"], tab.get("balls")
    for segment in (range(start, hi), range(lo, start)):
        for r in segment:
            if part[r] == PLAYED and (balls is None or balls[r] > 0):
                return r
    return None


def as_of(model: Model, day: dt.date | None = None, n_corrections: int = 0) -> Model:
    """The world as it stood on `day` (default: its last day) with `n_corrections` amendments a week.

    Without a day before the last and without corrections this is `model` itself, so the default site is
    byte for byte what it always was. Otherwise a shallow copy whose row tables hold only the innings of
    matches started on or before `day`, amended, and whose per-player facts are derived from those rows.
    """
    day = day or LAST_DATE
    check_as_of(model, day)
    if day == LAST_DATE and n_corrections <= 0:
        return model
    view = copy.copy(model)
    amended = corrections(model, day, n_corrections)
    tabs = {}
    for typ, tab in (("batting", model.B), ("bowling", model.BW), ("fielding", model.F)):
        keep = int(np.searchsorted(tab["date"], day.toordinal(), side="right"))
        tabs[typ] = {k: v[:keep].copy() for k, v in tab.items() if k != "opp"}
    for typ, row, col, _old, new in amended:
        if row < len(tabs[typ][col]):
            tabs[typ][col][row] = new
    view.B, view.BW, view.F = tabs["batting"], tabs["bowling"], tabs["fielding"]
    view.as_of = day
    view.corrections = amended
    view.corrections_per_week = max(0, n_corrections)
    view.last_match_idx = int(np.searchsorted(model.m_date, day.toordinal(), side="right")) - 1
    view.derive_sides(until=day)
    return view


def info(model: Model) -> dict:
    """What `python -m replica info` prints: the world's dates, its size and its pace over the last year."""
    day = model.as_of or LAST_DATE
    last = model.matches[model.last_match_idx].date
    year_ago = (day - dt.timedelta(days=364)).toordinal()
    recent = (model.m_date[: model.last_match_idx + 1] > year_ago).sum()
    rows = {"batting": model.B, "bowling": model.BW, "fielding": model.F}
    recent_rows = {t: int((tab["date"] > year_ago).sum()) for t, tab in rows.items()}
    per_class = {}
    for cls in FORMAT_CLASSES:
        sel = model.m_cls[: model.last_match_idx + 1] == cls
        per_class[str(cls)] = int(sel.sum())
    return {
        "as_of": day.isoformat(),
        "players": int(model.played.sum()),
        "seed": model.seed,
        "first_match_date": model.matches[0].date.isoformat(),
        "last_match_date": last.isoformat(),
        "matches": model.last_match_idx + 1,
        "matches_per_class": per_class,
        "matches_per_week_last_year": round(float(recent) / 52.0, 2),
        "innings_rows": {t: len(tab["p"]) for t, tab in rows.items()},
        "innings_rows_per_week_last_year": {t: round(n / 52.0, 1) for t, n in recent_rows.items()},
        "corrections_per_week": model.corrections_per_week,
        "corrections_from": CORRECTIONS_FROM.isoformat(),
        "corrections_made": len(model.corrections),
    }
