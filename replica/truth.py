"""Ground truth: the typed values the replica's results lists show, one JSONL file per curated table."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

from cricket_contract.vocabulary import FORMAT_CLASSES, PLAYED_BY_TYPE, SOURCE_STATSGURU, TEST_CLASSES
from replica import world as W
from replica.model import PART_TRUTH, PLAYED, TDNB, Model
from replica.pages import NO_BOUNDARIES, Site
from replica.stats import batting_truth, bowling_truth, exact, fielding_truth
from transform.schemas import TABLES, TRUTH_TABLES


def players_rows(site: Site) -> Iterator[dict]:
    m = site.m
    for p in sorted(range(m.n), key=lambda i: int(m.pid[i])):
        if not m.played[p]:
            continue
        bowl = m.p_bowlstyle[p]
        yield {
            "player_id": int(m.pid[p]),
            "name": m.p_name[p],
            "full_name": m.p_full[p],
            "country": m.p_country[p],
            "teams": list(m.p_team_ids[p]),  # canonical ids, in the career lists' cell order
            "gender": "male" if m.p_gender[p] == "M" else "female",
            "date_of_birth": m.p_dob[p].isoformat(),
            "batting_style": m.p_batstyle[p][1],
            "bowling_style": bowl[1] if bowl else None,
            "playing_role": m.role_name(p),
        }


def career_rows(site: Site, typ: str) -> Iterator[dict]:
    m = site.m
    for cls in FORMAT_CLASSES:
        fmt = W.CLASS_INFO[cls][0]
        car = site.career(cls, typ)
        for i in car.order:
            i = int(i)
            p = int(car.players[i])
            key = {"player_id": int(m.pid[p]), "name": m.p_name[p], "country": m.p_country[p], "format": fmt}
            if typ == "batting":
                vals = batting_truth(car.agg, i, bool(site.has_bf[p]))
                if cls in site.no_boundaries:  # the list has no 4s and 6s columns
                    vals["fours"] = vals["sixes"] = None
            elif typ == "bowling":
                vals = bowling_truth(car.agg, i, cls in TEST_CLASSES)
            else:
                vals = fielding_truth(car.agg, i)
            yield key | vals


def innings_rows(site: Site, typ: str) -> Iterator[dict]:
    m = site.m
    tab = site.tabs[typ]
    for cls in FORMAT_CLASSES:
        fmt = W.CLASS_INFO[cls][0]
        unplayed: set[tuple[int, int]] = set()
        for r in site.innings_order(cls, typ):
            r = int(r)
            p = int(tab["p"][r])
            part = int(tab["part"][r])
            mi = int(tab["m"][r])
            if part == TDNB:
                # Two innings of a match never played (a Test won by an innings and more) are two identical rows
                # on the site, both with Inns "-": one row of the curated table, as the transform keeps.
                if (p, mi) in unplayed:
                    continue
                unplayed.add((p, mi))
            row = {
                "player_id": int(m.pid[p]),
                "name": m.p_name[p],
                "country": m.row_country(p, int(tab["tm"][r])),
                "format": fmt,
                "match_id": site.m_id[mi],
                "match_date": dt.date.fromordinal(int(tab["date"][r])).isoformat(),
                # the real site's TDNB rows show "-" for Inns (an innings never played has no number)
                "innings_number": None if part == TDNB else int(tab["inn"][r]),
                "opposition": m.teams.team_id[int(tab["opp"][r])],
                "ground": site.m_ground[mi],
                "participation": PLAYED_BY_TYPE[typ] if part == PLAYED else PART_TRUTH[part],
            }
            ok = part == PLAYED
            if typ == "batting":
                hb = bool(site.has_bf[p])
                runs, bf = int(tab["runs"][r]), int(tab["bf"][r])
                row |= {
                    "runs": runs if ok else None,
                    "not_out": bool(tab["no"][r]) if ok else None,
                    "minutes": int(tab["mins"][r]) if ok and hb else None,
                    "balls_faced": bf if ok and hb else None,
                    "fours": int(tab["f4"][r]) if ok else None,
                    "sixes": int(tab["f6"][r]) if ok else None,
                    "strike_rate": exact(runs, bf, 100) if ok and hb else None,
                    # results lists show neither (only a player's own innings view does)
                    "position": None,
                    "dismissal": None,
                }
            elif typ == "bowling":
                balls, runs = int(tab["balls"][r]), int(tab["runs"][r])
                row |= {
                    "balls": balls if ok else None,
                    "maidens": int(tab["mdns"][r]) if ok else None,
                    "runs_conceded": runs if ok else None,
                    "wickets": int(tab["wkts"][r]) if ok else None,
                    "economy": exact(runs, balls, 6) if ok else None,
                    "position": None,
                }
            else:
                ct, st, wk = int(tab["ct"][r]), int(tab["st"][r]), int(tab["ctwk"][r])
                row |= {
                    "dismissals": ct + st if ok else None,
                    "caught": ct if ok else None,
                    "stumped": st if ok else None,
                    "caught_keeper": wk if ok else None,
                    "caught_fielder": ct - wk if ok else None,
                }
            row["source"] = SOURCE_STATSGURU  # what the Statsguru path makes of the lists
            yield row


def table_rows(site: Site, table: str) -> Iterator[dict]:
    if table == "players":
        return players_rows(site)
    kind, what = table.split("_")
    return career_rows(site, kind) if what == "career" else innings_rows(site, kind)


def write_truth(model: Model, out: Path, no_boundaries: frozenset[int] = NO_BOUNDARIES) -> dict[str, int]:
    """Write DIR/<table>.jsonl for every table in TRUTH_TABLES; returns row counts. `no_boundaries`: as the
    served site's `--no-boundary-columns`."""
    out.mkdir(parents=True, exist_ok=True)
    site = Site(model, no_boundaries=no_boundaries)
    counts: dict[str, int] = {}
    for table in TRUTH_TABLES:
        names = TABLES[table].names
        n = 0
        tmp = out / f".{table}.jsonl.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            for row in table_rows(site, table):
                if list(row) != names:  # the column contract is the schema's, in its order
                    raise AssertionError(f"{table}: columns {list(row)} differ from schema {names}")
                fh.write(json.dumps(row, ensure_ascii=False))
                fh.write("\n")
                n += 1
        tmp.replace(out / f"{table}.jsonl")
        counts[table] = n
    return counts


