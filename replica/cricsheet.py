"""The replica's Cricsheet: ball-by-ball match files generated to add up to the world's scorecards, and the register.

Each match is replayed from its seed (Model._play with a capture), which gives the whole card of every team
innings: every batter's runs, balls, fours and sixes, how and in what order they were out, every bowler's
balls, maidens, runs and wickets, catches and stumpings, extras. The deliveries are then built to add up to
exactly that card (replica.cricsheet_balls); a match the construction cannot express is left out of the
archives, as Cricsheet too lacks some matches (`Cricsheet.missing`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import zlib
from collections.abc import Callable

import orjson

from cricket_contract.vocabulary import TEST_CLASSES, WOMEN_CLASSES
from replica import world as W
from replica.cricsheet_balls import Infeasible, laid_out, super_over
from replica.cricsheet_http import build_zip
from replica.model import Model

FROM_YEAR = 2001  # Cricsheet's international coverage is near complete from about here on
MATCH_TYPE = {1: "Test", 2: "ODI", 3: "T20", 8: "Test", 9: "ODI", 10: "T20"}


def identifier(seed: int, key: str) -> str:
    """A Cricsheet person id: 8 hex digits, stable for a world."""
    return hashlib.sha1(f"cricsheet:{seed}:{key}".encode()).hexdigest()[:8]


def replay(model: Model, idx: int) -> tuple[list, list]:
    """(sides, cards) of match `idx` as Model._simulate played it: the same seeded draws, the cards captured."""
    m = model.matches[idx]
    rng = random.Random(model.seed * 1_000_003 + m.idx)
    T = model.teams
    sides = []
    for s in (0, 1):
        extra: list[int] = []
        if T.country[m.teams[s]] < 0:
            extra = model._composite_cands(m, model._comp.get((m.idx, s), ()))
        sides.append(model._xi(m, s, model._forced.get((m.idx, s), []), extra, rng))
    cards: list = []
    if any(p >= 0 for xi, _r, sub in sides for p in xi) or any(sub is not None for _x, _r, sub in sides):
        result = m.result
        model._play(m, sides, [], [], [], rng, capture=cards)
        m.result = result  # the replay draws the same result; never let it change the world
    return sides, cards


# ------------------------------------------------------------------ a match file


class Cricsheet:
    """Match files of one world (built on request, each from its own seed) and the people register."""

    def __init__(self, model: Model, perturb: float = 0.0) -> None:
        self.m = model
        self.perturb = perturb
        self.missing: list[int] = []  # match idxs the construction could not express
        self.perturbed: dict[int, list[int]] = {}  # match id -> team innings numbers perturbed

    def covered(self) -> list[int]:
        """Match idxs Cricsheet holds: played (as of the world's day) from FROM_YEAR on, with a scorecard
        (a player of the world took part)."""
        m = self.m
        with_rows = set(m.B["m"].tolist()) | set(m.F["m"].tolist())
        return [i for i in sorted(with_rows) if i <= m.last_match_idx and m.matches[i].date.year >= FROM_YEAR]

    def team_name(self, t: int) -> str:
        return self.m.teams.name[t].removesuffix(" Women")

    def player_name(self, p: int) -> str:
        return self.m.p_name[p]

    def match(self, idx: int) -> dict | None:
        """The match file of match `idx` (None: no scorecard, or none the deliveries could carry)."""
        model = self.m
        mt = model.matches[idx]
        sides, cards = replay(model, idx)
        if not cards:
            return None
        try:
            return self._build(idx, mt, sides, cards, random.Random(model.seed * 7_000_003 + idx))
        except Infeasible:
            self.missing.append(idx)
            return None

    def _names(self, idx: int, mt, sides, rng: random.Random) -> tuple[list[list[str]], dict[str, str]]:
        model = self.m
        T = model.teams
        names: list[list[str]] = []
        registry: dict[str, str] = {}
        for s, (xi, _roles, _sub) in enumerate(sides):
            ctry = T.country[mt.teams[s]]
            abbr = W.COUNTRIES[ctry].abbr if ctry >= 0 else "ENG"
            firsts, lasts = W.name_pool(abbr, "F" if mt.cls in WOMEN_CLASSES else "M")
            side_names = []
            for slot, p in enumerate(xi):
                if p >= 0:
                    name, key = model.p_name[p], f"p{int(model.pid[p])}"
                else:
                    name = f"{rng.choice(firsts)[0]} {rng.choice(lasts)}"
                    key = f"f{idx}:{s}:{slot}"
                while name in registry:
                    name = f"{name} ({len(registry)})"
                registry[name] = identifier(model.seed, key)
                side_names.append(name)
            names.append(side_names)
        return names, registry

    def _build(self, idx: int, mt, sides, cards, rng: random.Random) -> dict:
        model = self.m
        names, registry = self._names(idx, mt, sides, random.Random(model.seed * 31 + idx))
        innings = []
        played = [c for c in cards if c is not None]
        cls = mt.cls
        limited = cls not in TEST_CLASSES
        totals = {0: 0, 1: 0}
        cap = 120 if cls in (3, 10) else 300  # balls a side (limited-overs matches)
        for n, card in enumerate(played):
            s = card["s"]
            if card.get("forfeited"):  # Cricsheet keeps a forfeited innings in its place, with no overs
                innings.append({"team": self.team_name(mt.teams[s]), "overs": [], "forfeited": True})
                continue
            lookup = {("bat", slot): names[s][slot] for slot in range(11)}
            lookup.update({("field", slot): names[1 - s][slot] for slot in range(11)})
            overs = laid_out(card, lookup, model.seed * 7_000_003 + idx * 11 + n)
            inn: dict = {"team": self.team_name(mt.teams[s]), "overs": overs}
            if card["absent"] >= 0:  # absent hurt: named on the innings, in no delivery
                inn["absent_hurt"] = [names[s][card["absent"]]]
            total = sum(card["runs"]) + card["extras"]
            if limited and n == 1:
                inn["target"] = {"overs": cap // 6, "runs": totals[1 - s] + 1}
            if not limited and card["w"] < 10 and n < len(played) - 1:
                inn["declared"] = True
            totals[s] += total
            innings.append(inn)
        # a fraction of the chases the world has lost with wickets and balls in hand (as many as real D/L games)
        rain = (
            limited
            and len(played) == 2
            and mt.result == played[0]["s"]
            and _pick(model.seed + 1, idx, 0.15)
            and _rain_rule(innings[1], played[1], totals[played[0]["s"]], cap)
        )
        if limited and mt.result == -2 and mt.date.year >= 2008 and len(played) == 2:
            so_rng = random.Random(model.seed * 13 + idx)
            for s in (played[1]["s"], played[0]["s"]):
                innings.append(
                    {"team": self.team_name(mt.teams[s]), "overs": super_over(names[s], names[1 - s], so_rng),
                     "super_over": True}
                )  # fmt: skip
        if self.perturb and _pick(model.seed, idx, self.perturb):
            real = {names[s][slot] for s in (0, 1) for slot, p in enumerate(sides[s][0]) if p >= 0}
            self._perturb(idx, innings, real)
        return self._file(idx, mt, names, registry, innings, played, totals, rng, rain)

    def _perturb(self, idx: int, innings: list[dict], real: set[str]) -> None:
        """One more run off the bat on one ball of the first innings faced by a player of the world (his and
        the bowler's figures then differ from the scorecard: what the reconciliation must find)."""
        for over in innings[0]["overs"]:
            for d in over["deliveries"]:
                if d["batter"] not in real:
                    continue
                if "extras" not in d and "wickets" not in d and d["runs"]["batter"] in (0, 1, 2):
                    d["runs"]["batter"] += 1
                    d["runs"]["total"] += 1
                    self.perturbed.setdefault(int(self.m.matches[idx].match_id), []).append(1)
                    return

    def _file(self, idx, mt, names, registry, innings, played, totals, rng, rain: bool) -> dict:
        cls = mt.cls
        days = 5 if cls in TEST_CLASSES else 1
        teams = [self.team_name(t) for t in mt.teams]
        info: dict = {
            "balls_per_over": 6,
            "city": mt.ground.rsplit(", ", 1)[-1],
            "dates": [(mt.date + dt.timedelta(days=d)).isoformat() for d in range(days)],
            "event": {"name": f"{teams[0]} v {teams[1]} {mt.date.year}"},
            "gender": "female" if cls in WOMEN_CLASSES else "male",
            "match_type": MATCH_TYPE[cls],
            "match_type_number": mt.number,
            "outcome": self._outcome(mt, teams, played, totals, innings, rain),
            "players": {teams[s]: names[s] for s in (0, 1)},
            "registry": {"people": dict(sorted(registry.items()))},
            "season": str(mt.date.year),
            "team_type": "international",
            "teams": teams,
            "toss": {"decision": rng.choice(("bat", "field")), "winner": rng.choice(teams)},
            "venue": mt.ground,
        }
        if cls not in TEST_CLASSES:
            info["overs"] = 20 if cls in (3, 10) else 50
        version = "1.1.0" if mt.date.year >= 2020 else "1.0.0"
        return {
            "meta": {"data_version": version, "created": (mt.date + dt.timedelta(days=days + 1)).isoformat(), "revision": 1},
            "info": info,
            "innings": innings,
        }  # fmt: skip

    def _outcome(self, mt, teams, played, totals, innings, rain: bool) -> dict:
        if mt.result == -1:
            return {"result": "draw"}
        if mt.result == -3:
            return {"result": "no result"}
        if mt.result == -2:
            so = [x for x in innings if x.get("super_over")]
            if so:
                a = sum(d["runs"]["total"] for o in so[0]["overs"] for d in o["deliveries"])
                b = sum(d["runs"]["total"] for o in so[1]["overs"] for d in o["deliveries"])
                winner = so[0]["team"] if a > b else so[1]["team"]
                return {"result": "tie", "eliminator": winner}
            return {"result": "tie"}
        win = mt.result
        last = played[-1]
        if rain:  # a chase cut short, decided on the revised target
            short = innings[-1]["target"]["runs"] - 1 - (sum(last["runs"]) + last["extras"])
            return {"winner": teams[win], "by": {"runs": short}, "method": "D/L"}
        if last["s"] == win:
            return {"winner": teams[win], "by": {"wickets": 10 - last["w"]}}
        margin = totals[win] - totals[1 - win]
        if len(played) == 3 and sum(1 for c in played if c["s"] == win) == 1:
            return {"winner": teams[win], "by": {"innings": 1, "runs": margin}}
        return {"winner": teams[win], "by": {"runs": margin}}

    # ------------------------------------------------------------------ the register

    def people_rows(self) -> list[list[str]]:
        """people.csv rows: every player of the world with a Cricinfo id; one in twenty only in key_cricinfo_2."""
        m = self.m
        rows = []
        for p in range(m.n):
            if not m.played[p]:
                continue
            pid = int(m.pid[p])
            ident = identifier(m.seed, f"p{pid}")
            first, second = (str(pid), "") if not _pick(m.seed, pid, 0.05) else ("", str(pid))
            cells = [ident, m.p_name[p], m.p_name[p]] + [""] * 17
            cells[9], cells[10] = first, second
            rows.append(cells)
        return sorted(rows)


PEOPLE_HEADER = (
    "identifier,name,unique_name,key_bcci,key_bcci_2,key_bigbash,key_cricbuzz,key_cricheroes,key_crichq,"
    "key_cricinfo,key_cricinfo_2,key_cricingif,key_cricketarchive,key_cricketarchive_2,key_nvplay,"
    "key_nvplay_2,key_opta,key_opta_2,key_pulse,key_pulse_2"
)


def _pick(seed: int, key: int, fraction: float) -> bool:
    h = hashlib.sha1(f"{seed}:{key}:cricsheet".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


def dumps(doc: dict) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


# ------------------------------------------------------------------ the downloads


ARCHIVE_CLASSES = {
    "tests": (1, 8),
    "odis": (2, 9),
    "t20s": (3, 10),
    "tests_male": (1,),
    "tests_female": (8,),
    "odis_male": (2,),
    "odis_female": (9,),
    "t20s_male": (3,),
    "t20s_female": (10,),
    "all": (1, 2, 3, 8, 9, 10),
}
RECENT_DAYS = (2, 7, 30)


class Downloads:
    """What cricsheet.org/downloads and /register serve, for one world: path -> builder of the bytes.

    Match files are built once each (kept deflated) and shared by every archive that holds them.
    """

    def __init__(self, model: Model, *, from_year: int = FROM_YEAR, perturb: float = 0.0) -> None:
        self.cs = Cricsheet(model, perturb=perturb)
        self.from_year = from_year
        self._files: dict[int, bytes | None] = {}
        day = model.as_of or model.matches[model.last_match_idx].date
        self.day = day

    def idxs(self) -> list[int]:
        return [i for i in self.cs.covered() if self.cs.m.matches[i].date.year >= self.from_year]

    def match_bytes(self, idx: int) -> bytes | None:
        if idx not in self._files:
            doc = self.cs.match(idx)
            self._files[idx] = None if doc is None else zlib.compress(dumps(doc), 6)
        got = self._files[idx]
        return None if got is None else zlib.decompress(got)

    def end_date(self, idx: int) -> dt.date:
        mt = self.cs.m.matches[idx]
        return mt.date + dt.timedelta(days=4 if mt.cls in TEST_CLASSES else 0)

    def archive(self, classes: tuple[int, ...], recent: int | None = None) -> bytes:
        m = self.cs.m
        members, lines = [], []
        picked = [i for i in self.idxs() if m.matches[i].cls in classes]
        if recent is not None:
            since = self.day - dt.timedelta(days=recent)
            picked = [i for i in picked if self.end_date(i) + dt.timedelta(days=1) > since]
        for i in sorted(picked, key=lambda i: (m.matches[i].date, m.matches[i].match_id), reverse=True):
            data = self.match_bytes(i)
            if data is None:
                continue
            mt = m.matches[i]
            a, b = (self.cs.team_name(t) for t in mt.teams)
            gender = "female" if mt.cls in WOMEN_CLASSES else "male"
            members.append((f"{mt.match_id}.json", data))
            lines.append(
                f"{mt.date.isoformat()} - international - {MATCH_TYPE[mt.cls]} - {gender} - {mt.match_id} - {a} vs {b}"
            )
        return build_zip(members, lines)

    def people_csv(self) -> bytes:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(PEOPLE_HEADER.split(","))
        w.writerows(self.cs.people_rows())
        return out.getvalue().encode()

    def builders(self) -> dict[str, Callable[[], bytes]]:
        out: dict[str, Callable[[], bytes]] = {
            f"/downloads/{name}_json.zip": (lambda c=classes: self.archive(c))
            for name, classes in ARCHIVE_CLASSES.items()
        }
        for n in RECENT_DAYS:
            out[f"/downloads/recently_added_{n}_json.zip"] = lambda n=n: self.archive(
                ARCHIVE_CLASSES["all"], n
            )
        out["/register/people.csv"] = self.people_csv
        return out


# ------------------------------------------------------------------ the truth of Cricsheet's tables


def truth_rows(dl: Downloads) -> dict[str, list[dict]]:
    """`matches` and `people` as the transform must make them of what `dl` serves (the TABLES columns, in order;
    `archive` null: it depends on which archive a crawl fetched)."""
    from cricket_contract.vocabulary import FORMAT_BY_CLASS
    from transform.schemas import TABLES

    m = dl.cs.m
    T = m.teams
    matches = []
    for i in dl.idxs():
        data = dl.match_bytes(i)
        if data is None:
            continue
        doc = orjson.loads(data)
        info, mt = doc["info"], m.matches[i]
        out, by, toss = info["outcome"], info["outcome"].get("by", {}), info["toss"]
        dates = info["dates"]
        row = {
            "match_id": int(mt.match_id), "format": FORMAT_BY_CLASS[mt.cls], "gender": info["gender"],
            "match_type": MATCH_TYPE[mt.cls], "match_type_number": mt.number, "start_date": dates[0],
            "end_date": dates[-1], "days": len(dates), "venue": mt.ground, "city": info["city"],
            "team1": dl.cs.team_name(mt.teams[0]), "team2": dl.cs.team_name(mt.teams[1]),
            "team1_id": T.team_id[mt.teams[0]], "team2_id": T.team_id[mt.teams[1]],
            "toss_winner": toss["winner"], "toss_decision": toss["decision"], "winner": out.get("winner"),
            "result": out.get("result"), "by_runs": by.get("runs"), "by_wickets": by.get("wickets"),
            "by_innings": by.get("innings"), "method": out.get("method"), "eliminator": out.get("eliminator"),
            "event": info["event"]["name"], "event_stage": None, "event_match_number": None,
            "season": info["season"], "balls_per_over": 6, "overs": info.get("overs"),
            "innings": sum(1 for x in doc["innings"] if not x.get("super_over")),
            "super_overs": sum(1 for x in doc["innings"] if x.get("super_over")),
            "data_version": doc["meta"]["data_version"], "created": doc["meta"]["created"], "revision": 1,
            "archive": None, "member": f"{mt.match_id}.json",
        }  # fmt: skip
        assert list(row) == TABLES["matches"].names
        matches.append(row)
    people = []
    for cells in dl.cs.people_rows():
        first, second = (int(cells[9]) if cells[9] else None), (int(cells[10]) if cells[10] else None)
        people.append(
            {"identifier": cells[0], "name": cells[1], "unique_name": cells[2], "key_cricinfo": first,
             "key_cricinfo_2": second, "player_id": first if first is not None else second}
        )  # fmt: skip
    return {"matches": matches, "people": people}


def write_truth(model: Model, out, from_year: int) -> dict[str, int]:
    """DIR/matches.jsonl and DIR/people.jsonl of the world's Cricsheet (`python -m replica truth --cricsheet-from`)."""
    import json
    from pathlib import Path

    counts = {}
    for table, rows in truth_rows(Downloads(model, from_year=from_year)).items():
        path = Path(out) / f"{table}.jsonl"
        tmp = path.with_name(f".{table}.jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)
        counts[table] = len(rows)
    return counts


def _rain_rule(inn: dict, card: dict, first_total: int, cap: int) -> bool:
    """A chase that lost with wickets and balls in hand was cut short (the world's card says no more): rain, and
    D/L's revised target for the balls the chase had, a share of the first innings' runs the chasers fell short
    of. Sets the innings' `target` as Cricsheet writes it (overs as `8.4`); whether the chase was cut short."""
    # legal balls: a no-ball was faced but is no ball of the chase's overs
    balls = sum(card["bballs"].values())
    total = sum(card["runs"]) + card["extras"]
    if card["w"] >= 10 or balls >= cap:
        return False
    par = -(-first_total * balls // cap)
    inn["target"] = {"overs": float(f"{balls // 6}.{balls % 6}"), "runs": max(par + 1, total + 2)}
    return True
