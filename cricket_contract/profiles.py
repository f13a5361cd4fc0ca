"""Profile readers that need no HTML parser: __NEXT_DATA__ player objects, ESPN athlete JSON, rendered DOM fields."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cricket_contract.teams import canonical_country, country_of, team_of_code, teams
from cricket_contract.vocabulary import PROFILE_SOURCES

# Fields a profile must yield to be useful to the `players` table; a source missing any of them
# does not count as "the data is there" and the spider falls through to the next source.
REQUIRED_FIELDS = ("player_id", "full_name", "date_of_birth", "gender", "batting_style", "playing_role")

# Fields of the rendered profile's `<dd data-field=...>` elements (docs/contracts.md §2).
DOM_FIELDS = (
    "full_name",
    "date_of_birth",
    "batting_style",
    "bowling_style",
    "playing_role",
    "country",
    "gender",
    "teams",
)

# ESPN country team ids (the athlete JSON's `country`, `countryTeamId`) → the men's side's canonical id, from
# teams.csv; used only when a source names the country by id alone (a woman's is mapped to her side below).
COUNTRY_BY_TEAM_ID: dict[int, str] = {
    t.espn_country_id: t.team_id
    for t in teams()
    if t.espn_country_id is not None and t.gender == "male" and not t.composite
}

_GENDER = {"M": "male", "F": "female", "MALE": "male", "FEMALE": "female"}

_NEXT_DATA_RE = re.compile(
    r'<script[^>]*\bid=["\']__NEXT_DATA__["\'][^>]*>(?P<json>.*?)</script>', re.DOTALL | re.IGNORECASE
)
_PROFILE_PATH_RE = re.compile(r"/cricketers/(?P<slug>[^/?#]*?)-(?P<id>\d+)(?:[/?#]|$)")
_CONTENT_PATH_RE = re.compile(r"/ci/content/player/(?P<id>\d+)\.html")
_ATHLETE_PATH_RE = re.compile(r"/athletes/(?P<id>\d+)(?:[/?#]|$)")


class ProfileParseError(ValueError):
    """A profile document that is not what its source promises (broken JSON, wrong shape, no player)."""


@dataclass(frozen=True)
class Profile:
    """One player's profile, typed like the `players` table (plus the ids a source exposes)."""

    source: str
    player_id: int
    name: str | None = None  # Statsguru-style short name ("V Kohli"), when the source has it
    full_name: str | None = None
    date_of_birth: str | None = None  # ISO yyyy-mm-dd
    gender: str | None = None  # "male" | "female"
    batting_style: str | None = None  # long form, lower case: "right-hand bat"
    bowling_style: str | None = None  # long form, lower case; None when the player does not bowl
    playing_role: str | None = None  # "top-order batter", "allrounder", ...
    country: str | None = None  # canonical team_id of the player's side (teams.csv): "IND", "IND-W"
    teams: list[str] | None = None  # canonical team_ids; None when the source does not list teams
    internal_id: int | None = None  # __NEXT_DATA__ `id`: ESPN's internal number, not the public id
    missing: tuple[str, ...] = field(default=())  # REQUIRED_FIELDS the source did not give

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["missing"] = list(self.missing)
        return d


# ---------------------------------------------------------------------------------------------
# Small value helpers


def clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _lower(value: Any) -> str | None:
    text = clean(value)
    return text.lower() if text else None


def _gender(value: Any) -> str | None:
    text = clean(value)
    if text is None:
        return None
    try:
        return _GENDER[text.upper()]
    except KeyError:
        raise ProfileParseError(f"unknown gender {value!r}") from None


def _first(values: Any) -> Any:
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _iso_date(year: Any, month: Any, day: Any) -> str | None:
    if year in (None, "") or month in (None, "") or day in (None, ""):
        return None  # the site leaves unknown birth dates (or parts of them) empty
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except (TypeError, ValueError) as exc:
        raise ProfileParseError(f"impossible date {year}-{month}-{day}: {exc}") from None


def _team_abbreviation(team: Any) -> str | None:
    if isinstance(team, Mapping):
        return clean(team.get("abbreviation"))
    return clean(team)


def _finish(source: str, values: dict[str, Any]) -> Profile:
    # one canonical side whatever the source's spelling: a woman's "IND" (or India's id) is IND-W; teams by
    # canonical id too (an unknown code is kept as spelled)
    values["country"] = canonical_country(values.get("country"), values.get("gender"))
    if values.get("teams"):
        values["teams"] = [t.team_id if (t := team_of_code(c)) else c for c in values["teams"]]
    missing = tuple(f for f in REQUIRED_FIELDS if values.get(f) is None)
    return Profile(source=source, missing=missing, **values)


