"""Player profiles: the `__NEXT_DATA__` player object, the JS-rendered profile page and the ESPN athlete JSON."""

from __future__ import annotations

import base64
import hashlib
import html
import json

from cricket_contract.teams import team_of_code
from replica.model import Model

# ESPN position codes for the athlete JSON's `position` (name lower-cased = the playing role)
_POSITION = {
    "opening batter": "OBT",
    "top-order batter": "TBT",
    "middle-order batter": "MBT",
    "batter": "BT",
    "wicketkeeper batter": "WKBT",
    "wicketkeeper": "WK",
    "batting allrounder": "BTAR",
    "allrounder": "AR",
    "bowling allrounder": "BWAR",
    "bowler": "BW",
}
_ROLE_TYPE_IDS = {
    "opening batter": 1,
    "top-order batter": 1,
    "middle-order batter": 1,
    "batter": 1,
    "wicketkeeper batter": 4,
    "wicketkeeper": 4,
    "batting allrounder": 3,
    "allrounder": 3,
    "bowling allrounder": 3,
    "bowler": 2,
}


def team_long(code: str) -> str:
    """A side's long name from the code a player cell shows (`Afr` → Africa XI, `IND-W` → India Women)."""
    return team_of_code(code).name


def player_object(m: Model, p: int) -> dict:
    """A player object with the keys of the real `matchPlayers` player objects, plus `teams`."""
    pid = int(m.pid[p])
    dob = m.p_dob[p]
    bat = m.p_batstyle[p]
    bowl = m.p_bowlstyle[p]
    role = m.role_name(p)
    full = m.p_full[p]
    last = full.split(" ")[-1]
    ctry = m.nation_of(p)
    return {
        "id": m.p_internal[p],
        "objectId": pid,
        "name": m.p_name[p],
        "longName": full,
        "mobileName": last,
        "indexName": f"{last}, {m.p_name[p].split(' ')[0]}",
        "battingName": m.p_name[p],
        "fieldingName": last,
        "slug": m.p_slug[p],
        "imageUrl": f"/lsci/db/PICTURES/CMS/{pid // 1000 * 100}00/{pid}.png",
        "headshotImageUrl": f"/lsci/db/PICTURES/CMS/{pid // 1000 * 100}00/{pid}.png",
        "dateOfBirth": {"year": dob.year, "month": dob.month, "date": dob.day},
        "dateOfDeath": None,
        "gender": m.p_gender[p],
        "battingStyles": [bat[0]],
        "bowlingStyles": [bowl[0]] if bowl else [],
        "longBattingStyles": [bat[1]],
        "longBowlingStyles": [bowl[1]] if bowl else [],
        "countryTeamId": ctry.team_id,
        "playerRoleTypeIds": [_ROLE_TYPE_IDS[role]],
        "playingRoles": [role],
        "teams": [{"abbreviation": a, "longName": team_long(a)} for a in m.p_teams[p]],
    }


def profile_fields(m: Model, p: int) -> dict[str, str]:
    """What the page's script shows (docs/contracts.md §2 data-field names)."""
    obj = player_object(m, p)
    return {
        "full_name": obj["longName"],
        "date_of_birth": m.p_dob[p].isoformat(),
        "batting_style": obj["longBattingStyles"][0],
        "bowling_style": obj["longBowlingStyles"][0] if obj["longBowlingStyles"] else "",
        "playing_role": obj["playingRoles"][0],
        "country": m.profile_country(
            p
        ),  # the men's code whatever the gender (a woman's IND is IND-W downstream)
        "gender": "male" if m.p_gender[p] == "M" else "female",
        "teams": ", ".join(m.p_teams[p]),
    }


_RENDER_JS = """
(function () {
  var p = %s;
  var labels = {date_of_birth: "Born", batting_style: "Batting Style", bowling_style: "Bowling Style",
                playing_role: "Playing Role", country: "Country", gender: "Gender", teams: "Teams"};
  var root = document.getElementById("player-profile");
  %s
  var h = document.createElement("h1");
  h.className = "player-name";
  h.textContent = p.full_name;
  root.appendChild(h);
  var dl = document.createElement("dl");
  dl.className = "player-details";
  ["date_of_birth", "batting_style", "bowling_style", "playing_role", "country", "gender", "teams"].forEach(function (k) {
    var dt = document.createElement("dt");
    dt.textContent = labels[k];
    var dd = document.createElement("dd");
    dd.setAttribute("data-field", k);
    dd.textContent = p[k];
    dl.appendChild(dt);
    dl.appendChild(dd);
  });
  root.appendChild(dl);
})();
"""


