"""Player profiles from any of the three sources (__NEXT_DATA__ player, athlete JSON, rendered DOM) → players rows."""

from __future__ import annotations

import datetime as dt
import re

from transform.mapping import country_of

PROFILE_FIELDS = ("player_id", "name", "full_name", "country", "teams", "gender", "date_of_birth", "batting_style",
                  "bowling_style", "playing_role")  # fmt: skip


class ProfileError(ValueError):
    """A profile item that cannot be typed (reason code, detail)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _gender(v) -> str | None:
    if v is None or v == "":
        return None
    g = str(v).strip().lower()
    if g in ("m", "male", "men", "man"):
        return "male"
    if g in ("f", "female", "women", "woman"):
        return "female"
    raise ProfileError("bad_value", f"unknown gender {v!r}")


def _date(v) -> dt.date | None:
    if v in (None, "", {}):
        return None
    try:
        if isinstance(v, dict):
            return dt.date(int(v["year"]), int(v["month"]), int(v["date"] if "date" in v else v["day"]))
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", str(v))
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        return dt.datetime.strptime(str(v).strip(), "%d %B %Y").date()
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError("bad_date", f"date of birth {v!r}: {exc}") from exc


def _first(v) -> str | None:
    if isinstance(v, list):
        v = next((x for x in v if x), None)
    return str(v).strip() if v not in (None, "") else None


def _lower(v: str | None) -> str | None:
    return v.lower() if v else v


def _teams(v) -> list[str] | None:
    if v in (None, "", []):
        return None
    if isinstance(v, str):
        return [t.strip() for t in re.split(r"[,/]", v) if t.strip()] or None
    out = []
    for t in v:
        if isinstance(t, dict):
            t = t.get("abbreviation") or t.get("name") or t.get("longName")
        if t:
            out.append(str(t).strip())
    return out or None


def _next_data_player(data: dict) -> dict:
    # accept the player object itself or the whole __NEXT_DATA__ document
    if "objectId" not in data and "props" in data:
        try:
            data = data["props"]["appPageProps"]["data"]["player"]
        except (KeyError, TypeError) as exc:
            raise ProfileError("missing_key", "no props.appPageProps.data.player in __NEXT_DATA__") from exc
    return data


def profile_row(item: dict) -> dict:
    """A typed players row (without lineage) from one raw profile item; raises ProfileError."""
    pid = item.get("player_id")
    if pid is None:
        raise ProfileError("missing_key", "player_id")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise ProfileError("wrong_type", f"player_id must be a positive integer, got {pid!r}")
    data = item.get("data")
    if not isinstance(data, dict):
        raise ProfileError("missing_key" if data is None else "wrong_type", "data must be an object")
    source = item.get("source") or ("next_data" if "objectId" in data else "athlete_json" if "fullName" in data
                                    else "rendered")  # fmt: skip
    row: dict = {"player_id": pid}
    if source == "next_data":
        p = _next_data_player(data)
        oid = p.get("objectId")
        if oid is not None and int(oid) != pid:
            raise ProfileError("bad_value", f"objectId {oid} differs from player_id {pid}")
        row.update(
            name=p.get("name") or p.get("battingName"),
            full_name=p.get("longName") or p.get("name"),
            gender=_gender(p.get("gender")),
            date_of_birth=_date(p.get("dateOfBirth")),
            batting_style=_lower(_first(p.get("longBattingStyles"))),
            bowling_style=_lower(_first(p.get("longBowlingStyles"))),
            playing_role=_lower(_first(p.get("playingRoles"))),
            teams=_teams(p.get("teams")),
        )
    elif source == "athlete_json":
        styles = {s.get("type"): s.get("description") for s in data.get("styles") or data.get("style") or []
                  if isinstance(s, dict)}  # fmt: skip
        aid = data.get("id")
        if aid is not None and str(aid).isdigit() and int(aid) != pid:
            raise ProfileError("bad_value", f"athlete id {aid} differs from player_id {pid}")
        pos = data.get("position") if isinstance(data.get("position"), dict) else {}
        row.update(
            name=data.get("battingName") or data.get("shortName"),
            full_name=data.get("fullName") or data.get("displayName") or data.get("name"),
            gender=_gender(data.get("gender")),
            date_of_birth=_date(data.get("dateOfBirth") or data.get("dateOfBirthStr")),
            batting_style=_lower(_first(styles.get("batting"))),
            bowling_style=_lower(_first(styles.get("bowling"))),
            playing_role=_lower(_first(pos.get("name"))),
            teams=_teams(data.get("teams")),
        )
    elif source == "rendered":
        row.update(
            name=_first(data.get("name")),
            full_name=_first(data.get("full_name")),
            gender=_gender(data.get("gender")),
            date_of_birth=_date(data.get("date_of_birth")),
            batting_style=_lower(_first(data.get("batting_style"))),
            bowling_style=_lower(_first(data.get("bowling_style"))),
            playing_role=_lower(_first(data.get("playing_role"))),
            teams=_teams(data.get("teams")),
        )
        if data.get("country") and not row["teams"]:
            row["teams"] = [str(data["country"]).strip()]
    else:
        raise ProfileError("unknown_source", f"unknown profile source {source!r}")
    if not row.get("full_name"):
        raise ProfileError("missing_key", "profile has no full name")
    row["country"] = country_of(row.get("teams"))
    if source == "rendered" and data.get("country") and not row["country"]:
        row["country"] = str(data["country"]).strip()
    return row