def player_id_from_url(url: str) -> int | None:
    """The public player id in a profile URL (`/cricketers/<slug>-<id>`, `/ci/content/player/<id>.html`,
    or the athlete JSON's `/v2/sports/cricket/athletes/<id>`)."""
    for rx in (_PROFILE_PATH_RE, _CONTENT_PATH_RE, _ATHLETE_PATH_RE):
        m = rx.search(url)
        if m:
            return int(m.group("id"))
    return None


# ---------------------------------------------------------------------------------------------
# __NEXT_DATA__


def next_data(html: str) -> dict[str, Any] | None:
    """The decoded `<script id="__NEXT_DATA__">` JSON of a page, or None when the page has none."""
    m = _NEXT_DATA_RE.search(html)
    if not m:
        return None
    try:
        doc = json.loads(m.group("json"))
    except json.JSONDecodeError as exc:
        raise ProfileParseError(f"__NEXT_DATA__ is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ProfileParseError(f"__NEXT_DATA__ is a {type(doc).__name__}, not an object")
    return doc


def next_data_player(html: str) -> dict[str, Any] | None:
    """The verbatim player object of a profile page's __NEXT_DATA__, or None when the HTML lacks it.

    Profile pages carry it at `props.appPageProps.data.player`; a page with __NEXT_DATA__ but no
    player object (a page the site rendered without data) also gives None.
    """
    doc = next_data(html)
    if doc is None:
        return None
    node: Any = doc
    for key in ("props", "appPageProps", "data", "player"):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if not isinstance(node, dict):
        raise ProfileParseError(f"__NEXT_DATA__ player is a {type(node).__name__}, not an object")
    return node


def parse_next_data_player(player: Mapping[str, Any]) -> Profile:
    """A __NEXT_DATA__ player object (profile page or a match's `matchPlayers`) → Profile.

    `objectId` is the public id used in every URL; `id` is ESPN's internal number.
    """
    if not isinstance(player, Mapping):
        raise ProfileParseError(f"player object expected, got {type(player).__name__}")
    if player.get("objectId") is None:
        raise ProfileParseError(f"player object without objectId (keys: {sorted(player)})")
    dob = player.get("dateOfBirth") or {}
    if not isinstance(dob, Mapping):
        raise ProfileParseError(f"dateOfBirth is not an object: {dob!r}")
    teams: list[str] | None = None
    if isinstance(player.get("teams"), list):
        teams = [a for a in (_team_abbreviation(t) for t in player["teams"]) if a]
    country = country_of(teams) if teams else None
    if country is None and player.get("countryTeamId") is not None:
        country = COUNTRY_BY_TEAM_ID.get(int(player["countryTeamId"]))
    return _finish(
        "next_data",
        {
            "player_id": int(player["objectId"]),
            "internal_id": int(player["id"]) if player.get("id") is not None else None,
            "name": clean(player.get("name")),
            "full_name": clean(player.get("longName")),
            "date_of_birth": _iso_date(dob.get("year"), dob.get("month"), dob.get("date")),
            "gender": _gender(player.get("gender")),
            "batting_style": _lower(_first(player.get("longBattingStyles"))),
            "bowling_style": _lower(_first(player.get("longBowlingStyles"))),
            "playing_role": _lower(_first(player.get("playingRoles"))),
            "country": country,
            "teams": teams,
        },
    )


def match_players(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every distinct player object of a match's `matchPlayers` (squads first, then best-performer lists)."""
    teams = doc.get("teamPlayers")
    if not isinstance(teams, list):
        raise ProfileParseError("matchPlayers without a teamPlayers list")
    seen: set[int] = set()
    for team in teams:
        for key in ("players", "bestBatsmen", "bestBowlers"):
            for entry in team.get(key) or []:
                player = entry.get("player")
                if not isinstance(player, dict) or player.get("objectId") in seen:
                    continue
                seen.add(player["objectId"])
                yield player


# ---------------------------------------------------------------------------------------------
# ESPN core athlete JSON (`/v2/sports/cricket/athletes/<id>`)


def parse_athlete(doc: Mapping[str, Any]) -> Profile:
    """An ESPN core athlete document → Profile. Its `id` is the public player id (as a string)."""
    if not isinstance(doc, Mapping):
        raise ProfileParseError(f"athlete JSON object expected, got {type(doc).__name__}")
    if doc.get("type") not in (None, "cricket") or doc.get("id") in (None, ""):
        raise ProfileParseError(
            f"not a cricket athlete document (type={doc.get('type')!r}, id={doc.get('id')!r})"
        )
    try:
        player_id = int(doc["id"])
    except (TypeError, ValueError):
        raise ProfileParseError(f"athlete id is not a number: {doc['id']!r}") from None
    styles: dict[str, str | None] = {}
    for style in doc.get("styles") or doc.get("style") or []:
        kind = style.get("type")
        if kind in ("batting", "bowling") and kind not in styles:
            styles[kind] = _lower(style.get("description"))
    dob = clean(doc.get("dateOfBirth") or doc.get("dateOfBirthStr"))
    date_of_birth = None
    if dob:
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})", dob)
        if not m:
            raise ProfileParseError(f"unreadable dateOfBirth {dob!r}")
        date_of_birth = _iso_date(*m.groups())
    position = doc.get("position") or {}
    country = clean((doc.get("flag") or {}).get("alt"))
    if country is None and doc.get("country") not in (None, ""):
        country = COUNTRY_BY_TEAM_ID.get(int(doc["country"]))
    teams = None
    if isinstance(doc.get("teams"), list):  # the core API lists teams only as $refs (majorTeams)
        teams = [a for a in (_team_abbreviation(t) for t in doc["teams"]) if a]
    return _finish(
        "athlete_json",
        {
            "player_id": player_id,
            "name": clean(doc.get("battingName")),
            "full_name": clean(doc.get("fullName") or doc.get("displayName") or doc.get("name")),
            "date_of_birth": date_of_birth,
            "gender": _gender(doc.get("gender")),
            "batting_style": styles.get("batting"),
            "bowling_style": styles.get("bowling"),
            "playing_role": _lower(position.get("name")) if isinstance(position, Mapping) else None,
            "country": country,
            "teams": teams,
        },
    )


