"""What an innings' card does not show, laid into its balls (replica.cricsheet_balls): no-balls and retirements."""

from __future__ import annotations

import random

# team innings with a batter retired hurt who came back (a few in a hundred, as on the record)
RETIRE_SHARE = 0.04


class Infeasible(Exception):
    """This attempt's arrangement of balls cannot carry the card (another seed may)."""


def noballs_faced(card: dict, rng: random.Random) -> dict[int, int]:
    """The card's no-balls shared among its batters (slot -> count): each keeps at least one legal ball and the
    legal balls his runs and wicket need (the card's `least`, the floor the world drew his balls above)."""
    left = card.get("noballs", 0)
    spare = {}
    for slot in range(card["batted"]):
        floor = max(1, card["least"][slot])
        if slot != card["absent"] and card["bf"][slot] > floor:
            spare[slot] = card["bf"][slot] - floor
    got: dict[int, int] = {}
    while left > 0:
        if not spare:
            raise Infeasible("no batter can spare a ball for a no-ball")
        slot = rng.choices(list(spare), list(spare.values()))[0]
        got[slot] = got.get(slot, 0) + 1
        spare[slot] -= 1
        if not spare[slot]:
            del spare[slot]
        left -= 1
    return got


def place_noballs(nb_of, faced, sched, over_of, maiden_overs, owed, must, value, rng) -> dict[int, list[int]]:
    """Each batter's no-balls before his own legal balls (legal ball index -> runs off the bat of each no-ball
    bowled before it), in overs of bowlers who still owe runs; a no-ball is sometimes hit (its runs taken off the
    legal ball it precedes, in the same over: the batter's and the bowler's figures stay). Updates `owed` (runs
    each bowler still owes) and `must` (his scoreless overs that still need an extra to be no maiden)."""
    out: dict[int, list[int]] = {}
    for slot in sorted(nb_of):
        for _ in range(nb_of[slot]):
            cands = []
            for i, (s, _ns) in enumerate(faced):
                o = over_of[i]
                if s != slot or o in maiden_overs:
                    continue
                k = sched[o]
                if owed[k] - len(must[k] - {o}) >= 1:
                    cands.append(i)
            if not cands:
                raise Infeasible("no over can pay for a no-ball")
            i = rng.choice(cands)
            k = sched[over_of[i]]
            owed[k] -= 1
            must[k].discard(over_of[i])
            v = 0
            if value[i] and rng.random() < 0.35:
                v, value[i] = value[i], 0
            out.setdefault(i, []).append(v)
    return out


def retire(
    faced: list[tuple[int, int]], wicket_at: dict[int, int], nbat: int, rng: random.Random
) -> dict[int, int]:
    """Sometimes a batter retires hurt and comes back at the next wicket (legal ball index -> slot retired after
    it). Every batter keeps his balls: the one who comes in early takes the balls the retired man would have
    faced until that wicket and gives as many back after it, when the two bat together. `faced` is rewritten."""
    if rng.random() >= RETIRE_SHARE:
        return {}
    last_of = {s: i for i, (s, _ns) in enumerate(faced)}
    out_at = {d: i for i, d in wicket_at.items()}
    options = []
    crease, nxt, start = [0, 1], 2, 0
    for tw in sorted(wicket_at):
        p = wicket_at[tw]
        if nxt >= nbat or p not in crease:
            break
        d, c = crease[1 - crease.index(p)], nxt
        end = out_at.get(d, len(faced))  # d's own wicket ball (kept his last), or the innings' end
        back = [j for j in range(tw + 1, end) if faced[j][0] == c and j not in wicket_at]
        for t in range(start, tw):
            owed = sum(1 for j in range(t + 1, tw) if faced[j][0] == d)
            if t not in wicket_at and owed <= len(back) and last_of.get(d, -1) > tw:
                options.append((t, tw, d, p, c, owed, back))
        crease[crease.index(p)] = c
        nxt += 1
        start = tw + 1
    if not options:
        return {}
    t, tw, d, p, c, owed, back = rng.choice(options)
    for j in range(t + 1, tw + 1):  # c at the crease with p
        s = faced[j][0]
        s = c if s == d else s
        faced[j] = (s, p if s == c else c)
    for j in rng.sample(back, owed):  # d back, batting with c
        faced[j] = (d, c)
    return {t: d}