def profile_page(m: Model, p: int, *, js_only: bool, broken: bool) -> str:
    pid = int(m.pid[p])
    fields = profile_fields(m, p)
    obj = player_object(m, p)
    title = f"{html.escape(obj['longName'])} Profile - Cricket Player {html.escape(m.nation_of(p).name)} | Stats, Records, Video"
    blob = ""
    if broken:
        # the script dies before rendering: the selector never appears and no data is embedded
        script = _RENDER_JS % (
            "JSON.parse(atob(document.getElementById('pp').dataset.p))",
            'throw new Error("profile bundle failed to load");',
        )
        data_attr = base64.b64encode(b"{").decode()
        next_data = ""
        blob = f'<div id="pp" data-p="{data_attr}" hidden></div>'
    elif js_only:
        enc = base64.b64encode(json.dumps(fields, ensure_ascii=False).encode()).decode()
        script = _RENDER_JS % (
            f'JSON.parse(new TextDecoder().decode(Uint8Array.from(atob("{enc}"), function (c) {{ return c.charCodeAt(0); }})))',
            "",
        )
        next_data = ""
        blob = ""
    else:
        nd = {
            "props": {"appPageProps": {"data": {"player": obj, "content": {}}}},
            "page": "/cricketers/[playerSlug]",
            "query": {"playerSlug": f"{obj['slug']}-{pid}"},
            "buildId": "replica",
            "isFallback": False,
            "gssp": True,
        }
        js_nd = json.dumps(nd, ensure_ascii=False).replace("</", "<\\/")
        next_data = f'<script id="__NEXT_DATA__" type="application/json">{js_nd}</script>'
        script = _RENDER_JS % (
            "(function () { var d = JSON.parse(document.getElementById('__NEXT_DATA__').textContent)"
            ".props.appPageProps.data.player; return {full_name: d.longName, date_of_birth: [d.dateOfBirth.year,"
            " ('0' + d.dateOfBirth.month).slice(-2), ('0' + d.dateOfBirth.date).slice(-2)].join('-'),"
            " batting_style: d.longBattingStyles[0] || '', bowling_style: d.longBowlingStyles[0] || '',"
            " playing_role: d.playingRoles[0] || '', country: " + json.dumps(fields["country"]) + ","
            " gender: d.gender === 'F' ? 'female' : 'male',"
            " teams: d.teams.map(function (t) { return t.abbreviation; }).join(', ')}; })()",
            "",
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
</head>
<body>
<div id="__next">
  <main class="ds-container">
    <div id="player-profile" data-player-id="{pid}"></div>
  </main>
</div>
{blob}
{next_data}
<script>{script}</script>
</body>
</html>
"""


def athlete_json(m: Model, p: int, *, sparse: bool = False) -> dict:
    """Shaped like the real ESPN core athlete documents (espn_core_athlete_*.json).

    `sparse`: the core API knows the player by name only, as it does players whose details the site
    shows only on the rendered page (`--js-only-profiles`): empty birth date and styles, no position.
    """
    pid = int(m.pid[p])
    full = m.p_full[p]
    parts = full.split(" ")
    first, last = parts[0], parts[-1]
    middle = " ".join(parts[1:-1])
    bat = m.p_batstyle[p]
    bowl = m.p_bowlstyle[p]
    styles = [
        {
            "description": bat[1][0].upper() + bat[1][1:],
            "shortDescription": bat[0].capitalize(),
            "type": "batting",
        }
    ]
    if bowl:
        styles.append(
            {
                "description": bowl[1][0].upper() + bowl[1][1:],
                "shortDescription": bowl[0].capitalize(),
                "type": "bowling",
            }
        )
    role = m.role_name(p)
    code = _POSITION[role]
    dob = m.p_dob[p].isoformat() + "T00:00Z"
    ctry = m.nation_of(p)
    base = "http://core.espnuk.org/v2/sports/cricket"
    age = 2026 - m.p_dob[p].year
    doc = {
        "$ref": f"{base}/athletes/{pid}",
        "id": str(pid),
        "guid": hashlib.md5(f"athlete:{pid}".encode()).hexdigest(),
        "uid": f"s:200~a:{pid}",
        "type": "cricket",
        "name": f"{first} {last}",
        "firstName": first,
        "middleName": middle,
        "lastName": last,
        "shortName": last,
        "fullName": full,
        "displayName": f"{first} {last}",
        "weight": 0,
        "height": 0.0,
        "age": age,
        "dateOfBirthStr": dob,
        "dateOfBirth": dob,
        "dateOfDeathStr": "",
        "dateOfDeath": "",
        "isActive": m.p_end[p].year >= 2025,
        "active": m.p_end[p].year >= 2025,
        "gender": m.p_gender[p],
        "debutYear": None,
        "birthPlace": {},
        "jersey": None,
        "style": styles,
        "styles": styles,
        "position": {
            "$ref": f"{base}/positions/{code}",
            "id": code,
            "name": role[0].upper() + role[1:],
            "abbreviation": code,
            "leaf": True,
            "parent": {"$ref": f"{base}/positions/{code}"},
        },
        "battingName": m.p_name[p],
        "fieldingName": last,
        "country": ctry.team_id,
        "relations": [],
        "majorTeams": [{"$ref": f"{base}/teams/{ctry.team_id}"}],
        "headshot": {
            "href": f"https://a.espncdn.com/i/headshots/cricket/players/full/{pid}.png",
            "rel": ["full", "default"],
        },
        "flag": {
            "href": f"https://a.espncdn.com/i/teamlogos/cricket/500/{ctry.team_id}.png",
            "width": 500,
            "height": 500,
            "alt": m.profile_country(p),
            "rel": ["full", "default"],
        },
        "team": {"$ref": f"{base}/teams/{ctry.team_id}"},
        "news": {"$ref": f"{base}/athletes/{pid}/news"},
        "debuts": [],
        "links": [
            {
                "language": "en",
                "rel": ["playercard", "desktop"],
                "href": f"https://www.espncricinfo.com/ci/content/player/{pid}.html",
                "text": "Player Card",
                "shortText": "Player Card",
                "isExternal": False,
                "isPremium": False,
            }
        ],
    }
    if sparse:
        doc.update(dateOfBirthStr="", dateOfBirth="", age=0, style=[], styles=[])
        del doc["position"]
    return doc