# ---------------------------------------------------------------------------------------------
# Rendered DOM (what Chromium shows after the page's script ran)


def parse_rendered(fields: Mapping[str, str | None], url: str | None = None) -> Profile:
    """Verbatim rendered-DOM fields → Profile. The player id comes from the DOM, else from the URL."""
    unknown = set(fields) - set(DOM_FIELDS) - {"player_id"}
    if unknown:
        # A field the parser does not know is layout drift; say which, rather than drop it silently.
        raise ProfileParseError(f"unknown profile fields {sorted(unknown)}; known: {list(DOM_FIELDS)}")
    raw_id = fields.get("player_id") or (str(player_id_from_url(url)) if url else None)
    if not raw_id or not str(raw_id).isdigit():
        raise ProfileParseError(f"rendered profile without a player id (url={url!r})")
    dob = fields.get("date_of_birth")
    date_of_birth = None
    if dob:
        try:
            date_of_birth = dt.date.fromisoformat(dob).isoformat()
        except ValueError:
            raise ProfileParseError(f"unreadable date of birth {dob!r}") from None
    teams = None
    if "teams" in fields:
        teams = [t.strip() for t in (fields.get("teams") or "").split(",") if t.strip()]
    country = clean(fields.get("country"))
    if country is None and teams:
        country = country_of(teams)
    return _finish(
        "rendered",
        {
            "player_id": int(raw_id),
            "full_name": clean(fields.get("full_name")),
            "date_of_birth": date_of_birth,
            "gender": _gender(fields.get("gender")),
            "batting_style": _lower(fields.get("batting_style")),
            "bowling_style": _lower(fields.get("bowling_style")),
            "playing_role": _lower(fields.get("playing_role")),
            "country": country,
            "teams": teams,
        },
    )


# ---------------------------------------------------------------------------------------------
# Raw items → profiles (what the transformer needs to type `record: profile` rows)


def parse_raw(source: str, data: Mapping[str, Any], url: str | None = None) -> Profile:
    """A raw profile item's `source` and verbatim `data` → Profile."""
    if source == "next_data":
        return parse_next_data_player(data)
    if source == "athlete_json":
        return parse_athlete(data)
    if source == "rendered":
        return parse_rendered(data, url)
    raise ProfileParseError(f"unknown profile source {source!r}; expected one of {PROFILE_SOURCES}")
