"""Aggregates over innings rows (careers, summary groupings) and the site's number formatting.

One vectorised aggregation per record type serves the results lists (group = player), the player pages'
Career summary (group = grouping label) and the ground truth, so the three always agree.
"""

from __future__ import annotations

import numpy as np

from replica.model import PLAYED

# --------------------------------------------------------------------------- formatting (as the site shows)


def ratio(num: int, den: int, places: int, fixed: bool = False) -> str:
    """num/den truncated (not rounded) to `places` decimals; "-" when den is 0. Trailing zeros dropped (2026
    player pages, the 2017 men's lists: "128", "0.5"), or with `fixed` kept ("30.00", the 2017 women's lists).

    Integer arithmetic, so 585/27 → "21.66" exactly.
    """
    if den <= 0:
        return "-"
    scale = 10**places
    q = (num * scale) // den
    whole, frac = divmod(q, scale)
    if fixed and places:
        return f"{whole}.{frac:0{places}d}"
    if frac == 0 or places == 0:
        return str(whole)
    return f"{whole}.{frac:0{places}d}".rstrip("0")


def exact(num: int, den: int, mult: int = 1) -> float | None:
    """The unrounded value behind a ratio cell (None where the site shows "-")."""
    return None if den <= 0 else num * mult / den


def overs(balls: int) -> str:
    return f"{balls // 6}.{balls % 6}"


# --------------------------------------------------------------------------- aggregation


