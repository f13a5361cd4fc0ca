"""The team vocabulary: every side and every spelling the site uses for it (teams.csv), read with the stdlib.

Player cells (`BA Stokes (ENG)`, `JH Kallis (Afr/ICC/SA)`) and Opposition cells (`v U.A.E.`, `v Bdesh Wmn`)
resolve to one canonical `team_id` each; a composite side is never a player's country.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("teams.csv")
WOMEN_SUFFIX = "-W"
KINDS = ("full member", "associate", "composite", "historic side")
GENDERS = ("male", "female")
INFERRED = "~"  # a spelling in teams.csv that no source shows
# The order in which a player's teams are tried for a country: members first, then historic sides
# (a Jamaica Women player of 1973 is of Jamaica Women); composites never.
_COUNTRY_RANK = {"full member": 0, "associate": 0, "historic side": 1}


@dataclass(frozen=True)
class Team:
    """One side: its canonical id, who it is, and how the site spells it."""

    team_id: str
    gender: str
    kind: str
    name: str
    nation: str | None
    player_codes: tuple[str, ...]
    opposition: tuple[str, ...]
    statsguru_id: int | None
    espn_country_id: int | None
    sources: tuple[str, ...]
    inferred: frozenset[str]  # the spellings marked "~" (no source shows them)

    @property
    def composite(self) -> bool:
        return self.kind == "composite"


def _split(cell: str) -> tuple[tuple[str, ...], set[str]]:
    values, inferred = [], set()
    for v in (x.strip() for x in cell.split("|")):
        if not v:
            continue
        if v.startswith(INFERRED):
            v = v[1:]
            inferred.add(v)
        values.append(v)
    return tuple(values), inferred


def _int(cell: str) -> int | None:
    return int(cell) if cell.strip() else None


def read_teams(path: Path = DATA) -> tuple[Team, ...]:
    """Every row of teams.csv; ValueError naming the line for a row that breaks the file's rules."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    out: list[Team] = []
    for n, row in enumerate(csv.DictReader(lines), start=2):
        codes, inf1 = _split(row["player_codes"])
        opps, inf2 = _split(row["opposition"])
        team = Team(
            team_id=row["team_id"].strip(),
            gender=row["gender"].strip(),
            kind=row["kind"].strip(),
            name=row["name"].strip(),
            nation=row["nation"].strip() or None,
            player_codes=codes,
            opposition=opps,
            statsguru_id=_int(row["statsguru_id"]),
            espn_country_id=_int(row["espn_country_id"]),
            sources=tuple(row["sources"].split()),
            inferred=frozenset(inf1 | inf2),
        )
        if team.gender not in GENDERS or team.kind not in KINDS or not team.team_id or not team.name:
            raise ValueError(f"{path.name}: data row {n} ({row['team_id']!r}): bad gender, kind, id or name")
        if not codes or not opps:
            raise ValueError(
                f"{path.name}: data row {n} ({team.team_id}): a side needs a code and an opposition"
            )
        if (team.nation is None) != team.composite:
            raise ValueError(
                f"{path.name}: data row {n} ({team.team_id}): composites, and only they, lack a nation"
            )
        out.append(team)
    return tuple(out)


@cache
def teams() -> tuple[Team, ...]:
    return read_teams()


@cache
def _index() -> tuple[dict[str, Team], dict[str, Team], dict[str, Team], dict[str, Team], dict[tuple, Team]]:
    by_id, by_code, by_opp, by_code_ci = {}, {}, {}, {}
    by_nation: dict[tuple[str, str], Team] = {}
    for t in teams():
        for key, where in ((t.team_id, by_id), *((c, by_code) for c in t.player_codes)):
            if key in where:
                raise ValueError(f"teams.csv: {key!r} names both {where[key].team_id} and {t.team_id}")
            where[key] = t
        for o in t.opposition:
            if o in by_opp:
                raise ValueError(
                    f"teams.csv: opposition {o!r} names both {by_opp[o].team_id} and {t.team_id}"
                )
            by_opp[o] = t
        for c in t.player_codes:
            by_code_ci.setdefault(c.upper(), t)
        if t.nation and not t.composite and t.kind != "historic side":
            by_nation.setdefault((t.nation, t.gender), t)
    return by_id, by_code, by_opp, by_code_ci, by_nation


def team(team_id: str) -> Team:
    return _index()[0][team_id]


def team_of_code(code: str) -> Team | None:
    """The side a player-cell code names (`INDIA`, `IND-W`, `Afr`); case is ignored when nothing matches exactly."""
    code = code.strip()
    _, by_code, _, by_code_ci, _ = _index()
    return by_code.get(code) or by_code_ci.get(code.upper())


def team_of_opposition(text: str) -> Team | None:
    """The side an Opposition cell names (`v U.A.E.`, `Ire Women`; the leading `v ` is optional)."""
    text = text.strip()
    if text.startswith("v "):
        text = text[2:].strip()
    return _index()[2].get(text)


def side_of_nation(nation: str, gender: str) -> Team | None:
    """The member side of a country for one gender (`("India", "female")` → IND-W)."""
    return _index()[4].get((nation, gender))


def is_composite(code: str) -> bool:
    t = team_of_code(code)
    return t is not None and t.composite


def country_of(codes: Iterable[str] | None) -> str | None:
    """A player's country from the codes of a player cell: the canonical id of the first member side, else of the
    first historic side, else the first code the teams do not know (kept as the site spells it); never a composite.

    `["AFG", "ICC"]` → AFG; `["Afr", "ICC", "SA"]` → SA; `["INDIA"]` → IND; `["ICC"]` → None.
    """
    unknown = None
    best: tuple[int, str] | None = None
    for code in codes or ():
        code = code.strip()
        if not code:
            continue
        t = team_of_code(code)
        if t is None:
            unknown = unknown or code
        elif not t.composite and (best is None or _COUNTRY_RANK[t.kind] < best[0]):
            best = (_COUNTRY_RANK[t.kind], t.team_id)
    if best is not None and best[0] == 0:
        return best[1]
    if unknown is not None:
        return unknown
    return best[1] if best else None


def unknown_codes(codes: Iterable[str] | None) -> list[str]:
    """The codes of a player cell that no side in teams.csv is spelled as."""
    return [c.strip() for c in codes or () if c.strip() and team_of_code(c) is None]


def canonical_country(value: str | None, gender: str | None = None) -> str | None:
    """A country as a profile names it (`IND`, `IND-W`, `India`) → the canonical id of that gender's side.

    A woman's `IND` (profiles name her country by the men's code or the country's id) is IND-W. Unknown values
    are kept as given.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    t = team_of_code(value)
    if t is None:
        t = side_of_nation(value, gender or "male") or side_of_nation(value, "female")
    if t is None:
        return value
    if gender in GENDERS and t.gender != gender and t.nation:
        t = side_of_nation(t.nation, gender) or t
    return t.team_id


def without_women_suffix(team: str) -> str:
    return team[: -len(WOMEN_SUFFIX)] if team.endswith(WOMEN_SUFFIX) else team


def split_player_cell(cell: str) -> tuple[str, list[str] | None]:
    """`BA Stokes (ENG)` → ("BA Stokes", ["ENG"]); `Rashid Khan (AFG/ICC)` → (…, ["AFG", "ICC"]); no team → None."""
    text = cell.strip()
    if text.endswith(")") and " (" in text:
        name, _, codes = text[:-1].rpartition(" (")
        if "(" not in codes and ")" not in codes:
            return name.strip(), [t.strip() for t in codes.split("/")]
    return text, None
