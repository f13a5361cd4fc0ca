"""Test-side converter: raw crawler rows → the typed values of the replica's truth tables, for comparison."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

from cricket_contract.teams import team_of_opposition
from cricket_contract.vocabulary import FORMAT_BY_CLASS


def read_run(run_dir: Path) -> tuple[dict, list[dict]]:
    manifest = json.loads((run_dir / "_manifest.json").read_text())
    rows = []
    for name in manifest["parts"]:
        with gzip.open(run_dir / name, "rt", encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return manifest, rows


def read_parts(run_dir: Path, names: list[str] | None = None) -> list[dict]:
    """The rows of the run's parts: `names` (a manifest's `parts`) or every part file in the directory."""
    rows = []
    for part in (
        [run_dir / n for n in names] if names is not None else sorted(run_dir.glob("part-*.jsonl.gz"))
    ):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def read_truth(truth_dir: Path, table: str) -> list[dict]:
    with (truth_dir / f"{table}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _int(s: str | None) -> int | None:
    return None if s in (None, "", "-") else int(s)


def _balls(overs: str | None) -> int | None:
    if overs in (None, "", "-"):
        return None
    whole, _, part = overs.partition(".")
    return int(whole) * 6 + int(part or 0)


def _best(s: str | None) -> tuple[int | None, int | None]:
    if s in (None, "", "-"):
        return None, None
    w, r = s.split("/")
    return int(w), int(r)


def truncated_ok(shown: str | None, truth: float | None, decimals: int) -> bool:
    """The site truncates: shown "21.66" for 21.666…; "-" for no value."""
    if shown in (None, "", "-"):
        return truth is None
    if truth is None:
        return False
    value = float(shown)
    return value - 1e-9 <= truth < value + 10**-decimals + 1e-9


INT_CELLS = {
    "batting": {
        "Mat": "matches",
        "Inns": "innings",
        "NO": "not_outs",
        "Runs": "runs",
        "BF": "balls_faced",
        "100": "hundreds",
        "50": "fifties",
        "0": "ducks",
        "4s": "fours",
        "6s": "sixes",
    },
    "bowling": {
        "Mat": "matches",
        "Inns": "innings",
        "Mdns": "maidens",
        "Runs": "runs_conceded",
        "Wkts": "wickets",
        "4": "four_wickets",
        "5": "five_wickets",
        "10": "ten_wickets",
    },
    "fielding": {
        "Mat": "matches",
        "Inns": "innings",
        "Dis": "dismissals",
        "Ct": "caught",
        "St": "stumped",
        "Ct Wk": "caught_keeper",
        "Ct Fi": "caught_fielder",
    },
}
FLOAT_CELLS = {
    "batting": {"Ave": ("average", 2), "SR": ("strike_rate", 2)},
    "bowling": {"Ave": ("average", 2), "Econ": ("economy", 2), "SR": ("strike_rate", 1)},
    "fielding": {"D/I": ("dismissals_per_innings", 3)},
}


def career_mismatches(raw: dict, truth: dict) -> list[str]:
    """Differences between one raw results-list career row and its truth row."""
    c, t, out = raw["cells"], raw["type"], []

    def check(label: str, got: Any, want: Any) -> None:
        if got != want:
            out.append(f"{label}: page {got!r} truth {want!r}")

    start, _, end = c["Span"].partition("-")
    check("start_year", int(start), truth["start_year"])
    check("end_year", int(end), truth["end_year"])
    check("name", raw["player_cell"].rsplit(" (", 1)[0], truth["name"])
    for header, col in INT_CELLS[t].items():
        if header in c:
            check(col, _int(c[header]), truth[col])
    for header, (col, dec) in FLOAT_CELLS[t].items():
        if not truncated_ok(c.get(header), truth[col], dec):
            out.append(f"{col}: page {c.get(header)!r} truth {truth[col]!r}")
    if t == "batting":
        check("high_score", _int(c["HS"].rstrip("*")), truth["high_score"])
        check("high_score_not_out", c["HS"].endswith("*"), bool(truth["high_score_not_out"]))
    elif t == "bowling":
        check("balls", _balls(c["Overs"]), truth["balls"])
        check("best_innings", _best(c["BBI"]), (truth["best_innings_wickets"], truth["best_innings_runs"]))
        if "BBM" in c:
            check("best_match", _best(c["BBM"]), (truth["best_match_wickets"], truth["best_match_runs"]))
    else:
        check("max_dismissals_innings", _int(c["MD"].split(" ", 1)[0]), truth["max_dismissals_innings"])
    return out


PARTICIPATION = {"DNB": "dnb", "TDNB": "tdnb", "absent": "absent", "sub": "sub"}


def innings_mismatches(raw: dict, truth: dict) -> list[str]:
    c, t, out = raw["cells"], raw["type"], []

    def check(label: str, got: Any, want: Any) -> None:
        if got != want:
            out.append(f"{label}: page {got!r} truth {want!r}")

    check(
        "match_date",
        dt.datetime.strptime(c["Start Date"], "%d %b %Y").date().isoformat(),
        truth["match_date"],
    )
    check("ground", c["Ground"], truth["ground"])
    side = team_of_opposition(c["Opposition"])  # the truth names the canonical team_id (teams.csv)
    if (side.team_id if side else c["Opposition"]) != truth["opposition"]:
        out.append(f"opposition: page {c['Opposition']!r} truth {truth['opposition']!r}")
    lead = {"batting": "Runs", "bowling": "Overs", "fielding": "Dis"}[t]
    if lead and c[lead] in PARTICIPATION:
        check("participation", PARTICIPATION[c[lead]], truth["participation"])
        return out
    if t == "batting":
        check("runs", _int(c["Runs"].rstrip("*")), truth["runs"])
        check("not_out", c["Runs"].endswith("*"), bool(truth["not_out"]))
        for h, col in {
            "Mins": "minutes",
            "BF": "balls_faced",
            "4s": "fours",
            "6s": "sixes",
            "Pos": "position",
        }.items():
            check(col, _int(c.get(h, "-")), truth[col])  # lists show no Pos: null in the truth too
        if not truncated_ok(c["SR"], truth["strike_rate"], 2):
            out.append(f"strike_rate: page {c['SR']!r} truth {truth['strike_rate']!r}")
    elif t == "bowling":
        check("balls", _balls(c["Overs"]), truth["balls"])
        for h, col in {
            "Mdns": "maidens",
            "Runs": "runs_conceded",
            "Wkts": "wickets",
            "Pos": "position",
        }.items():
            check(col, _int(c.get(h, "-")), truth[col])
        if not truncated_ok(c["Econ"], truth["economy"], 2):
            out.append(f"economy: page {c['Econ']!r} truth {truth['economy']!r}")
    else:
        for h, col in INT_CELLS["fielding"].items():
            if h not in ("Mat", "Inns"):  # in the innings view "Inns" is the innings number, part of the key
                check(col, _int(c[h]), truth[col])
    return out


def career_key(raw: dict) -> tuple:
    return raw["player_id"], FORMAT_BY_CLASS[raw["class"]]


def inns(text: str) -> int | None:
    """An Inns cell's innings number: "-" on a TDNB row (an innings never played has no number) is None."""
    return None if text == "-" else int(text)


def innings_key(raw: dict) -> tuple:
    return raw["player_id"], int(raw["match_id"]), inns(raw["cells"]["Inns"])
