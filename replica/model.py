"""The replica's seeded world: players, matches and simulated scorecards, held as flat numpy row tables.

Everything the site shows (results lists, player pages, profiles) and the ground truth is derived from one
`Model`, so no two views can disagree. Scorecards are simulated per team innings so that a match's batting,
bowling and fielding rows agree with each other (catches credited to real fielders, bowlers' balls = the
batting side's balls faced less its no-balls).
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import hashlib
import itertools
import math
import random
import unicodedata
from dataclasses import dataclass

import numpy as np

from cricket_contract.teams import country_of, side_of_nation, team
from cricket_contract.vocabulary import MEN_CLASSES, TEST_CLASSES, WOMEN_CLASSES
from replica import world as W

LAST_DATE = dt.date(2026, 5, 15)
BF_FROM_YEAR = 1972  # players whose career began earlier have no balls-faced / minutes data
MONTHS_NORTH = (4, 5, 6, 7, 8, 9)
MONTHS_SOUTH = (10, 11, 12, 1, 2, 3)

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _gumbel(seed: int, stream: int, keys: np.ndarray) -> np.ndarray:
    """Gumbel noise per (seed, stream, key), stateless (splitmix64), so any process draws the same."""
    salt = np.uint64((seed * 0x100000001B3 + stream * 0x9E3779B1) & 0xFFFFFFFFFFFFFFFF)
    x = keys.astype(np.uint64) * _GOLD ^ salt
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
    return -np.log(-np.log(u))


def fraction_pick(seed: int, key: int, salt: str, frac: float) -> bool:
    """A seeded, stable choice of `frac` of the keys (players, matches), independent of request order and of
    every random stream."""
    if frac <= 0:
        return False
    h = hashlib.blake2b(f"{seed}:{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64 < frac


# participation codes (row column `part`)
PLAYED, DNB, TDNB, ABSENT, SUB = 0, 1, 2, 3, 4
PART_TEXT = {DNB: "DNB", TDNB: "TDNB", ABSENT: "absent", SUB: "sub"}
PART_TRUTH = {DNB: "dnb", TDNB: "tdnb", ABSENT: "absent", SUB: "sub"}

DISMISSALS = ("not out", "caught", "bowled", "lbw", "run out", "stumped", "hit wicket")
D_NOTOUT, D_CAUGHT, D_BOWLED, D_LBW, D_RUNOUT, D_STUMPED, D_HITWKT = range(7)
_DIS_WEIGHTS = (0.575, 0.19, 0.14, 0.055, 0.035, 0.005)  # caught bowled lbw run-out stumped hit-wicket
_DIS_CUM = [float(x) for x in np.cumsum(_DIS_WEIGHTS) / sum(_DIS_WEIGHTS)]

# roles: index into ROLES; batting-order key; selection group (0 keeper, 1 batter, 2 allrounder, 3 bowler)
ROLES = (
    ("opening batter", 0.0, 1),
    ("top-order batter", 1.0, 1),
    ("middle-order batter", 2.0, 1),
    ("batter", 1.8, 1),
    ("wicketkeeper batter", 3.0, 0),
    ("wicketkeeper", 4.2, 0),
    ("batting allrounder", 3.4, 2),
    ("allrounder", 4.0, 2),
    ("bowling allrounder", 4.8, 2),
    ("bowler", 6.0, 3),
)
ROLE_WEIGHTS = (0.10, 0.12, 0.12, 0.06, 0.07, 0.03, 0.06, 0.07, 0.05, 0.32)
QUOTA = (1, 5, 2, 4)  # keeper, batters, allrounders, bowlers (at most; 11 slots in all)
_NOT_KEEPER = [[k for k in range(11) if k != j] for j in range(11)]


@dataclass
class Match:
    idx: int
    cls: int
    date: dt.date
    teams: tuple[int, int]  # team indices
    host: int  # country index (hosting country)
    ground: str
    match_id: int = 0
    number: int = 0  # "Test # N"
    result: int = 0  # 0/1 winner side, -1 drawn, -2 tied, -3 no result


class Teams:
    """Every side the replica knows: men's and women's country sides and composite XIs.

    Ids, codes and opposition texts are those of cricket_contract/teams.csv: a side's player-cell code depends on
    the year (W.ERA_CODES), its Opposition text is the first one the file lists that a source shows.
    """

    def __init__(self) -> None:
        self.team_id: list[str] = []  # canonical id (the truth's `country` and `opposition`)
        self.name: list[str] = []  # the side's name, "Australia" / "Australia Women"
        self.opposition: list[str] = []  # Opposition cell without "v ": "U.A.E.", "Bdesh Wmn"
        self.country: list[int] = []  # country index or -1 for composites
        self.gender: list[str] = []
        self._codes: list[tuple[str, str]] = []  # (code before W.SPELLING_YEAR, code from then on)
        for ci, c in enumerate(W.COUNTRIES):
            for g in ("M", "F"):
                if any(cl in c.starts for cl in (MEN_CLASSES if g == "M" else WOMEN_CLASSES)):
                    self._add(c.abbr if g == "M" else f"{c.abbr}-W", ci, g)
        for tid in W.COMPOSITE_IDS:
            self._add(tid, -1, "F" if tid.endswith("-W") else "M")
        self.index = {a: i for i, a in enumerate(self.team_id)}

    def _add(self, tid: str, ci: int, gender: str) -> None:
        t = team(tid)
        seen = [c for c in t.player_codes if c not in t.inferred] or list(t.player_codes)
        codes = W.ERA_CODES.get(tid, (seen[0], seen[0]))
        opp = [o for o in t.opposition if o not in t.inferred] or list(t.opposition)
        self.team_id.append(tid)
        self.name.append(t.name)
        self.opposition.append(opp[0])
        self.country.append(ci)
        self.gender.append(gender)
        self._codes.append(codes)

    def code(self, t: int, year: int) -> str:
        """The side's code in a player cell of a row (or career) of `year`."""
        old, new = self._codes[t]
        return old if year < W.SPELLING_YEAR else new

    def of_country(self, ci: int, gender: str) -> int:
        ab = W.COUNTRIES[ci].abbr
        return self.index[ab if gender == "M" else f"{ab}-W"]


