"""Batting, bowling and fielding innings from a Cricsheet match's deliveries, by the scoring rules Statsguru uses.

- a wide is not a ball faced; a no-ball is (and is not a legal ball of the bowler's);
- byes, leg byes and penalty runs are not the bowler's; wides and no-balls are;
- run-outs (and retirements, obstruction, handled ball, timed out) are not the bowler's wickets;
- a maiden is a complete over of one bowler (balls_per_over legal balls, or the count of an over the umpires
  miscounted) that conceded nothing;
- super overs are in no player's figures; minutes are unknown (Cricsheet does not record them);
- "retired hurt" / "retired not out" is not out (a batter who comes back goes on with the same innings);
  "retired out" is out;
- a catch or stumping by a substitute (`"substitute": true`) is no player's;
- a forfeited innings keeps its number and has no player's figures (nobody fielded in it either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOWLER_WICKETS = frozenset({"bowled", "caught", "caught and bowled", "lbw", "stumped", "hit wicket"})
NOT_OUT_KINDS = frozenset({"retired hurt", "retired not out"})


@dataclass
class Bat:
    player: str  # Cricsheet identifier (the name when the registry lacks it)
    name: str
    position: int
    runs: int = 0
    balls: int = 0
    fours: int = 0
    sixes: int = 0
    out: bool = False
    dismissal: str | None = None


@dataclass
class Bowl:
    player: str
    name: str
    position: int
    balls: int = 0
    maidens: int = 0
    runs: int = 0
    wickets: int = 0
    wides: int = 0
    noballs: int = 0


@dataclass
class Field:
    player: str
    name: str
    catches: int = 0
    stumpings: int = 0


@dataclass
class Innings:
    """One team innings of a match (`number` 1.. in match order, super overs left out)."""

    number: int
    team: str
    runs: int = 0
    wickets: int = 0
    legal_balls: int = 0
    extras: dict[str, int] = field(default_factory=dict)
    declared: bool = False
    forfeited: bool = False
    batting: dict[str, Bat] = field(default_factory=dict)
    bowling: dict[str, Bowl] = field(default_factory=dict)
    fielding: dict[str, Field] = field(default_factory=dict)


def _entry(table: dict, make, people: dict, name: str, numbered: bool):
    """The player's row of `table` (keyed by Cricsheet id), made on first sight, numbered in order of it."""
    pid = people.get(name, name)
    got = table.get(pid)
    if got is None:
        got = table[pid] = make(pid, name, len(table) + 1) if numbered else make(pid, name)
    return got


def innings_figures(match: dict[str, Any]) -> list[Innings]:
    """Every team innings of `match` (a Cricsheet JSON document) with its players' figures."""
    info = match.get("info") or {}
    people = (info.get("registry") or {}).get("people") or {}
    bpo = int(info.get("balls_per_over") or 6)
    players = info.get("players") or {}
    out: list[Innings] = []
    number = 0
    for inn in match.get("innings") or []:
        if inn.get("super_over"):
            continue
        number += 1
        team = inn.get("team")
        fielders_of = [t for t in players if t != team]
        fielding_side = players.get(fielders_of[0], []) if fielders_of else []
        res = Innings(number, team, declared=bool(inn.get("declared")), forfeited=bool(inn.get("forfeited")))
        if res.forfeited:  # never played: nobody batted, bowled or fielded in it (Statsguru: TDNB)
            out.append(res)
            continue
        for name in fielding_side:
            res.fielding[people.get(name, name)] = Field(people.get(name, name), name)

        def bat(name: str, res: Innings = res) -> Bat:
            return _entry(res.batting, Bat, people, name, True)

        def bowl(name: str, res: Innings = res) -> Bowl:
            return _entry(res.bowling, Bowl, people, name, True)

        def fielder(name: str, res: Innings = res) -> Field:
            return _entry(res.fielding, Field, people, name, False)

        # an over the umpires miscounted (`miscounted_overs`: {"33": {"balls": "5"}}) was complete at that count
        miscounted = {
            int(k): int(v.get("balls", bpo))
            for k, v in (inn.get("miscounted_overs") or {}).items()
            if str(k).isdigit() and isinstance(v, dict)
        }
        for over in inn.get("overs") or []:
            # per bowler in this over: legal balls and runs conceded (a maiden is a whole over of one bowler)
            per_bowler: dict[str, list[int]] = {}
            for d in over.get("deliveries") or []:
                striker = bat(d["batter"])
                partner = bat(d["non_striker"])  # at the crease: batted, even without facing a ball
                for back in (striker, partner):  # a retired batter who came back: his innings goes on
                    if back.dismissal in NOT_OUT_KINDS:
                        back.dismissal = None
                bowler = bowl(d["bowler"])
                runs = d.get("runs") or {}
                extras = d.get("extras") or {}
                off_bat = int(runs.get("batter", 0))
                wides, noballs = int(extras.get("wides", 0)), int(extras.get("noballs", 0))
                for kind, n in extras.items():
                    res.extras[kind] = res.extras.get(kind, 0) + int(n)
                res.runs += int(runs.get("total", 0))
                if not wides:
                    striker.balls += 1
                striker.runs += off_bat
                if off_bat == 4 and not runs.get("non_boundary"):
                    striker.fours += 1
                elif off_bat == 6 and not runs.get("non_boundary"):
                    striker.sixes += 1
                conceded = off_bat + wides + noballs
                legal = not wides and not noballs
                bowler.runs += conceded
                bowler.wides += wides
                bowler.noballs += noballs
                if legal:
                    bowler.balls += 1
                    res.legal_balls += 1
                tally = per_bowler.setdefault(bowler.player, [0, 0])
                tally[0] += 1 if legal else 0
                tally[1] += conceded
                for w in d.get("wickets") or []:
                    kind = w.get("kind", "")
                    victim = bat(w["player_out"])
                    if kind not in NOT_OUT_KINDS:
                        victim.out = True
                        res.wickets += 1
                    victim.dismissal = kind
                    if kind in BOWLER_WICKETS:
                        bowler.wickets += 1
                    if kind == "caught and bowled":
                        fielder(d["bowler"]).catches += 1
                    elif kind in ("caught", "stumped"):
                        for f in w.get("fielders") or []:
                            # a substitute's catch or stumping counts in no player's figures, as in the records Statsguru keeps
                            if f.get("name") and not f.get("substitute"):
                                if kind == "caught":
                                    fielder(f["name"]).catches += 1
                                else:
                                    fielder(f["name"]).stumpings += 1
            complete = miscounted.get(int(over.get("over", -1)), bpo)
            for pid, (legal_balls, conceded) in per_bowler.items():
                if len(per_bowler) == 1 and legal_balls == complete and conceded == 0:
                    res.bowling[pid].maidens += 1
        out.append(res)
    return out
