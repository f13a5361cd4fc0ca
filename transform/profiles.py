"""Raw profile items (__NEXT_DATA__ player, athlete JSON or rendered DOM fields) → typed `players` rows.

The source-specific reading is the crawler's `crawler.pages.profiles.parse_raw`, so a profile means the same
thing at crawl time and at transform time. The transformer image ships without Scrapy and parsel, which that
module imports; there `local_profile` below (same rules, checked against it in the tests) reads the items.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from transform.mapping import country_of

try:
    from crawler.pages.profiles import COUNTRY_BY_TEAM_ID, ProfileParseError, parse_raw
except ImportError:  # no parsel/scrapy (the transformer image)
    parse_raw = None
    ProfileParseError = ValueError  # noqa: N816
    COUNTRY_BY_TEAM_ID = {1: "ENG", 2: "AUS", 3: "SA", 4: "WI", 5: "NZ", 6: "IND", 7: "PAK", 8: "SL", 9: "ZIM",
                          25: "BAN", 29: "IRE", 40: "AFG"}  # fmt: skip

_GENDER = {"M": "male", "F": "female", "MALE": "male", "FEMALE": "female"}


def _clean(v) -> str | None:
    if v is None:
        return None
    text = " ".join(str(v).split())
    return text or None


def _lower(v) -> str | None:
    text = _clean(v)
    return text.lower() if text else None


def _first(v):
    return (v[0] if v else None) if isinstance(v, list) else v


def _gender(v) -> str | None:
    text = _clean(v)
    if text is None:
        return None
    if text.upper() not in _GENDER:
        raise ValueError(f"unknown gender {v!r}")
    return _GENDER[text.upper()]


def _iso(year, month, day) -> str | None:
    if year in (None, "") or month in (None, "") or day in (None, ""):
        return None
    return dt.date(int(year), int(month), int(day)).isoformat()


def _abbr(team) -> str | None:
    return _clean(team.get("abbreviation")) if isinstance(team, dict) else _clean(team)


def local_profile(source: str, data: dict, url: str | None = None) -> SimpleNamespace:
    """The crawler's three profile readings, for when `crawler.pages.profiles` cannot be imported."""
    teams = None
    if source == "next_data":
        if data.get("objectId") is None:
            raise ValueError("player object without objectId")
        dob = data.get("dateOfBirth") or {}
        if isinstance(data.get("teams"), list):
            teams = [a for a in (_abbr(t) for t in data["teams"]) if a]
        country = country_of(teams) if teams else None
        if country is None and data.get("countryTeamId") is not None:
            country = COUNTRY_BY_TEAM_ID.get(int(data["countryTeamId"]))
        return SimpleNamespace(
            player_id=int(data["objectId"]), name=_clean(data.get("name")), full_name=_clean(data.get("longName")),
            date_of_birth=_iso(dob.get("year"), dob.get("month"), dob.get("date")), gender=_gender(data.get("gender")),
            batting_style=_lower(_first(data.get("longBattingStyles"))),
            bowling_style=_lower(_first(data.get("longBowlingStyles"))),
            playing_role=_lower(_first(data.get("playingRoles"))), country=country, teams=teams,
        )  # fmt: skip
    if source == "athlete_json":
        styles: dict[str, str | None] = {}
        for st in data.get("styles") or data.get("style") or []:
            if st.get("type") in ("batting", "bowling") and st["type"] not in styles:
                styles[st["type"]] = _lower(st.get("description"))
        dob = _clean(data.get("dateOfBirth") or data.get("dateOfBirthStr"))
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})", dob or "")
        if dob and not m:
            raise ValueError(f"unreadable dateOfBirth {dob!r}")
        country = _clean((data.get("flag") or {}).get("alt"))
        if country is None and data.get("country") not in (None, ""):
            country = COUNTRY_BY_TEAM_ID.get(int(data["country"]))
        if isinstance(data.get("teams"), list):
            teams = [a for a in (_abbr(t) for t in data["teams"]) if a]
        position = data.get("position") if isinstance(data.get("position"), dict) else {}
        return SimpleNamespace(
            player_id=int(data["id"]), name=_clean(data.get("battingName")),
            full_name=_clean(data.get("fullName") or data.get("displayName") or data.get("name")),
            date_of_birth=_iso(*m.groups()) if m else None, gender=_gender(data.get("gender")),
            batting_style=styles.get("batting"), bowling_style=styles.get("bowling"),
            playing_role=_lower(position.get("name")), country=country, teams=teams,
        )  # fmt: skip
    if source == "rendered":
        raw_id = data.get("player_id") or (re.search(r"-(\d+)(?:[/?#]|$)", url or "") or [None, None])[1]
        if not raw_id or not str(raw_id).isdigit():
            raise ValueError("rendered profile without a player id")
        if "teams" in data:
            teams = [t.strip() for t in (data.get("teams") or "").split(",") if t.strip()]
        dob = data.get("date_of_birth")
        return SimpleNamespace(
            player_id=int(raw_id), name=None, full_name=_clean(data.get("full_name")),
            date_of_birth=dt.date.fromisoformat(dob).isoformat() if dob else None,
            gender=_gender(data.get("gender")), batting_style=_lower(data.get("batting_style")),
            bowling_style=_lower(data.get("bowling_style")), playing_role=_lower(data.get("playing_role")),
            country=_clean(data.get("country")) or (country_of(teams) if teams else None), teams=teams,
        )  # fmt: skip
    raise ValueError(f"unknown profile source {source!r}")


class ProfileError(ValueError):
    """A profile item that cannot be typed: `reason` is the reject code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def profile_row(item: dict) -> dict:
    """The players columns (without lineage) of one raw profile item; raises ProfileError."""
    pid = item.get("player_id")
    if pid is None:
        raise ProfileError("missing_key", "profile without player_id")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise ProfileError("wrong_type", f"player_id must be a positive integer, got {pid!r}")
    data, source = item.get("data"), item.get("source")
    if not isinstance(data, dict) or not data:
        raise ProfileError(
            "missing_key" if data is None else "wrong_type", "profile data must be a non-empty object"
        )
    if not isinstance(source, str):
        raise ProfileError("missing_key", "profile without source")
    try:
        read = parse_raw or local_profile
        p = read(source, data, item.get("source_url"))
    except ProfileParseError as exc:
        raise ProfileError("bad_profile", str(exc)) from exc
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProfileError("bad_profile", f"{type(exc).__name__}: {exc}") from exc
    if p.player_id != pid:
        raise ProfileError("bad_profile", f"profile data is player {p.player_id}, item says {pid}")
    if not p.full_name:
        raise ProfileError("bad_profile", "profile without a full name")
    return {
        "player_id": pid,
        "name": p.name,
        "full_name": p.full_name,
        "country": p.country,
        "teams": list(p.teams) if p.teams else None,
        "gender": p.gender,
        "date_of_birth": dt.date.fromisoformat(p.date_of_birth) if p.date_of_birth else None,
        "batting_style": p.batting_style,
        "bowling_style": p.bowling_style,
        "playing_role": p.playing_role,
    }