def _rate(cls: int, year: int) -> float:
    """Matches per year of a class, rising with the era."""
    if cls == 1:
        return 4 if year < 1900 else 7 if year < 1946 else 14 if year < 1970 else 26 if year < 1990 else 42
    if cls == 2:
        return 8 if year < 1980 else 55 if year < 1990 else 105 if year < 2000 else 125
    if cls == 3:
        return 25 if year < 2010 else 65 if year < 2019 else 200
    if cls == 8:
        return 0.6 if year < 1970 else 2.5
    if cls == 9:
        return 6 if year < 1990 else 25 if year < 2005 else 55
    return 10 if year < 2010 else 40 if year < 2018 else 140


def slugify(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in ascii_)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def season_label(country: W.Country, d: dt.date) -> str:
    if country.north:
        return str(d.year)
    y = d.year if d.month >= 7 else d.year - 1
    return f"{y}/{(y + 1) % 100:02d}"


class Model:
    """Generate the world for (players, seed) and hold its row tables."""

    def __init__(self, players: int, seed: int) -> None:
        if players < 1:
            raise ValueError("--players must be at least 1")
        self.n = players
        self.seed = seed
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.teams = Teams()
        self.forfeited: set[int] = set()  # match idxs whose third innings was forfeited
        # The build allocates millions of small objects that all stay alive until the row tables are
        # packed into numpy arrays; the cyclic collector would rescan them over and over (~2x the time).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._schedule()
            self._players()
            self._simulate()
            self._finish()
        finally:
            if was_enabled:
                gc.enable()

    # ------------------------------------------------------------------ schedule
    def _schedule(self) -> None:
        rng = self.rng
        T = self.teams
        matches: list[Match] = []
        for cls, (_fmt, gender, _lab) in W.CLASS_INFO.items():
            first = min(c.starts[cls] for c in W.COUNTRIES if cls in c.starts)
            for year in range(first, LAST_DATE.year + 1):
                elig = [
                    ci
                    for ci, c in enumerate(W.COUNTRIES)
                    if c.starts.get(cls, 9999) <= year <= c.ends.get(cls, 9999)
                ]
                if len(elig) < 2:
                    continue
                lam = _rate(cls, year) * (0.37 if year == LAST_DATE.year else 1.0)
                k = int(self.nrng.poisson(lam))
                wts = [W.COUNTRIES[ci].weight for ci in elig]
                for _ in range(k):
                    a, b = rng.choices(elig, wts, k=2)
                    while b == a:
                        b = rng.choices(elig, wts)[0]
                    if cls not in TEST_CLASSES and rng.random() < 0.15:
                        host = rng.choice(elig)
                    else:
                        host = a if rng.random() < 0.5 else b
                    if not W.COUNTRIES[host].hosts:  # a touring side: the other side hosts, else England
                        other = b if host == a else a
                        host = (
                            other if W.COUNTRIES[other].hosts else W.COUNTRIES.index(W.COUNTRY_BY_ABBR["ENG"])
                        )
                    hc = W.COUNTRIES[host]
                    month = rng.choice(MONTHS_NORTH if hc.north else MONTHS_SOUTH)
                    d = dt.date(year, month, rng.randint(1, 28))
                    if d > LAST_DATE:
                        d = dt.date(year, rng.randint(1, 4), rng.randint(1, 28))
                    ta, tb = T.of_country(a, gender), T.of_country(b, gender)
                    matches.append(Match(0, cls, d, (ta, tb), host, rng.choice(hc.grounds)))
        # composite sides (ICC World XI, World XI, Asia XI, Africa XI, International XI Women)
        self.composite_matches: list[tuple[int, int, tuple[str, ...]]] = []  # (match, side, sides drawn from)
        pairs = list(W.COMPOSITE_MATCHES)
        for i, (tid, cls, year, month, pool) in enumerate(pairs):
            if tid == "ASIA-XI":  # Afro-Asia Cup: Asia v Africa, paired with the previous entry
                opp = T.index["AFR-XI"]
                host = W.COUNTRY_BY_ABBR["SA" if year == 2005 else "IND"]
                hi = W.COUNTRIES.index(host)
                for j in range(3 if year == 2007 else 2):
                    d = dt.date(year, month, 6 + 3 * j)
                    m = Match(0, cls, d, (T.index["ASIA-XI"], opp), hi, rng.choice(host.grounds))
                    matches.append(m)
                    self.composite_matches.append((len(matches) - 1, 0, pool))
                    self.composite_matches.append((len(matches) - 1, 1, pairs[i - 1][4]))
                continue
            if tid == "AFR-XI":
                continue
            opp_id, host_abbr = W.COMPOSITE_OPPONENT[(tid, cls)]
            if tid == "WORLD-XI" and year == 2018:
                opp_id, host_abbr = "WI", "ENG"  # the hurricane-relief T20I at Lord's
            hc = W.COUNTRY_BY_ABBR[host_abbr]
            n = sum(1 for x in matches if x.teams[0] == T.index[tid] and x.cls == cls and x.date.year == year)
            d = dt.date(year, month, 5 + 4 * n)
            m = Match(
                0, cls, d, (T.index[tid], T.index[opp_id]), W.COUNTRIES.index(hc), rng.choice(hc.grounds)
            )
            matches.append(m)
            self.composite_matches.append((len(matches) - 1, 0, pool))
        # fixed fixtures of the sides that played one tournament (East Africa 1975, the 1973 women's World Cup)
        for cls, year, month, day, a, b in W.FIXTURES:
            hc = W.COUNTRY_BY_ABBR["ENG"]
            teams = (T.index[a], T.index[b])
            matches.append(
                Match(0, cls, dt.date(year, month, day), teams, W.COUNTRIES.index(hc), rng.choice(hc.grounds))
            )
        order = sorted(range(len(matches)), key=lambda i: (matches[i].date, matches[i].cls, i))
        remap = {old: new for new, old in enumerate(order)}
        self.composite_matches = [(remap[i], side, pool) for i, side, pool in self.composite_matches]
        self.matches = [matches[i] for i in order]
        counters: dict[int, int] = {}
        mid = 62_000
        for i, m in enumerate(self.matches):
            m.idx = i
            counters[m.cls] = counters.get(m.cls, 0) + 1
            m.number = counters[m.cls]
            mid += rng.randint(20, 170)
            m.match_id = mid

    # ------------------------------------------------------------------ players
    def _players(self) -> None:
        rng, T, N = self.rng, self.teams, self.n
        # demand: per team, the matches it plays (Tests weigh more: longer squads, more turnover)
        cls_weight = {1: 1.0, 2: 0.55, 3: 0.45, 8: 1.0, 9: 0.55, 10: 0.45}
        team_matches: dict[int, list[int]] = {}
        for m in self.matches:
            for t in m.teams:
                if T.country[t] >= 0:
                    team_matches.setdefault(t, []).append(m.idx)
        demand = {t: sum(cls_weight[self.matches[i].cls] for i in ms) for t, ms in team_matches.items()}
        women_share = 0.22
        alloc: dict[int, int] = {}
        frac: dict[int, float] = {}
        for gender, share in (("M", 1 - women_share), ("F", women_share)):
            ts = sorted(t for t in demand if T.gender[t] == gender)
            tot = sum(demand[t] for t in ts)
            for t in ts:
                raw = N * share * demand[t] / tot
                alloc[t] = int(raw)
                frac[t] = raw - int(raw)
        # hand out the remainder by largest fractional part, keeping the exact total
        order = sorted(alloc, key=lambda t: (-frac[t], t))
        for i in range(N - sum(alloc.values())):
            alloc[order[i % len(order)]] += 1
        # every side that plays has a player of its own when there are enough to go round (the rare spellings
        # of one-tournament sides show up in small worlds too); the busiest sides give them up
        if N >= 4 * len(alloc):
            for t in sorted(alloc):
                if alloc[t] == 0:
                    alloc[max(alloc, key=lambda x: (alloc[x], -x))] -= 1
                    alloc[t] = 1

        ids = self.nrng.choice(np.arange(100_000, 1_000_000), size=N, replace=False)
        self.pid = ids.astype(np.int64)
        self.p_team: list[int] = []  # primary team index
        self.p_start: list[dt.date] = []
        self.p_end: list[dt.date] = []
        self.p_classes: list[frozenset[int]] = []
        self.p_role: list[int] = []
        self.p_prio: list[float] = []
        self.p_anchor: list[int] = []
        self.p_second: list[tuple[int, dt.date] | None] = []  # (other team, from date)
        for t in sorted(alloc):
            ms = team_matches[t]
            wts = [cls_weight[self.matches[i].cls] for i in ms]
            anchors = rng.choices(ms, wts, k=alloc[t])
            for a in anchors:
                m = self.matches[a]
                if rng.random() < 0.14:  # one-cap wonders and short stints, as common as on the real site
                    years = rng.uniform(0.02, 0.5)
                else:
                    years = min(22.0, max(0.05, rng.lognormvariate(math.log(3.5), 0.85)))
                before = rng.random() * years
                start = m.date - dt.timedelta(days=int(before * 365))
                end = m.date + dt.timedelta(days=int((years - before) * 365))
                end = min(end, LAST_DATE)
                gender = T.gender[t]
                classes = {m.cls}
                cset = MEN_CLASSES if gender == "M" else WOMEN_CLASSES
                ctry = W.COUNTRIES[T.country[t]]
                multi = rng.random() < 0.55
                for c in cset:
                    if (
                        c != m.cls
                        and c in ctry.starts
                        and ctry.starts[c] <= end.year
                        and multi
                        and rng.random() < 0.8
                    ):
                        classes.add(c)
                self.p_team.append(t)
                self.p_start.append(start)
                self.p_end.append(end)
                self.p_classes.append(frozenset(classes))
                self.p_role.append(rng.choices(range(len(ROLES)), ROLE_WEIGHTS)[0])
                self.p_prio.append(rng.gauss(0.0, 1.0))
                self.p_anchor.append(a)
                self.p_second.append(None)
        # a few players switch country mid-career (e.g. ENG/IRE, AUS/SA)
        men = [p for p in range(N) if T.gender[self.p_team[p]] == "M"]
        for p in rng.sample(men, k=min(len(men), max(0, N // 400))):
            t = self.p_team[p]
            cands = [
                x
                for x in range(len(T.team_id))
                if T.gender[x] == "M" and T.country[x] >= 0 and x != t and x in team_matches
            ]
            other = rng.choice(cands)
            anchor = self.matches[self.p_anchor[p]].date
            span = (self.p_end[p] - anchor).days
            if span < 200:
                continue
            switch = anchor + dt.timedelta(days=int(span * rng.uniform(0.3, 0.7)))
            self.p_second[p] = (other, switch)
        # skills
        rs = self.rng
        self.p_bat: list[float] = []
        self.p_sr: list[float] = []
        self.p_bowl: list[float] = []  # bowling weight (share of overs); 0 = never bowls
        self.p_econ: list[float] = []
        self.p_wkt: list[float] = []
        self.p_power: list[float] = []
        self.p_spin: list[bool] = []
        for p in range(N):
            role = self.p_role[p]
            grp = ROLES[role][2]
            base = {0: 27.0, 1: 33.0, 2: 26.0, 3: 10.0}[grp]
            if role in (0, 1):
                base = 35.0
            self.p_bat.append(base * rs.lognormvariate(0, 0.28))
            self.p_sr.append(rs.lognormvariate(0, 0.13))
            bowl = {0: 0.0, 1: 0.12 if rs.random() < 0.45 else 0.0, 2: 0.7, 3: 1.0}[grp]
            if role == 5:
                bowl = 0.0
            self.p_bowl.append(bowl * rs.lognormvariate(0, 0.25))
            self.p_econ.append(rs.lognormvariate(0, 0.12))
            self.p_wkt.append(rs.lognormvariate(0, 0.3) * (1.0 if grp == 3 else 0.7 if grp == 2 else 0.35))
            self.p_power.append(rs.lognormvariate(0, 0.5))
            self.p_spin.append(rs.random() < 0.4)

        self.p_drop = [0.08 + 0.5 / (1.0 + math.exp(2.0 * x)) for x in self.p_prio]
        # pools: (team, class) -> players, for squad selection
        self.pool: dict[tuple[int, int], list[int]] = {}
        for p in range(N):
            teams_p = [(self.p_team[p], self.p_start[p], self.p_end[p])]
            if self.p_second[p]:
                o, sw = self.p_second[p]
                teams_p = [(self.p_team[p], self.p_start[p], sw), (o, sw, self.p_end[p])]
            for t, _s, _e in teams_p:
                for c in self.p_classes[p]:
                    self.pool.setdefault((t, c), []).append(p)
        self.pool_arr = {}
        for key, ps in self.pool.items():
            t = key[0]
            st, en = [], []
            for p in ps:
                if self.p_second[p] and self.p_second[p][0] == t:
                    st.append(self.p_second[p][1].toordinal())
                    en.append(self.p_end[p].toordinal())
                elif self.p_second[p]:
                    st.append(self.p_start[p].toordinal())
                    en.append(self.p_second[p][1].toordinal() - 1)
                else:
                    st.append(self.p_start[p].toordinal())
                    en.append(self.p_end[p].toordinal())
            self.pool_arr[key] = (
                np.array(ps),
                np.array(st),
                np.array(en),
                np.array([self.p_prio[p] for p in ps]),
            )

    # ------------------------------------------------------------------ selection + simulation
    def _xi(
        self, m: Match, side: int, forced: list[int], extra: list[int], rng: random.Random
    ) -> tuple[list[int], list[int], int | None]:
        """Pick the XI of one side: (players or -1, roles, concussion substitute or None)."""
        t = m.teams[side]
        cands: list[int] = []
        if extra:
            cands = list(extra)
        else:
            arr = self.pool_arr.get((t, m.cls))
            if arr is not None:
                ps, st, en, pr = arr
                d = m.date.toordinal()
                mask = (st <= d) & (en >= d)
                if mask.any():
                    sel = ps[mask]
                    noisy = pr[mask] + 0.7 * _gumbel(self.seed, m.idx * 2 + side, sel)
                    cands = [int(x) for x in sel[np.argsort(-noisy)]]
        chosen: list[int] = []
        counts = [0, 0, 0, 0]
        for p in forced:
            if p not in chosen and len(chosen) < 11:
                chosen.append(p)
                counts[ROLES[self.p_role[p]][2]] += 1
        rest: list[int] = []
        for p in cands:
            if len(chosen) >= 11:
                rest.append(p)  # only the first left out matters (a possible concussion substitute)
                break
            if p in chosen:
                continue
            g = ROLES[self.p_role[p]][2]
            if (
                rng.random() < self.p_drop[p]
            ):  # rested, injured or dropped this time (fringe players more often)
                rest.append(p)
                continue
            if counts[g] < QUOTA[g] and not (g == 3 and counts[2] + counts[3] >= 6):
                chosen.append(p)
                counts[g] += 1
            else:
                rest.append(p)
        # fill the rest of the XI with phantom slots of the missing roles
        roles = [self.p_role[p] for p in chosen]
        need = 11 - len(chosen)
        fill: list[int] = []
        if counts[0] == 0 and need > 0:
            fill.append(4)
        for g, q, r in ((1, 5, (0, 0, 1, 2, 3)), (2, 1, (7,)), (3, 4, (9, 9, 9, 9))):
            for k in range(max(0, q - counts[g])):
                if len(fill) < need:
                    fill.append(r[k % len(r)])
        while len(fill) < need:
            fill.append(9)
        players = chosen + [-1] * len(fill)
        roles = roles + fill
        # batting order: role order plus a little per-match noise
        rnd = rng.random
        keys = [ROLES[r][1] - 0.6 + 1.2 * rnd() for r in roles]
        order = sorted(range(11), key=lambda i: keys[i])
        sub = None
        if m.date.year >= 2019 and m.date >= dt.date(2019, 8, 1) and rest and rng.random() < 0.02:
            sub = rest[0] if rest[0] not in chosen else None
        return [players[i] for i in order], [roles[i] for i in order], sub

    def _simulate(self) -> None:
        # forced debut: every player plays his anchor match
        forced: dict[tuple[int, int], list[int]] = {}
        for p, a in enumerate(self.p_anchor):
            m = self.matches[a]
            t = self.p_team[p]
            if self.p_second[p] and m.date >= self.p_second[p][1]:
                t = self.p_second[p][0]
            side = 0 if m.teams[0] == t else 1 if m.teams[1] == t else None
            if side is None:  # anchor of a switcher after the switch: play for whoever he was then
                continue
            forced.setdefault((a, side), []).append(p)
        self._forced = forced
        self._comp = {(i, side): pool for i, side, pool in self.composite_matches}
        T = self.teams
        B: list[int] = []
        BW: list[int] = []
        F: list[int] = []
        for m in self.matches:
            # each match draws from its own seeded generator: a match's scorecard depends on nothing else
            rng = random.Random(self.seed * 1_000_003 + m.idx)
            sides = []
            for s in (0, 1):
                extra: list[int] = []
                t = m.teams[s]
                if T.country[t] < 0:  # composite: the best active players of the countries it draws on
                    extra = self._composite_cands(m, self._comp.get((m.idx, s), ()))
                xi, roles, sub = self._xi(m, s, self._forced.get((m.idx, s), []), extra, rng)
                sides.append((xi, roles, sub))
            if any(p >= 0 for xi, _r, sub in sides for p in xi) or any(
                sub is not None for _x, _r, sub in sides
            ):
                self._play(m, sides, B, BW, F, rng)
            else:  # nobody of ours on the field: only the result matters (never shown) — skip the scorecard
                m.result = -1
        self._rows = (B, BW, F)

    def _composite_cands(self, m: Match, countries: tuple[str, ...]) -> list[int]:
        """The best active players of the sides a composite draws on: of the match's class first, then (for the
        early women's XIs, whose class had few players yet) of the other classes of the same gender."""
        T = self.teams
        d = m.date.toordinal()
        best: list[tuple[float, int]] = []
        same_gender = WOMEN_CLASSES if m.cls in WOMEN_CLASSES else MEN_CLASSES
        for cl in (m.cls, *(c for c in same_gender if c != m.cls)):
            for ab in countries:
                t = T.index.get(ab)
                arr = self.pool_arr.get((t, cl)) if t is not None else None
                if arr is None:
                    continue
                ps, st, en, pr = arr
                mask = (st <= d) & (en >= d)
                best.extend((float(x), int(p)) for x, p in zip(pr[mask], ps[mask], strict=False))
            if len({p for _x, p in best}) >= 11:
                break
        best = sorted(set(best), reverse=True)
        return [p for _x, p in best[:16]]

    def _play(self, m: Match, sides, B, BW, F, rng: random.Random, capture: list | None = None) -> None:
        """Simulate the match's scorecard into the row lists. `capture` (replica.cricsheet replays a match)
        receives each team innings' whole card, the slots of players outside the world included."""
        rnd = rng.random
        cls = m.cls
        fmt_kind = 0 if cls in TEST_CLASSES else 1 if cls in (2, 9) else 2
        women = cls in WOMEN_CLASSES
        bat_first = 0 if rnd() < 0.5 else 1
        a, b = bat_first, 1 - bat_first
        if fmt_kind == 0:
            plan = [a, b, b, a] if rnd() < 0.08 else [a, b, a, b]
            r = rnd()
            played = 3 if r < 0.2 else 2 if r < 0.22 else 1 if r < 0.225 else 4
            cap = None
        else:
            plan = [a, b]
            played = 1 if rnd() < 0.04 else 2
            cap = (300 if m.date.year >= 1987 or cls == 9 else 360) if fmt_kind == 1 else 120
        totals = [0, 0]
        wk_last = 0
        inns_results = []
        # A side that forfeits its second innings (a hashed pick, outside the match's stream): as rare as on the
        # real record, yet a world of a few hundred players holds some for the replica's Cricsheet to show
        forfeit = fmt_kind == 0 and played == 4 and plan == [a, b, a, b]
        forfeit = forfeit and fraction_pick(self.seed, m.idx, "forfeit", 0.004)
        if forfeit:
            self.forfeited.add(m.idx)
        for i, s in enumerate(plan):
            inn = i + 1
            f = 1 - s
            xi, roles, sub = sides[s]
            fxi, froles, fsub = sides[f]
            if i >= played or (forfeit and i == 2):
                inns_results.append(None)
                if capture is not None:
                    capture.append({"inn": inn, "s": s, "forfeited": True} if i < played else None)
                for slot, p in enumerate(xi):
                    if p >= 0:
                        self._bat_row(B, p, m, inn, s, TDNB, pos=slot + 1)
                for p in fxi:
                    if p >= 0:
                        self._bowl_row(BW, p, m, inn, f, TDNB)
                        self._field_row(F, p, m, inn, f, TDNB)
                continue
            # ---- batting
            r = rnd()
            if fmt_kind == 0:
                w = 10 if r < 0.68 else (2 + int(rnd() * 8))
            elif fmt_kind == 1:
                w = 10 if r < 0.36 else (1 + int(rnd() * 9))
            else:
                w = 10 if r < 0.15 else (0 + int(rnd() * 10))
            absent = -1
            nbat_slots = 11
            if w == 10 and rnd() < 0.015:
                absent, nbat_slots, w = 10, 10, 9
            crease = [0, 1]
            nxt = 2
            out_order: list[int] = []
            for _k in range(w):
                j = 0 if rnd() < 0.5 else 1
                out_order.append(crease[j])
                if nxt < nbat_slots:
                    crease[j] = nxt
                    nxt += 1
                else:
                    crease[j] = -1
            outs = set(out_order)
            batted = nxt
            runs = [0] * 11
            bf = [0] * 11
            top = (330, 190, 120)[fmt_kind]
            skill_mult = (1.0, 0.95, 0.68)[fmt_kind] * (0.85 if women else 1.0)
            sr_base = (48.0, 78.0, 122.0)[fmt_kind] * (0.88 if women else 1.0)
            for slot in range(batted):
                p = xi[slot]
                avg = (
                    self.p_bat[p] if p >= 0 else (38, 35, 32, 30, 28, 27, 25, 20, 12, 9, 7)[slot]
                ) * skill_mult
                srp = sr_base * (self.p_sr[p] if p >= 0 else 1.0) * (1.1 - slot * 0.02)
                if slot in outs:
                    duck_p = 0.045 if avg > 20 else 0.12
                    x = 0 if rnd() < duck_p else int(rng.expovariate(1.0 / max(avg, 1.0)))
                else:
                    x = int(rng.expovariate(1.0 / max(avg * 0.7, 1.0)))
                if (
                    x > top
                ):  # the exponential tail is longer than cricket's: fold it back under the format's ceiling
                    x = int(top * (0.55 + 0.45 * rnd()))
                runs[slot] = x
                if x == 0:
                    bf[slot] = 0 if (slot not in outs and rnd() < 0.35) else (1 + int(rnd() * 9))
                else:
                    bf[slot] = max(
                        1, int(round(x * 100.0 / srp * math.exp(0.4 * (rnd() + rnd() + rnd() - 1.5))))
                    )
            # Balls a card needs to be playable ball by ball: a dismissal's ball scores nothing and no other ball
            # more than 3 without a boundary, so x runs and out take 1 + ceil(x / 3) balls (replica.cricsheet).
            least = [(1 if slot in outs else 0) + -(-runs[slot] // 3) for slot in range(11)]
            for slot in range(batted):
                bf[slot] = max(bf[slot], least[slot])
            if cap:
                tot = sum(bf)
                if tot > cap:
                    k = cap / tot
                    for slot in range(batted):
                        if bf[slot]:
                            bf[slot] = max(1, int(bf[slot] * k))
                    tot = sum(bf)
                if w < 10 and i == 0 and tot < cap:
                    nos = [x for x in range(batted) if x not in outs]
                    bf[nos[0]] += cap - tot
                for slot in range(batted):
                    bf[slot] = max(bf[slot], least[slot])
                while sum(bf) > cap:  # the floors can overshoot by a few balls
                    big = max(range(batted), key=lambda x: bf[x] - least[x])
                    bf[big] -= 1
            balls = sum(bf)
            if balls == 0:
                balls = 1
                bf[0] = 1
            extras = int(balls / 45.0 * (0.4 + 1.2 * rnd()))
            bye_runs = int(extras * (0.3 + 0.4 * rnd()))
            # No-balls: faced by the batter (in his balls faced), not legal for the bowler (not in his balls), one
            # run of the bowler's extras each. Drawn from a generator of their own, so that the match's stream and
            # every other value of it stay as they were; at most the balls the batters can spare above their floors.
            nbr = random.Random(self.seed * 9_000_011 + m.idx * 8 + inn)
            spare = sum(max(0, bf[x] - max(least[x], 1)) for x in range(batted))  # as the layout shares them
            share = (0.4, 0.3, 0.25)[fmt_kind]
            noballs = min(spare, sum(1 for _ in range(extras - bye_runs) if nbr.random() < share))
            legal = balls - noballs
            if cap and w < 10 and i == 0 and noballs:  # a first innings not all out lasts all its legal balls
                bf[[x for x in range(batted) if x not in outs][0]] += noballs
                legal = balls
            total_runs = sum(runs) + extras
            totals[s] += total_runs
            wk_last = w
            # dismissal kinds and fielders
            keeper_slot = next((k for k in range(11) if froles[k] in (4, 5)), 5)
            dis = [D_NOTOUT] * 11
            catcher = [-1] * 11
            for slot in out_order:
                u = rnd()
                kind = D_CAUGHT + bisect.bisect_right(_DIS_CUM, u)
                kind = min(kind, D_HITWKT)
                dis[slot] = kind
                if kind == D_CAUGHT:
                    catcher[slot] = keeper_slot if rnd() < 0.22 else _NOT_KEEPER[keeper_slot][int(rnd() * 10)]
                elif kind == D_STUMPED:
                    catcher[slot] = keeper_slot
            # bowlers of the fielding side
            bowl_w = []
            for k in range(11):
                p = fxi[k]
                role = froles[k]
                wgt = self.p_bowl[p] if p >= 0 else {9: 1.0, 7: 0.7, 8: 0.8, 6: 0.4}.get(role, 0.0)
                bowl_w.append(wgt)
            nb = ((4 + int(rnd() * 3)), (5 + int(rnd() * 2)), (5 + int(rnd() * 3)))[fmt_kind]
            ranked = sorted(
                (k for k in range(11) if bowl_w[k] > 0), key=lambda k: -bowl_w[k] * (0.7 + 0.6 * rnd())
            )
            if len(ranked) < nb:  # part-timers fill in
                others = [k for k in range(11) if k not in ranked and k != keeper_slot]
                rng.shuffle(others)
                ranked += others[: nb - len(ranked)]
                for k in ranked:
                    bowl_w[k] = bowl_w[k] or 0.15
            bowlers = ranked[:nb]
            per_cap = None if fmt_kind == 0 else (10 if cap == 300 else 12 if cap == 360 else 4) * 6
            overs_total, rem = divmod(legal, 6)
            wsum = sum(bowl_w[k] for k in bowlers)
            alloc = {k: int(overs_total * bowl_w[k] / wsum) for k in bowlers}
            left = overs_total - sum(alloc.values())
            idx = 0
            while left > 0:
                k = bowlers[idx % len(bowlers)]
                if per_cap is None or (alloc[k] + 1) * 6 <= per_cap:
                    alloc[k] += 1
                    left -= 1
                idx += 1
                if idx > 1000:
                    break
            if per_cap is not None:  # move overs above the cap to bowlers below it
                for k in bowlers:
                    while alloc[k] * 6 > per_cap:
                        tgt = min(bowlers, key=lambda x: alloc[x])
                        alloc[k] -= 1
                        alloc[tgt] += 1
            bballs = {k: alloc[k] * 6 for k in bowlers}
            u = rnd() if balls % 6 else nbr.random()  # the stream draws here whenever it did before no-balls
            if rem:
                ok = [k for k in bowlers if per_cap is None or bballs[k] + rem <= per_cap] or bowlers
                bballs[ok[int(u * len(ok))]] += rem
            bowlers = [k for k in bowlers if bballs[k] > 0]
            if not bowlers:
                bowlers = [ranked[0]]
                bballs = {ranked[0]: legal}
            conc = total_runs - bye_runs
            shares = {
                k: bballs[k] * (self.p_econ[fxi[k]] if fxi[k] >= 0 else 1.0) * (0.75 + 0.5 * rnd())
                for k in bowlers
            }
            ssum = sum(shares.values())
            bruns = {k: int(conc * shares[k] / ssum) for k in bowlers}
            bruns[bowlers[0]] += conc - sum(bruns.values())
            bw = {k: 0 for k in bowlers}
            taker: dict[int, int] = {}  # batting slot -> bowling slot credited with the wicket
            wk_w = [bballs[k] * (self.p_wkt[fxi[k]] if fxi[k] >= 0 else 0.8) for k in bowlers]
            wk_cum = list(itertools.accumulate(wk_w))
            wk_tot = wk_cum[-1]
            nbw = len(bowlers)
            for slot in out_order:
                if dis[slot] != D_RUNOUT:
                    x = rnd() * wk_tot
                    j = 0
                    while j < nbw - 1 and x >= wk_cum[j]:
                        j += 1
                    k = bowlers[j]
                    bw[k] += 1
                    taker[slot] = k
            # An all-out innings ends on its last ball, bowled by the one bowler with an unfinished over: the
            # last wicket (unless a run-out) is his, whatever the draw gave him (no draw: the stream is kept).
            last = out_order[-1] if out_order else -1
            short = [k for k in bowlers if bballs[k] % 6]
            if w == 10 and short and dis[last] != D_RUNOUT and taker.get(last) != short[0]:
                bw[taker[last]] -= 1
                bw[short[0]] += 1
                taker[last] = short[0]
            # ---- rows: batting side
            fours: dict[int, tuple[int, int]] = {}
            maidens: dict[int, int] = {}
            for slot, p in enumerate(xi):
                if p < 0:
                    continue
                if slot == absent:
                    self._bat_row(B, p, m, inn, s, ABSENT, pos=slot + 1)
                elif slot < batted:
                    mins_k = (1.45, 1.25, 1.1)[fmt_kind]
                    mins = int(bf[slot] * mins_k * (0.8 + 0.45 * rnd())) + (
                        (0 + int(rnd() * 4)) if bf[slot] == 0 else 0
                    )
                    x = runs[slot]
                    p6 = (0.03, 0.08, 0.17)[fmt_kind] * self.p_power[p]
                    f6 = int(x * p6 / 6 * (0.5 + 1 * rnd()) + rnd())
                    f4 = int(x * 0.5 / 4 * (0.6 + 0.7 * rnd()) + rnd())
                    while 4 * f4 + 6 * f6 > x:
                        if f6 and (f6 * 6 > f4 * 4 or not f4):
                            f6 -= 1
                        else:
                            f4 -= 1
                    fours[slot] = (f4, f6)
                    self._bat_row(
                        B,
                        p,
                        m,
                        inn,
                        s,
                        PLAYED,
                        x,
                        slot not in outs,
                        mins,
                        bf[slot],
                        f4,
                        f6,
                        slot + 1,
                        dis[slot],
                    )
                else:
                    self._bat_row(B, p, m, inn, s, DNB, pos=slot + 1)
            if sub is not None and i < 2:
                self._bat_row(B, sub, m, inn, s, SUB, pos=12)
            # ---- rows: fielding side
            ct = [0] * 11
            ctwk = [0] * 11
            st = [0] * 11
            for slot in out_order:
                c = catcher[slot]
                if c < 0:
                    continue
                if dis[slot] == D_STUMPED:
                    st[c] += 1
                else:
                    ct[c] += 1
                    if c == keeper_slot:
                        ctwk[c] += 1
            bpos = {k: n + 1 for n, k in enumerate(bowlers)}
            for slot, p in enumerate(fxi):
                if p < 0:
                    continue
                if slot in bpos:
                    k = slot
                    full, part = divmod(bballs[k], 6)
                    e = bruns[k] / max(bballs[k] / 6.0, 1 / 6.0)
                    pm = math.exp(-e * 0.55)
                    md = min(full, int(round(full * pm * (0.7 + 0.6 * rnd()))))
                    if bruns[k] > 0 and part == 0:
                        md = min(md, full - 1)
                    if bruns[k] == 0:
                        md = full
                    maidens[k] = max(md, 0)
                    self._bowl_row(BW, p, m, inn, f, PLAYED, bballs[k], max(md, 0), bruns[k], bw[k], bpos[k])
                else:
                    self._bowl_row(BW, p, m, inn, f, DNB)
                self._field_row(F, p, m, inn, f, PLAYED, ct[slot], st[slot], ctwk[slot])
            if fsub is not None and i < 2:
                self._bowl_row(BW, fsub, m, inn, f, SUB)
                self._field_row(F, fsub, m, inn, f, SUB)
            if capture is not None:
                capture.append(
                    {
                        "inn": inn, "s": s, "xi": xi, "fxi": fxi, "batted": batted, "absent": absent,
                        "out_order": out_order, "dis": dis, "catcher": catcher, "runs": runs, "bf": bf,
                        "fours": fours, "extras": extras, "bye_runs": bye_runs, "bowlers": bowlers,
                        "bballs": bballs, "bruns": bruns, "bw": bw, "taker": taker, "maidens": maidens,
                        "keeper": keeper_slot, "w": w, "sub": sub, "fsub": fsub, "noballs": noballs,
                        "least": least,
                    }
                )  # fmt: skip
            inns_results.append(w)
        # result
        if fmt_kind:
            if played < 2:
                m.result = -3
            elif totals[plan[1]] > totals[plan[0]]:
                m.result = plan[1]
            elif totals[plan[1]] < totals[plan[0]]:
                m.result = plan[0]
            else:
                m.result = -2
        else:
            if played == 4:
                last = plan[3]
                if totals[last] > totals[1 - last]:
                    m.result = last
                elif wk_last == 10:
                    m.result = 1 - last if totals[last] < totals[1 - last] else -2
                else:
                    m.result = -1
            elif (
                played == 3
                and totals[plan[0]] > totals[plan[1]]
                and plan[2] == plan[1]
                and inns_results[2] == 10
            ):
                m.result = plan[0]
            else:
                m.result = -1

    @staticmethod
    def _bat_row(B, p, m, inn, s, part, runs=-1, no=False, mins=-1, bf=-1, f4=-1, f6=-1, pos=-1, dis=-1):
        B.extend((p, m.idx, inn, m.teams[s], part, runs, no, mins, bf, f4, f6, pos, dis))

    @staticmethod
    def _bowl_row(BW, p, m, inn, s, part, balls=-1, mdns=-1, runs=-1, wkts=-1, pos=-1):
        BW.extend((p, m.idx, inn, m.teams[s], part, balls, mdns, runs, wkts, pos))

    @staticmethod
    def _field_row(F, p, m, inn, s, part, ct=-1, st=-1, ctwk=-1):
        F.extend((p, m.idx, inn, m.teams[s], part, ct, st, ctwk))

    # ------------------------------------------------------------------ finish: arrays, identities
    def _finish(self) -> None:
        M = self.matches
        self.m_cls = np.array([m.cls for m in M], dtype=np.int8)
        self.m_date = np.array([m.date.toordinal() for m in M], dtype=np.int32)
        self.m_year = np.array([m.date.year for m in M], dtype=np.int16)
        cols = (
            ("p", "m", "inn", "tm", "part", "runs", "no", "mins", "bf", "f4", "f6", "pos", "dis"),
            ("p", "m", "inn", "tm", "part", "balls", "mdns", "runs", "wkts", "pos"),
            ("p", "m", "inn", "tm", "part", "ct", "st", "ctwk"),
        )
        tabs = []
        for rows, names in zip(self._rows, cols, strict=False):
            arr = np.asarray(rows, dtype=np.int32).reshape(-1, len(names))
            tab = {k: np.ascontiguousarray(arr[:, j]) for j, k in enumerate(names)}
            if "no" in tab:
                tab["no"] = tab["no"].astype(bool)
            tab["cls"] = self.m_cls[tab["m"]]
            tab["date"] = self.m_date[tab["m"]]
            tabs.append(tab)
        self.B, self.BW, self.F = tabs
        del self._rows
        # the world as of its last day (replica.timeline shows it as of an earlier one): the last match started
        # by then (the pages' "recent matches" footer) and the corrections made by then, (type, row, column, old,
        # new) each
        self.as_of: dt.date | None = None
        self.last_match_idx = len(M) - 1
        self.corrections: list[tuple[str, int, str, int, int]] = []
        self.corrections_per_week = 0
        self.derive_sides()
        self._identities()

    def derive_sides(self, until: dt.date | None = None) -> None:
        """What the row tables say of each player: who has played, the sides of the career lists' player cell
        (codes of the player's last year, no later than `until`) and the country the contract makes of them."""
        T = self.teams
        # players who never got a game (their anchor went to a switcher's other side) are kept out of
        # every list, as they would be on the real site; the rest form the published population
        played = np.zeros(self.n, dtype=bool)
        for tab in (self.B, self.F):
            played[tab["p"]] = True
        self.played = played
        # teams shown in the player cell: every side the player appeared for, composite ones included
        teams_of: list[set[int]] = [set() for _ in range(self.n)]
        for p, t in zip(self.F["p"].tolist(), self.F["tm"].tolist(), strict=False):
            teams_of[p].add(t)
        for p, t in zip(self.B["p"].tolist(), self.B["tm"].tolist(), strict=False):
            teams_of[p].add(t)
        # the career lists' cell: every side, in the site's order (alphabetical by the code shown), with the
        # codes of the player's last year; `country` is what the contract's teams make of it
        self.p_side_sets = teams_of
        self.p_teams: list[tuple[str, ...]] = []  # codes as the career lists' player cell shows them
        self.p_team_ids: list[tuple[str, ...]] = []  # the same sides' canonical ids
        self.p_country: list[str] = []
        self.p_gender: list[str] = []
        for p in range(self.n):
            sides = teams_of[p] or {self.p_team[p]}
            year = self.p_end[p].year if until is None else min(self.p_end[p], until).year
            shown = sorted(((T.code(t, year), t) for t in sides), key=lambda x: x[0].lower())
            self.p_teams.append(tuple(c for c, _t in shown))
            self.p_team_ids.append(tuple(T.team_id[t] for _c, t in shown))
            self.p_gender.append(T.gender[self.p_team[p]])
            self.p_country.append(country_of(self.p_teams[p]) or T.team_id[self.p_team[p]])

    def _identities(self) -> None:
        rng = random.Random(self.seed * 7919 + 17)
        T = self.teams
        self.p_name: list[str] = []
        self.p_full: list[str] = []
        self.p_dob: list[dt.date] = []
        self.p_batstyle: list[tuple[str, str]] = []
        self.p_bowlstyle: list[tuple[str, str] | None] = []
        self.p_internal: list[int] = []
        used_internal: set[int] = set()
        for p in range(self.n):
            ctry = W.COUNTRIES[T.country[self.p_team[p]]]
            first_pool, last_pool = W.name_pool(ctry.abbr, self.p_gender[p])
            nfirst = 1 if rng.random() < 0.45 else 2 if rng.random() < 0.85 else 3
            firsts = [rng.choice(first_pool) for _ in range(nfirst)]
            last = rng.choice(last_pool)
            full = " ".join(firsts + [last])
            initials = "".join(w[0] for f in firsts for w in f.split() if w[0].isalpha()).upper()
            if ctry.abbr in ("AFG", "BAN", "PAK") and rng.random() < 0.4:
                short = f"{firsts[0]} {last}"  # names Statsguru shows in full (e.g. "Rashid Khan")
            else:
                short = f"{initials} {last}"
            self.p_name.append(short)
            self.p_full.append(full)
            debut = self.p_start[p]
            age_days = int(rng.uniform(18.0, 31.0) * 365.25)
            self.p_dob.append(debut - dt.timedelta(days=age_days))
            self.p_batstyle.append(W.BATTING_STYLES[0 if rng.random() < 0.78 else 1])
            grp = ROLES[self.p_role[p]][2]
            if self.p_bowl[p] <= 0 and rng.random() < 0.6:
                self.p_bowlstyle.append(None)
            else:
                pool = W.SPIN_STYLES if self.p_spin[p] else W.PACE_STYLES
                self.p_bowlstyle.append(
                    pool[rng.randrange(len(pool))] if grp != 0 or rng.random() < 0.5 else None
                )
            iid = rng.randint(10_000, 130_000)
            while iid in used_internal:
                iid = rng.randint(10_000, 130_000)
            used_internal.add(iid)
            self.p_internal.append(iid)
        self.index_of_pid = {int(x): i for i, x in enumerate(self.pid)}
        self.p_has_bf = [self.p_start[p].year >= BF_FROM_YEAR for p in range(self.n)]
        self.p_slug = [slugify(self.p_full[p]) for p in range(self.n)]

    # ------------------------------------------------------------------ helpers used by pages and truth
    def role_name(self, p: int) -> str:
        return ROLES[self.p_role[p]][0]

    def nation_of(self, p: int) -> W.Country:
        """The country of the player's first side (name pools, profiles)."""
        return W.COUNTRIES[self.teams.country[self.p_team[p]]]

    def profile_country(self, p: int) -> str:
        """The country a profile names: the men's code of the player's country whatever the gender (as the athlete
        JSON names a woman's country by the men's id); a side that is not its country's member side (Young England
        Women, Jamaica Women) by its own id."""
        t = team(self.p_country[p])
        men = side_of_nation(t.nation, "male") if t.nation else None
        member = side_of_nation(t.nation, t.gender) if t.nation else None
        return men.team_id if men is not None and member is t else t.team_id

    def player_cell(self, p: int) -> str:
        """The player cell of career lists: every side the player appeared for."""
        return f"{self.p_name[p]} ({'/'.join(self.p_teams[p])})"

    def innings_cell(self, p: int, t: int, year: int) -> str:
        """The player cell of an innings row: only the side of that innings (`JH Kallis (Afr)`, real 2017 lists)."""
        return f"{self.p_name[p]} ({self.teams.code(t, year)})"

    def row_country(self, p: int, t: int) -> str:
        """The `country` of an innings row: the side the player played for, or his country for a composite."""
        return self.p_country[p] if self.teams.country[t] < 0 else self.teams.team_id[t]