def _count_distinct(g: np.ndarray, m: np.ndarray, ng: int, nm: int) -> np.ndarray:
    if len(g) == 0:
        return np.zeros(ng, dtype=np.int64)
    u = np.unique(g.astype(np.int64) * nm + m)
    return np.bincount(u // nm, minlength=ng)


def _span(g: np.ndarray, year: np.ndarray, ng: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(ng, 9999, dtype=np.int64)
    hi = np.full(ng, -1, dtype=np.int64)
    np.minimum.at(lo, g, year)
    np.maximum.at(hi, g, year)
    return lo, hi


def _bc(g: np.ndarray, w: np.ndarray, ng: int) -> np.ndarray:
    return np.bincount(g, weights=w, minlength=ng).astype(np.int64)


def agg_batting(tab: dict, idx: np.ndarray, g: np.ndarray, ng: int, nm: int, year: np.ndarray) -> dict:
    p = tab["part"][idx]
    played = p == PLAYED
    runs = np.where(played, tab["runs"][idx], 0)
    no = played & tab["no"][idx]
    bf = np.where(played, tab["bf"][idx], 0)
    out = {}
    out["mat"] = _count_distinct(g, tab["m"][idx], ng, nm)
    out["inns"] = _bc(g, played, ng)
    out["no"] = _bc(g, no, ng)
    out["runs"] = _bc(g, runs, ng)
    hs = np.full(ng, -1, dtype=np.int64)
    key = np.where(played, runs.astype(np.int64) * 2 + no, -1)
    np.maximum.at(hs, g, key)
    out["hs"] = hs  # runs*2 + not_out, -1 when never batted
    out["bf"] = _bc(g, bf, ng)
    out["100"] = _bc(g, played & (runs >= 100), ng)
    out["50"] = _bc(g, played & (runs >= 50) & (runs < 100), ng)
    out["0"] = _bc(g, played & (runs == 0) & ~no, ng)
    out["4s"] = _bc(g, np.where(played, tab["f4"][idx], 0), ng)
    out["6s"] = _bc(g, np.where(played, tab["f6"][idx], 0), ng)
    out["start"], out["end"] = _span(g, year[idx], ng)
    return out


def agg_bowling(tab: dict, idx: np.ndarray, g: np.ndarray, ng: int, nm: int, year: np.ndarray) -> dict:
    p = tab["part"][idx]
    played = p == PLAYED
    balls = np.where(played, tab["balls"][idx], 0)
    runs = np.where(played, tab["runs"][idx], 0)
    wk = np.where(played, tab["wkts"][idx], 0)
    m = tab["m"][idx]
    out = {}
    out["mat"] = _count_distinct(g, m, ng, nm)
    out["inns"] = _bc(g, played, ng)
    out["balls"] = _bc(g, balls, ng)
    out["mdns"] = _bc(g, np.where(played, tab["mdns"][idx], 0), ng)
    out["runs"] = _bc(g, runs, ng)
    out["wkts"] = _bc(g, wk, ng)
    big = 1_000_000
    bbi = np.full(ng, -1, dtype=np.int64)
    np.maximum.at(bbi, g, np.where(played, wk.astype(np.int64) * big + (big - 1 - runs), -1))
    out["bbi"] = bbi  # decode: wickets = k // big, runs = big - 1 - k % big
    # best match: per (group, match) sums over bowled innings
    sel = played
    bbm = np.full(ng, -1, dtype=np.int64)
    ten = np.zeros(ng, dtype=np.int64)
    if sel.any():
        key = g[sel].astype(np.int64) * nm + m[sel]
        u, inv = np.unique(key, return_inverse=True)
        mw = np.bincount(inv, weights=wk[sel]).astype(np.int64)
        mr = np.bincount(inv, weights=runs[sel]).astype(np.int64)
        gg = u // nm
        np.maximum.at(bbm, gg, mw * big + (big - 1 - mr))
        ten = np.bincount(gg, weights=mw >= 10, minlength=ng).astype(np.int64)
    out["bbm"] = bbm
    out["10"] = ten
    out["4"] = _bc(g, played & (wk == 4), ng)
    out["5"] = _bc(g, played & (wk >= 5), ng)
    out["start"], out["end"] = _span(g, year[idx], ng)
    return out


def agg_fielding(tab: dict, idx: np.ndarray, g: np.ndarray, ng: int, nm: int, year: np.ndarray) -> dict:
    p = tab["part"][idx]
    played = p == PLAYED
    ct = np.where(played, tab["ct"][idx], 0)
    st = np.where(played, tab["st"][idx], 0)
    ctwk = np.where(played, tab["ctwk"][idx], 0)
    out = {}
    out["mat"] = _count_distinct(g, tab["m"][idx], ng, nm)
    out["inns"] = _bc(g, played, ng)
    out["ct"] = _bc(g, ct, ng)
    out["st"] = _bc(g, st, ng)
    out["ctwk"] = _bc(g, ctwk, ng)
    out["dis"] = out["ct"] + out["st"]
    md = np.full(ng, -1, dtype=np.int64)
    np.maximum.at(md, g, np.where(played, (ct + st).astype(np.int64) * 1000 + ct, -1))
    out["md"] = md  # decode: dismissals = k // 1000, of which caught = k % 1000
    out["start"], out["end"] = _span(g, year[idx], ng)
    return out


AGG = {"batting": agg_batting, "bowling": agg_bowling, "fielding": agg_fielding}
BIG = 1_000_000


def best(k: int) -> tuple[int, int] | None:
    """Decode a BBI/BBM key into (wickets, runs)."""
    if k < 0:
        return None
    return int(k // BIG), int(BIG - 1 - k % BIG)


# --------------------------------------------------------------------------- cells of one aggregate row


def _dash_after_mat(cols: tuple[str, ...], a: dict, i: int) -> dict[str, str]:
    """A grouping the player played in without batting/bowling/fielding: everything after Mat is "-"."""
    d = dict.fromkeys(cols, "-")
    d.update({"Span": f"{a['start'][i]}-{a['end'][i]}", "Mat": str(a["mat"][i])})
    return d


_BAT = ("Inns", "NO", "Runs", "HS", "Ave", "BF", "SR", "100", "50", "0", "4s", "6s")


def batting_cells(a: dict, i: int, has_bf: bool, fixed: bool = False) -> dict[str, str]:
    inns, no, runs, bf = int(a["inns"][i]), int(a["no"][i]), int(a["runs"][i]), int(a["bf"][i])
    if inns == 0:
        return _dash_after_mat(_BAT, a, i)
    hs = int(a["hs"][i])
    return {
        "Span": f"{a['start'][i]}-{a['end'][i]}",
        "Mat": str(a["mat"][i]),
        "Inns": str(inns),
        "NO": str(no),
        "Runs": str(runs),
        "HS": f"{hs // 2}{'*' if hs % 2 else ''}",
        "Ave": ratio(runs, inns - no, 2, fixed),
        "BF": str(bf) if has_bf else "-",
        "SR": ratio(runs * 100, bf, 2, fixed) if has_bf else "-",
        "100": str(a["100"][i]),
        "50": str(a["50"][i]),
        "0": str(a["0"][i]),
        "4s": str(a["4s"][i]),
        "6s": str(a["6s"][i]),
    }


def batting_truth(a: dict, i: int, has_bf: bool) -> dict:
    inns, no, runs, bf = int(a["inns"][i]), int(a["no"][i]), int(a["runs"][i]), int(a["bf"][i])
    hs = int(a["hs"][i])
    z = inns > 0  # never batted: the page shows "-" from Inns on
    return {
        "start_year": int(a["start"][i]),
        "end_year": int(a["end"][i]),
        "matches": int(a["mat"][i]),
        "innings": inns if z else None,
        "not_outs": no if z else None,
        "runs": runs if z else None,
        "high_score": hs // 2 if z else None,
        "high_score_not_out": bool(hs % 2) if z else None,
        "average": exact(runs, inns - no) if z else None,
        "balls_faced": bf if has_bf and z else None,
        "strike_rate": exact(runs, bf, 100) if has_bf and z else None,
        "hundreds": int(a["100"][i]) if z else None,
        "fifties": int(a["50"][i]) if z else None,
        "ducks": int(a["0"][i]) if z else None,
        "fours": int(a["4s"][i]) if z else None,
        "sixes": int(a["6s"][i]) if z else None,
    }


def _bb(k: int) -> str:
    b = best(k)
    return "-" if b is None or b[0] == 0 else f"{b[0]}/{b[1]}"


def bowling_cells(a: dict, i: int, fixed: bool = False) -> dict[str, str]:
    inns, balls, runs, wk = int(a["inns"][i]), int(a["balls"][i]), int(a["runs"][i]), int(a["wkts"][i])
    if inns == 0:
        cols = ("Inns", "Overs", "Mdns", "Runs", "Wkts", "BBI", "BBM", "Ave", "Econ", "SR", "4", "5", "10")
        return _dash_after_mat(cols, a, i)
    return {
        "Span": f"{a['start'][i]}-{a['end'][i]}",
        "Mat": str(a["mat"][i]),
        "Inns": str(inns),
        "Overs": overs(balls),
        "Mdns": str(a["mdns"][i]),
        "Runs": str(runs),
        "Wkts": str(wk),
        "BBI": _bb(int(a["bbi"][i])),
        "BBM": _bb(int(a["bbm"][i])),
        "Ave": ratio(runs, wk, 2, fixed),
        "Econ": ratio(runs * 6, balls, 2, fixed),
        "SR": ratio(balls, wk, 1, fixed),
        "4": str(a["4"][i]),
        "5": str(a["5"][i]),
        "10": str(a["10"][i]),
    }


def bowling_truth(a: dict, i: int, tests: bool) -> dict:
    inns, balls, runs, wk = int(a["inns"][i]), int(a["balls"][i]), int(a["runs"][i]), int(a["wkts"][i])
    z = inns > 0
    bbi = best(int(a["bbi"][i])) if z and wk else None  # no wicket: BBI/BBM "-"
    bbm = best(int(a["bbm"][i])) if z and wk else None
    return {
        "start_year": int(a["start"][i]),
        "end_year": int(a["end"][i]),
        "matches": int(a["mat"][i]),
        "innings": inns if z else None,
        "balls": balls if z else None,
        "maidens": int(a["mdns"][i]) if z else None,
        "runs_conceded": runs if z else None,
        "wickets": wk if z else None,
        "best_innings_wickets": bbi[0] if bbi else None,
        "best_innings_runs": bbi[1] if bbi else None,
        "best_match_wickets": bbm[0] if bbm and tests else None,
        "best_match_runs": bbm[1] if bbm and tests else None,
        "average": exact(runs, wk) if z else None,
        "economy": exact(runs, balls, 6) if z else None,
        "strike_rate": exact(balls, wk) if z else None,
        "four_wickets": None if tests or not z else int(a["4"][i]),
        "five_wickets": int(a["5"][i]) if z else None,
        "ten_wickets": int(a["10"][i]) if tests and z else None,
    }


def fielding_cells(a: dict, i: int, fixed: bool = False) -> dict[str, str]:
    inns, dis = int(a["inns"][i]), int(a["dis"][i])
    if inns == 0:
        return _dash_after_mat(("Inns", "Dis", "Ct", "St", "Ct Wk", "Ct Fi", "MD", "D/I"), a, i)
    md = int(a["md"][i])
    d, c = md // 1000, md % 1000
    return {
        "Span": f"{a['start'][i]}-{a['end'][i]}",
        "Mat": str(a["mat"][i]),
        "Inns": str(inns),
        "Dis": str(dis),
        "Ct": str(a["ct"][i]),
        "St": str(a["st"][i]),
        "Ct Wk": str(a["ctwk"][i]),
        "Ct Fi": str(a["ct"][i] - a["ctwk"][i]),
        "MD": f"{d} ({c}ct {d - c}st)" if d else "0",
        "D/I": ratio(dis, inns, 3, fixed),
    }


def fielding_truth(a: dict, i: int) -> dict:
    inns, dis = int(a["inns"][i]), int(a["dis"][i])
    z = inns > 0
    md = int(a["md"][i])
    return {
        "start_year": int(a["start"][i]),
        "end_year": int(a["end"][i]),
        "matches": int(a["mat"][i]),
        "innings": inns if z else None,
        "dismissals": dis if z else None,
        "caught": int(a["ct"][i]) if z else None,
        "stumped": int(a["st"][i]) if z else None,
        "caught_keeper": int(a["ctwk"][i]) if z else None,
        "caught_fielder": int(a["ct"][i] - a["ctwk"][i]) if z else None,
        "max_dismissals_innings": md // 1000 if z else None,
        "dismissals_per_innings": exact(dis, inns) if z else None,
    }
