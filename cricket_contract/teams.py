"""Team vocabulary: composite sides (never a player's country) and the women's `-W` suffix."""

from __future__ import annotations

from collections.abc import Iterable

WOMEN_SUFFIX = "-W"
# Sides made of several countries' players, in any of the spellings player cells and profiles use
# (`Afr/ICC/SA`, `Asia/ICC/SL`, `ENG/ICC`, `World`); compared case-insensitively.
COMPOSITES = frozenset(
    {"ICC", "WORLD", "WORLD-XI", "WORLD XI", "ASIA", "ASIA XI", "AFR", "AFRICA", "AFRICA XI"}
)


def is_composite(team: str) -> bool:
    return team.strip().upper() in COMPOSITES


def without_women_suffix(team: str) -> str:
    return team[: -len(WOMEN_SUFFIX)] if team.endswith(WOMEN_SUFFIX) else team


def country_of(teams: Iterable[str] | None) -> str | None:
    """The first team that is not a composite side, without the women's `-W`: `["AFG", "ICC"]` → `AFG`."""
    for team in teams or ():
        team = team.strip()
        base = without_women_suffix(team)
        if team and not is_composite(team) and not is_composite(base):
            return base
    return None


def split_player_cell(cell: str) -> tuple[str, list[str] | None]:
    """`BA Stokes (ENG)` → ("BA Stokes", ["ENG"]); `Rashid Khan (AFG/ICC)` → (…, ["AFG", "ICC"]); no team → None."""
    text = cell.strip()
    if text.endswith(")") and " (" in text:
        name, _, teams = text[:-1].rpartition(" (")
        if "(" not in teams and ")" not in teams:
            return name.strip(), [t.strip() for t in teams.split("/")]
    return text, None
