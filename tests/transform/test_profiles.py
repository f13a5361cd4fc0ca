"""Profiles → players rows from the real JSON sources, through the contract's readers (no Scrapy needed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cricket_contract.profiles import match_players
from transform.profiles import ProfileError, profile_row

FIELDS = (
    "player_id",
    "name",
    "full_name",
    "date_of_birth",
    "gender",
    "batting_style",
    "bowling_style",
    "playing_role",
    "country",
    "teams",
)


def _sources(real):
    doc = json.loads((real / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text())
    out = [("next_data", p) for p in match_players(doc)]
    for f in ("espn_core_athlete_253802_virat_kohli.json", "espn_core_athlete_303669_joe_root.json"):
        out.append(("athlete_json", json.loads((real / f).read_text())))
    out.append(
        (
            "rendered",
            {
                "player_id": "311158",
                "full_name": "Benjamin Andrew Stokes",
                "date_of_birth": "1991-06-04",
                "batting_style": "Left-hand bat",
                "bowling_style": "Right-arm fast-medium",
                "playing_role": "Allrounder",
                "country": "ENG",
                "gender": "male",
                "teams": "ENG, ICC",
            },
        )
    )
    return out


def test_every_real_source_types_to_a_players_row(real_fixtures):
    sources = _sources(real_fixtures)
    assert len(sources) > 20
    for source, data in sources:
        pid = int(data.get("objectId") or data.get("id") or data.get("player_id"))
        row = profile_row({"record": "profile", "player_id": pid, "source": source, "data": data})
        assert set(row) == set(FIELDS) and row["player_id"] == pid and row["full_name"], (source, data)
    stokes = profile_row(
        {"record": "profile", "player_id": 311158, "source": "rendered", "data": sources[-1][1]}
    )
    assert (stokes["country"], stokes["teams"], stokes["date_of_birth"]) == (
        "ENG",
        ["ENG", "ICC-XI"],  # the sides by canonical id (cricket_contract/teams.csv)
        dt.date(1991, 6, 4),
    )


def test_profile_rows_exact(real_fixtures):
    kohli = json.loads((real_fixtures / "espn_core_athlete_253802_virat_kohli.json").read_text())
    row = profile_row({"record": "profile", "player_id": 253802, "source": "athlete_json", "data": kohli})
    assert row == {
        "player_id": 253802,
        "name": "V Kohli",
        "full_name": "Virat Kohli",
        "country": "IND",
        "teams": None,
        "gender": "male",
        "date_of_birth": dt.date(1988, 11, 5),
        "batting_style": "right-hand bat",
        "bowling_style": "right-arm medium",
        "playing_role": "top-order batter",
    }
    with pytest.raises(ProfileError, match="item says 1"):
        profile_row({"record": "profile", "player_id": 1, "source": "athlete_json", "data": kohli})
    with pytest.raises(ProfileError):
        profile_row({"record": "profile", "player_id": 253802, "source": "telepathy", "data": kohli})
