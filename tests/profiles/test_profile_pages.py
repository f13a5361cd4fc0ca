"""Profile parsers on the real ESPN JSON (athlete files, matchPlayers) and on profile HTML, against expected JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.pages.profiles import rendered_fields
from cricket_contract.profiles import (
    ProfileParseError,
    match_players,
    next_data_player,
    parse_athlete,
    parse_next_data_player,
    parse_raw,
    parse_rendered,
    player_id_from_url,
)

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "profiles"


def _expected(name: str):
    return json.loads((EXPECTED / name).read_text())


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("espn_core_athlete_253802_virat_kohli.json", "athlete_253802_virat_kohli.expected.json"),
        ("espn_core_athlete_303669_joe_root.json", "athlete_303669_joe_root.expected.json"),
    ],
)
def test_real_athlete_json(real_fixtures, fixture, expected):
    doc = json.loads((real_fixtures / fixture).read_text())
    assert parse_athlete(doc).to_dict() == _expected(expected)


def test_real_athlete_json_spot_values(real_fixtures):
    # The athlete JSON's id is the public id; fullName is the full given name, not the display name.
    root = parse_athlete(json.loads((real_fixtures / "espn_core_athlete_303669_joe_root.json").read_text()))
    assert (root.player_id, root.name, root.full_name) == (303669, "JE Root", "Joseph Edward Root")
    assert (root.date_of_birth, root.bowling_style, root.country) == (
        "1990-12-30",
        "right-arm offbreak",
        "ENG",
    )
    assert root.complete


def test_real_match_players(real_fixtures):
    doc = json.loads((real_fixtures / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text())
    got = [parse_next_data_player(p).to_dict() for p in match_players(doc)]
    assert got == _expected("next_data_match_1478914_players.expected.json")
    assert len(got) == 22


def test_real_match_players_every_occurrence(real_fixtures):
    """Best-batter/bowler lists repeat squad players: every occurrence parses to the squad entry's profile."""
    doc = json.loads((real_fixtures / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text())
    by_id = {p["player_id"]: p for p in _expected("next_data_match_1478914_players.expected.json")}
    occurrences = 0
    for team in doc["teamPlayers"]:
        for key in ("players", "bestBatsmen", "bestBowlers"):
            for entry in team[key]:
                profile = parse_next_data_player(entry["player"])
                assert profile.to_dict() == by_id[profile.player_id]
                occurrences += 1
    assert occurrences == 30


def test_real_match_players_ids_and_edge_values(real_fixtures):
    doc = json.loads((real_fixtures / "espncricinfo_next_data_match_1478914_matchPlayers.json").read_text())
    players = {p.player_id: p for p in map(parse_next_data_player, match_players(doc))}
    mandhana = players[597806]  # objectId is public; id 70132 is internal
    assert (mandhana.internal_id, mandhana.name, mandhana.full_name) == (
        70132,
        "S Mandhana",
        "Smriti Mandhana",
    )
    assert (mandhana.date_of_birth, mandhana.gender, mandhana.country) == ("1996-07-18", "female", "IND-W")
    assert players[381258].bowling_style is None  # Beth Mooney: empty bowlingStyles list
    assert players[1464461].bowling_style == "slow left-arm orthodox"
    # The real file says gender "M" for Sophie Molineux; the parser reports the source, it does not guess.
    assert players[944373].gender == "male"
    assert 70132 not in players


PROFILE_HTML = """<!DOCTYPE html><html><head><title>Joe Root</title></head><body>
<div id="player-profile" data-player-id="303669"><h1 class="player-name">Joe Root</h1>
<dl class="player-details"><dt>Born</dt><dd data-field="date_of_birth">1990-12-30</dd>
<dt>Batting</dt><dd data-field="batting_style">right-hand bat</dd>
<dt>Bowling</dt><dd data-field="bowling_style">right-arm offbreak</dd>
<dt>Role</dt><dd data-field="playing_role">top-order batter</dd>
<dt>Country</dt><dd data-field="country">ENG</dd><dt>Gender</dt><dd data-field="gender">male</dd>
<dt>Teams</dt><dd data-field="teams">ENG, ICC</dd></dl></div>
<script id="__NEXT_DATA__" type="application/json">{"props":{"appPageProps":{"data":{"player":
{"id":1,"objectId":303669,"name":"JE Root","longName":"Joe Root","dateOfBirth":{"year":1990,"month":12,"date":30},
"gender":"M","longBattingStyles":["right-hand bat"],"longBowlingStyles":[],"playingRoles":["top-order batter"],
"teams":[{"abbreviation":"ICC","longName":"ICC World XI"},{"abbreviation":"ENG-W","longName":"England"}]}}}},
"page":"/cricketers/[playerSlug]"}</script></body></html>"""


def test_rendered_dom():
    fields = rendered_fields(PROFILE_HTML)
    assert fields == {
        "player_id": "303669",
        "full_name": "Joe Root",
        "date_of_birth": "1990-12-30",
        "batting_style": "right-hand bat",
        "bowling_style": "right-arm offbreak",
        "playing_role": "top-order batter",
        "country": "ENG",
        "gender": "male",
        "teams": "ENG, ICC",
    }
    p = parse_raw("rendered", fields)
    assert (p.player_id, p.full_name, p.date_of_birth, p.teams, p.country) == (
        303669,
        "Joe Root",
        "1990-12-30",
        ["ENG", "ICC-XI"],  # canonical ids (cricket_contract/teams.csv)
        "ENG",
    )
    assert p.complete and p.source == "rendered"


def test_rendered_dom_absent_until_script_runs():
    assert rendered_fields("<html><body><div id='player-profile'></div></body></html>") is None
    assert rendered_fields("<html><body>Access Denied</body></html>") is None


def test_next_data_in_profile_html():
    player = next_data_player(PROFILE_HTML)
    p = parse_raw("next_data", player)
    # Composite sides are skipped; the player is a man, so the country is his side of England, whatever the code.
    assert (p.teams, p.country, p.bowling_style, p.internal_id) == (["ICC-XI", "ENG-W"], "ENG", None, 1)
    assert next_data_player("<html><script>var x = 1;</script></html>") is None


def test_incomplete_source_lists_missing_fields():
    p = parse_next_data_player({"objectId": 5, "longName": "A B", "gender": "F"})
    assert p.missing == ("date_of_birth", "batting_style", "playing_role")
    assert not p.complete


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: next_data_player('<script id="__NEXT_DATA__">{"props": </script>'), "not valid JSON"),
        (lambda: parse_next_data_player({"id": 1}), "without objectId"),
        (lambda: parse_next_data_player({"objectId": 1, "gender": "X"}), "unknown gender"),
        (
            lambda: parse_next_data_player(
                {"objectId": 1, "dateOfBirth": {"year": 1990, "month": 2, "date": 30}}
            ),
            "impossible date",
        ),
        (lambda: parse_athlete({"id": "abc", "type": "cricket"}), "not a number"),
        (lambda: parse_athlete({"id": "1", "type": "soccer"}), "not a cricket athlete"),
        (lambda: parse_athlete({"id": "1", "dateOfBirth": "30/12/1990"}), "unreadable dateOfBirth"),
        (lambda: parse_rendered({"full_name": "X", "shoe_size": "9"}), "unknown profile fields"),
        (lambda: parse_rendered({"full_name": "X"}), "without a player id"),
        (lambda: parse_raw("html", {}), "unknown profile source"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ProfileParseError, match=message):
        call()


def test_player_id_from_url():
    assert player_id_from_url("http://127.0.0.1:1/cricketers/joe-root-303669") == 303669
    assert player_id_from_url("https://www.espncricinfo.com/cricketers/j-o-e-root-303669?tab=x") == 303669
    assert player_id_from_url("http://x/ci/content/player/253802.html") == 253802
    assert player_id_from_url("http://core.espnuk.org/v2/sports/cricket/athletes/303669") == 303669
    assert player_id_from_url("http://x/cricketers/") is None