def _cell(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def _same(got, want) -> bool:
    if isinstance(got, float) or isinstance(want, float):
        return got is not None and want is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


def differences(table: str, got: list[dict], want: list[dict], columns: list[str] | None = None) -> list[str]:
    """What differs between curated rows and the truth's rows of `table`, keyed by the natural key: one line per
    missing row, extra row and differing cell (floats to 1e-9: the curated values are recomputed from counts)."""
    from transform.schemas import NATURAL_KEYS

    key = NATURAL_KEYS[table]
    cols = columns or TABLES[table].names
    g = {tuple(r[k] for k in key): r for r in got}
    w = {tuple(r[k] for k in key): r for r in want}
    out = []
    if len(g) != len(got):
        out.append(f"{table}: {len(got) - len(g)} duplicate keys in the curated rows")
    out += [f"{table} {k}: missing" for k in sorted(w.keys() - g.keys(), key=_nulls_first)]
    out += [f"{table} {k}: not in the truth" for k in sorted(g.keys() - w.keys(), key=_nulls_first)]
    for k in sorted(w.keys() & g.keys(), key=_nulls_first):
        for c in cols:
            a, b = _cell(g[k][c]), w[k][c]
            if not _same(a, b):
                out.append(f"{table} {k} {c}: curated {a!r}, truth {b!r}")
    return out


__all__ = ["differences", "write_truth", "table_rows"]


def _nulls_first(key: tuple) -> tuple:
    """A natural key's sort order with nulls (a TDNB row's innings number) before every value."""
    return tuple((v is not None, v) for v in key)
