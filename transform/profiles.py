"""Raw profile items (__NEXT_DATA__ player, athlete JSON or rendered DOM fields) → typed `players` rows."""

from __future__ import annotations

import datetime as dt

from cricket_contract.profiles import ProfileParseError, parse_raw


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
        p = parse_raw(source, data, item.get("source_url"))
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
        "teams": list(p.teams) if p.teams else None,  # canonical ids (cricket_contract.profiles)
        "gender": p.gender,
        "date_of_birth": dt.date.fromisoformat(p.date_of_birth) if p.date_of_birth else None,
        "batting_style": p.batting_style,
        "bowling_style": p.bowling_style,
        "playing_role": p.playing_role,
    }
