"""One team innings laid out ball by ball so that it adds up exactly to its scorecard (replica.cricsheet).

The card (Model._play's capture) fixes every batter's runs, balls, fours, sixes and how and in what order
they were out, and every bowler's balls, maidens, runs and wickets. The layout: the batting side's timeline
first (who faces each legal ball, each wicket on the dismissed batter's last ball), each wicket's over given
to a bowler still owed one; the other overs to the bowlers whose runs can pay for them; maiden overs kept
scoreless; every batter's shots placed onto his balls, then swapped between his balls until no bowler
concedes more than his figures; no-balls (replica.cricsheet_events) and wides make up each bowler's runs,
byes and leg byes the rest of the extras.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from replica.cricsheet_events import Infeasible, noballs_faced, place_noballs, retire
from replica.model import D_BOWLED, D_CAUGHT, D_HITWKT, D_LBW, D_RUNOUT, D_STUMPED

KIND = {D_BOWLED: "bowled", D_LBW: "lbw", D_HITWKT: "hit wicket", D_STUMPED: "stumped", D_RUNOUT: "run out"}
ATTEMPTS = 40


@dataclass
class Batter:
    slot: int
    runs: int
    balls: int
    fours: int
    sixes: int
    out: bool
    values: list[int] = field(default_factory=list)  # runs off the bat of each ball but the wicket ball


def _split(total: int, parts: int, rng: random.Random, cap: int = 3) -> list[int]:
    """`total` runs as `parts` scoring shots of 1..cap (cap 5 if 3 is not enough)."""
    if parts == 0:
        if total:
            raise Infeasible("runs without balls")
        return []
    if total > parts * cap:
        cap = 5
        if total > parts * cap:
            raise Infeasible("more runs than balls can carry")
    out = [1] * parts
    left = total - parts
    while left > 0:
        i = rng.randrange(parts)
        if out[i] < cap and (out[i] < 3 or cap == 5 and all(v >= 3 for v in out)):
            out[i] += 1
            left -= 1
    return out


def innings_overs(card: dict, names: dict, rng: random.Random) -> tuple[list[dict], dict]:
    """The overs of one team innings (Cricsheet's `overs` list) that add up to `card` exactly.

    `names`: ("bat"|"field", slot) -> name. Returns (overs, figures of the fill-in players: slot -> maidens).
    Raises Infeasible when this attempt's arrangement cannot carry the card.
    """
    runs, dis = card["runs"], card["dis"]
    outs = set(card["out_order"])
    # No-balls: each is faced by a batter but is no legal ball. The legal balls are laid out for the balls each
    # batter faced less his no-balls; each no-ball is then bowled, in an over of a bowler whose runs pay for it,
    # just before one of its batter's legal balls.
    nb_of = noballs_faced(card, rng)
    bf = [n - nb_of.get(slot, 0) for slot, n in enumerate(card["bf"])]
    batters: dict[int, Batter] = {}
    for slot in range(card["batted"]):
        if slot == card["absent"]:
            continue
        x, n = runs[slot], bf[slot]
        if slot in card["fours"]:
            f4, f6 = card["fours"][slot]
        else:  # a fill-in player: boundaries drawn here (no list shows them)
            f6 = int(x * 0.05 / 6 * (0.5 + rng.random()) + rng.random() * 0.5)
            f4 = int(x * 0.5 / 4 * (0.6 + 0.7 * rng.random()) + rng.random())
            free = n - (1 if slot in outs and dis[slot] != D_RUNOUT else 0)
            while f4 + f6 > 0 and (
                4 * f4 + 6 * f6 > x or f4 + f6 > free or x - 4 * f4 - 6 * f6 > 3 * (free - f4 - f6)
            ):
                if f6:
                    f6 -= 1
                else:
                    f4 -= 1
        out = slot in outs
        if out and n == 0:
            raise Infeasible("a batter out without facing a ball")
        batters[slot] = Batter(slot, x, n, f4, f6, out)
    legal = sum(bf)
    bballs, bruns, bw = card["bballs"], card["bruns"], card["bw"]
    if legal != sum(bballs.values()):
        raise Infeasible("balls faced and bowled differ")
    # ---- the bowler of each over, chosen as the timeline reaches it: a wicket's over goes to a bowler owed one
    full = {k: bballs[k] // 6 for k in card["bowlers"]}
    partial = next((k for k in card["bowlers"] if bballs[k] % 6), None)
    n_overs = sum(full.values()) + (1 if partial is not None else 0)
    sched: list[int | None] = [None] * n_overs
    if partial is not None:
        sched[-1] = partial
    left = dict(full)
    need = {k: bw[k] for k in card["bowlers"]}

    def takers(o: int) -> list[int]:
        """Bowlers who may take a wicket in over `o`."""
        if o >= n_overs:
            return []
        if sched[o] is not None:
            return [sched[o]] if need[sched[o]] > 0 else []
        near = {sched[o - 1] if o else None, sched[o + 1] if o + 1 < n_overs else None}
        ks = [k for k in card["bowlers"] if left[k] > 0 and need[k] > 0]
        return [k for k in ks if k not in near] or ks

    # An all-out innings ends with its last wicket on its last ball: that over's bowler keeps one wicket for it.
    order = card["out_order"]
    nbat = 10 if card["absent"] == 10 else 11
    all_out = bool(order) and len(order) + 1 >= min(nbat, card["batted"]) and card["batted"] >= nbat
    reserved = None
    if all_out and dis[order[-1]] != D_RUNOUT:
        if sched[-1] is None:
            ks = [k for k in card["bowlers"] if need[k] > 0 and left[k] > 0]
            if not ks:
                raise Infeasible("no bowler for the last wicket")
            sched[-1] = rng.choices(ks, [need[k] for k in ks])[0]
            left[sched[-1]] -= 1
        reserved = sched[-1]
        if need[reserved] <= 0:
            raise Infeasible("the last over's bowler has no wicket for the last ball")
        need[reserved] -= 1
    # ---- the batting side's timeline: who faces each legal ball, where wickets fall
    faced: list[tuple[int, int]] = []  # (striker slot, non-striker slot or -1)
    wicket_at: dict[int, int] = {}  # ball index -> dismissed slot
    rem = {s: b.balls for s, b in batters.items()}
    crease, nxt = [0, 1], 2
    pending = set(order)
    for w_i in range(len(order)):
        last = w_i == len(order) - 1
        ends = last and nxt >= nbat
        if ends and reserved is not None:
            need[reserved] += 1
        # Which of the two at the crease is out next is free (their kinds go with them): the card fixes who
        # was out, not the order; the card's last victim stays last (the last over's bowler was kept for him).
        options = [c for c in crease if c in pending and (last or c != order[-1])]
        choices: list[tuple[int, int]] = []
        weights: list[float] = []
        for d in options:
            p = crease[1 - crease.index(d)]
            if p < 0:
                lo = hi = 0
            elif ends:
                lo = hi = rem[p]
            elif p in pending:
                lo, hi = 0, max(0, rem[p] - 1)
            else:
                lo, hi = 0, rem[p]
            comer = nxt if nxt < nbat else -1
            if last and comer >= 0 and bf[comer] == 0 and p >= 0 and not ends:
                hi = min(hi, rem[p] - 1)  # a batter who faces nothing is seen at the other end: leave a ball
            base = len(faced) + rem[d] - 1
            for sh in range(lo, hi + 1):
                if dis[d] == D_RUNOUT:
                    choices.append((d, sh))
                    weights.append(1.0)
                elif takers((base + sh) // 6):
                    # an over already given to a bowler owed more wickets than overs left to him comes first
                    k = sched[(base + sh) // 6]
                    choices.append((d, sh))
                    weights.append(1.0 if k is None else 1.0 + 8.0 * (need[k] > left[k]))
        if not choices:
            raise Infeasible("no over of a bowler owed a wicket")
        d, share = rng.choices(choices, weights)[0]
        pending.discard(d)
        j = crease.index(d)
        p = crease[1 - j]
        seq = [d] * (rem[d] - 1) + [p] * share
        rng.shuffle(seq)
        for s in seq:
            faced.append((s, p if s == d else d))
        wicket_at[len(faced)] = d
        faced.append((d, p))
        if dis[d] != D_RUNOUT:
            o = (len(faced) - 1) // 6
            if sched[o] is None:
                ks = takers(o)
                k = rng.choices(ks, [need[x] / max(left[x], 1) for x in ks])[0]
                sched[o] = k
                left[k] -= 1
            need[sched[o]] -= 1
        rem[d] = 0
        if p >= 0:
            rem[p] -= share
        if nxt < nbat:
            crease[j] = nxt
            nxt += 1
        else:
            crease[j] = -1
    a, b = crease
    seq = [s for s in (a, b) if s >= 0 for _ in range(rem.get(s, 0))]
    rng.shuffle(seq)
    for s in seq:
        faced.append((s, b if s == a else a))
    if len(faced) != legal:
        raise Infeasible("the timeline does not use every ball")
    retired = retire(faced, wicket_at, nbat, rng)
    seen = {s for pair in faced for s in pair}
    if any(s not in seen for s in batters):
        raise Infeasible("a batter in no delivery")
    if any(need.values()):
        raise Infeasible("wickets owed")
    # The overs no wicket claimed, dearest first (by what their batters score a ball), each to the bowler with
    # the most runs left to concede per over left to him: so no bowler is given more than his runs can pay for.
    rate = {s: (bt.runs / bt.balls if bt.balls else 0.0) for s, bt in batters.items()}
    expect = [sum(rate[faced[i][0]] for i in range(o * 6, min(legal, o * 6 + 6))) for o in range(n_overs)]
    budget = {k: float(bruns[k]) for k in card["bowlers"]}
    for o, k in enumerate(sched):
        if k is not None:
            budget[k] -= expect[o]
    for o in sorted((o for o in range(n_overs) if sched[o] is None), key=lambda o: -expect[o]):
        near = {sched[o - 1] if o else None, sched[o + 1] if o + 1 < n_overs else None}
        ks = [k for k in card["bowlers"] if left[k] > 0]
        pool = [k for k in ks if k not in near] or ks
        k = max(pool, key=lambda k: (budget[k] / left[k], rng.random()))
        sched[o] = k
        left[k] -= 1
        budget[k] -= expect[o]
    # ---- maidens: real bowlers' maiden overs carry no run off the bat and no wide
    overs = [list(range(o * 6, min(legal, o * 6 + 6))) for o in range(len(sched))]
    # A wicket ball carries no run off the bat, but a run-out's: runs completed before the batter fell.
    dead = {i for i, d in wicket_at.items() if dis[d] != D_RUNOUT}
    balls_of: dict[int, list[int]] = {}
    for i, (s, _ns) in enumerate(faced):
        if i not in dead:
            balls_of.setdefault(s, []).append(i)

    def min_scoring(bt: Batter) -> int:
        r = bt.runs - 4 * bt.fours - 6 * bt.sixes
        return bt.fours + bt.sixes + math.ceil(r / 3)

    blocked = {s: 0 for s in batters}
    maiden_overs: set[int] = set()
    targets = card["maidens"]
    for k in card["bowlers"]:
        want = targets.get(k)
        if not want:
            continue
        mine = [o for o, bk in enumerate(sched) if bk == k and len(overs[o]) == 6]
        rng.shuffle(mine)
        got = 0
        for o in mine:
            if got == want:
                break
            hit: dict[int, int] = {}
            for i in overs[o]:
                if i not in dead:
                    hit[faced[i][0]] = hit.get(faced[i][0], 0) + 1
            ok = all(
                len(balls_of.get(s, [])) - blocked[s] - n >= min_scoring(batters[s]) for s, n in hit.items()
            )
            if ok:
                for s, n in hit.items():
                    blocked[s] += n
                maiden_overs.add(o)
                got += 1
        if got < want:
            raise Infeasible("maidens do not fit")
    over_of = [i // 6 for i in range(legal)]
    # ---- runs off the bat: each batter's shots onto balls, into the overs of bowlers with room for them
    value = [0] * legal
    conceded = {k: 0 for k in card["bowlers"]}
    over_runs = [0] * len(sched)
    designated = {k for k in card["bowlers"] if k in targets}  # real bowlers: maidens are exact
    zero_overs = {k: 0 for k in card["bowlers"]}
    for o, k in enumerate(sched):
        if len(overs[o]) == 6 and o not in maiden_overs and k in designated:
            zero_overs[k] += 1
    items: list[tuple[int, int]] = []
    for s, bt in batters.items():
        avail = [i for i in balls_of.get(s, []) if over_of[i] not in maiden_overs]
        r = bt.runs - 4 * bt.fours - 6 * bt.sixes
        room = len(avail) - bt.fours - bt.sixes
        if room < 0 or r < 0:
            raise Infeasible("boundaries do not fit")
        lo = math.ceil(r / 3)
        if lo > room:
            lo = math.ceil(r / 5)
            if lo > room:
                raise Infeasible("runs do not fit")
        hi = min(r, room)
        c = min(hi, max(lo, int(round(r * (0.55 + 0.3 * rng.random())))))
        shots = [4] * bt.fours + [6] * bt.sixes + _split(r, c, rng)
        items += [(v, s) for v in shots]
    items.sort(key=lambda t: (-t[0], rng.random()))
    # free balls of each batter by bowler: the shot goes to the bowler with the most room left
    free: dict[int, dict[int, list[int]]] = {s: {} for s in batters}
    for s in batters:
        for i in balls_of.get(s, []):
            if over_of[i] not in maiden_overs:
                free[s].setdefault(sched[over_of[i]], []).append(i)
        for lst in free[s].values():
            rng.shuffle(lst)

    def opens(o: int, k: int) -> bool:
        """A shot in over `o` makes it a scoring over (one less wide owed to keep it off the maidens)."""
        return over_runs[o] == 0 and k in designated and len(overs[o]) == 6

    for v, s in items:
        best_k, best_slack, best_pos = None, None, 0
        for k, lst in free[s].items():
            if not lst:
                continue
            pos = next((n for n, i in enumerate(lst[:12]) if opens(over_of[i], k)), None)
            slack = bruns[k] - conceded[k] - v - zero_overs[k] + (1 if pos is not None else 0)
            if best_slack is None or slack > best_slack:
                best_k, best_slack, best_pos = k, slack, pos or 0
        if best_k is None:
            raise Infeasible("a shot with no ball to go on")
        i = free[s][best_k].pop(best_pos)
        o = over_of[i]
        k = sched[o]
        if opens(o, k):
            zero_overs[k] -= 1
        over_runs[o] += v
        conceded[k] += v
        value[i] = v
    _rebalance(card, sched, overs, over_of, faced, value, maiden_overs, dead, designated, rng)
    conceded = {k: 0 for k in card["bowlers"]}
    over_runs = [sum(value[i] for i in overs[o]) for o in range(len(sched))]
    for o, k in enumerate(sched):
        conceded[k] += over_runs[o]
    # ---- no-balls, then wides, make up each bowler's runs; byes, leg byes and penalties the rest of the extras
    owed = {k: bruns[k] - conceded[k] for k in card["bowlers"]}
    mine = {
        k: [o for o, bk in enumerate(sched) if bk == k and o not in maiden_overs] for k in card["bowlers"]
    }
    # a designated bowler's scoreless over that must not be a maiden takes one of his extras
    must = {
        k: {o for o in mine[k] if over_runs[o] == 0 and len(overs[o]) == 6 and k in designated}
        for k in card["bowlers"]
    }
    noballs = place_noballs(nb_of, faced, sched, over_of, maiden_overs, owed, must, value, rng)
    wides: dict[int, int] = {}  # legal ball index before which a wide is bowled -> count
    for k in card["bowlers"]:
        forced = sorted(must[k])
        if owed[k] < len(forced) or (owed[k] and not mine[k]):
            raise Infeasible("wides cannot make up a bowler's runs")
        for n in range(owed[k]):
            o = forced[n] if n < len(forced) else rng.choice(mine[k])
            i = rng.choice(overs[o])
            wides[i] = wides.get(i, 0) + 1
    byes: dict[int, tuple[str, int]] = {}
    left = card["bye_runs"]
    dots = [i for i in range(legal) if value[i] == 0 and i not in wicket_at]
    rng.shuffle(dots)
    while left > 0:
        if not dots:
            raise Infeasible("no dot ball for the byes")
        i = dots.pop()
        if left >= 5 and rng.random() < 0.03:
            byes[i] = ("penalty", 5)
            left -= 5
            continue
        n = 4 if left >= 4 and rng.random() < 0.15 else 1
        byes[i] = ("legbyes" if rng.random() < 0.6 else "byes", n)
        left -= n
    # ---- Cricsheet's overs
    fxi_names = names
    out_overs = []
    for o, k in enumerate(sched):
        bowler = fxi_names["field", k]
        dels = []
        for i in overs[o]:
            s, ns = faced[i]
            bat, non = fxi_names["bat", s], fxi_names["bat", ns] if ns >= 0 else fxi_names["bat", s]
            for _ in range(wides.get(i, 0)):
                dels.append({"batter": bat, "bowler": bowler, "non_striker": non,
                             "extras": {"wides": 1}, "runs": {"batter": 0, "extras": 1, "total": 1}})  # fmt: skip
            for v in noballs.get(i, ()):
                dels.append({"batter": bat, "bowler": bowler, "non_striker": non,
                             "extras": {"noballs": 1}, "runs": {"batter": v, "extras": 1, "total": v + 1}})  # fmt: skip
            d: dict = {"batter": bat, "bowler": bowler, "non_striker": non}
            extra = 0
            if i in byes:
                kind, n = byes[i]
                d["extras"] = {kind: n}
                extra = n
            d["runs"] = {"batter": value[i], "extras": extra, "total": value[i] + extra}
            if i in retired:
                d["wickets"] = [{"player_out": fxi_names["bat", retired[i]], "kind": "retired hurt"}]
            if i in wicket_at:
                dd = wicket_at[i]
                kind_code = dis[dd]
                wk = {"player_out": fxi_names["bat", dd]}
                catcher = card["catcher"][dd]
                if kind_code == D_CAUGHT:
                    if catcher == k:
                        wk["kind"] = "caught and bowled"
                    else:
                        wk["kind"] = "caught"
                        wk["fielders"] = [{"name": fxi_names["field", catcher]}]
                else:
                    wk["kind"] = KIND[kind_code]
                    if kind_code == D_STUMPED:
                        wk["fielders"] = [{"name": fxi_names["field", catcher]}]
                    elif kind_code == D_RUNOUT:
                        fielder = rng.choice([x for x in range(11) if x != card["keeper"]] or [0])
                        wk["fielders"] = [{"name": fxi_names["field", fielder]}]
                d["wickets"] = [wk]
            dels.append(d)
        out_overs.append({"over": o, "deliveries": dels})
    return out_overs, {}


def _excess(card, sched, overs, value, maiden_overs, designated) -> dict[int, int]:
    """Per bowler: runs off the bat in his overs, plus one wide owed for each of his scoreless overs that must
    not be a maiden, less his runs conceded (above 0: more than his figures allow)."""
    out = {k: -card["bruns"][k] for k in card["bowlers"]}
    for o, k in enumerate(sched):
        r = sum(value[i] for i in overs[o])
        out[k] += r
        if r == 0 and k in designated and len(overs[o]) == 6 and o not in maiden_overs:
            out[k] += 1
    return out


def _rebalance(card, sched, overs, over_of, faced, value, maiden_overs, dead, designated, rng) -> None:
    """Swap runs between two balls of one batter (his figures stay) until no bowler concedes more than his
    figures allow; Infeasible when no swap helps."""
    by_batter: dict[int, list[int]] = {}
    for i, (s, _ns) in enumerate(faced):
        if i not in dead and over_of[i] not in maiden_overs:
            by_batter.setdefault(s, []).append(i)
    for _round in range(400):
        ex = _excess(card, sched, overs, value, maiden_overs, designated)
        worst = max(ex, key=lambda k: ex[k])
        if ex[worst] <= 0:
            return
        before = sum(v for v in ex.values() if v > 0)
        moves = []
        for balls in by_batter.values():
            mine = [i for i in balls if sched[over_of[i]] == worst and value[i] > 0]
            if not mine:
                continue
            others = [i for i in balls if sched[over_of[i]] != worst and ex[sched[over_of[i]]] < 0]
            for i in mine:
                for j in others:
                    if value[j] < value[i] and value[i] - value[j] <= -ex[sched[over_of[j]]] + 1:
                        moves.append((i, j))
        rng.shuffle(moves)
        for i, j in moves[:60]:
            value[i], value[j] = value[j], value[i]
            after = _excess(card, sched, overs, value, maiden_overs, designated)
            if sum(v for v in after.values() if v > 0) < before:
                break
            value[i], value[j] = value[j], value[i]
        else:
            raise Infeasible("a bowler would concede too much")
    raise Infeasible("a bowler would concede too much")


def laid_out(card: dict, names: dict, seed: int) -> list[dict]:
    """`innings_overs` with up to ATTEMPTS seeds (each innings on its own: one hard innings does not make
    the others start over); Infeasible when none fits."""
    for attempt in range(ATTEMPTS):
        try:
            return innings_overs(card, names, random.Random(seed * 101 + attempt))[0]
        except Infeasible:
            continue
    raise Infeasible(f"no layout in {ATTEMPTS} attempts")


def super_over(bat: list[str], bowl: list[str], rng: random.Random) -> list[dict]:
    """One over of a super over (not in any player's figures)."""
    dels = []
    striker, non = bat[0], bat[1]
    bowler = bowl[0]
    for _ in range(6):
        v = rng.choice((0, 1, 1, 2, 4, 6))
        dels.append({"batter": striker, "bowler": bowler, "non_striker": non,
                     "runs": {"batter": v, "extras": 0, "total": v}})  # fmt: skip
        if v % 2:
            striker, non = non, striker
    return [{"over": 0, "deliveries": dels}]
