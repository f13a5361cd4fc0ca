"""Profiles → players rows: the real JSON sources, and the local reader the transformer image uses."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crawler.pages.profiles import match_players, parse_raw
from transform.profiles import ProfileError, local_profile, profile_row

FIELDS = ("player_id", "name", "full_name", "date_of_birth", "gender", "batting_style", "bowling_style",
          "playing_role", "country", "teams")  # fmt: skip


def _sources(real):
    doc = json.loads((real / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text())
    out = [("next_data", p) for p in match_players(doc)]
    for f in ("espn_core_athlete_253802_virat_kohli.json", "espn_core_athlete_303669_joe_root.json"):
        out.append(("athlete_json", json.loads((real / f).read_text())))
    out.append(("rendered", {"player_id": "311158", "full_name": "Benjamin Andrew Stokes", "date_of_birth": "1991-06-04",
                             "batting_style": "Left-hand bat", "bowling_style": "Right-arm fast-medium",
                             "playing_role": "Allrounder", "country": "ENG", "gender": "male",
                             "teams": "ENG, ICC"}))  # fmt: skip
    return out


def test_local_reader_agrees_with_the_crawlers_on_real_json(real_fixtures):
    sources = _sources(real_fixtures)
    assert len(sources) > 20
    for source, data in sources:
        want = parse_raw(source, data)
        got = local_profile(source, data)
        assert {f: getattr(got, f) for f in FIELDS} == {f: getattr(want, f) for f in FIELDS}, (source, data)


def test_profile_rows_exact(real_fixtures):
    kohli = json.loads((real_fixtures / "espn_core_athlete_253802_virat_kohli.json").read_text())
    row = profile_row({"record": "profile", "player_id": 253802, "source": "athlete_json", "data": kohli})
    assert row == {"player_id": 253802, "name": "V Kohli", "full_name": "Virat Kohli", "country": "IND",
                   "teams": None, "gender": "male", "date_of_birth": dt.date(1988, 11, 5),
                   "batting_style": "right-hand bat", "bowling_style": "right-arm medium",
                   "playing_role": "top-order batter"}  # fmt: skip
    with pytest.raises(ProfileError, match="item says 1"):
        profile_row({"record": "profile", "player_id": 1, "source": "athlete_json", "data": kohli})
    with pytest.raises(ProfileError):
        profile_row({"record": "profile", "player_id": 253802, "source": "telepathy", "data": kohli})


def test_transform_uses_local_reader_without_the_crawler(monkeypatch, real_fixtures):
    import transform.profiles as tp

    monkeypatch.setattr(tp, "parse_raw", None)
    root = json.loads((real_fixtures / "espn_core_athlete_303669_joe_root.json").read_text())
    row = tp.profile_row({"record": "profile", "player_id": 303669, "source": "athlete_json", "data": root})
    assert (row["full_name"], row["date_of_birth"], row["gender"]) == (
        "Joseph Edward Root",
        dt.date(1990, 12, 30),
        "male",
    )
