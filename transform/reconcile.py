"""Careers crawled against careers computed from the innings: every disagreement is a DQ finding (a missed innings)."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from transform.cells import whole
from transform.dq import DQ, SAMPLES_PER_CHECK

CHECK = "innings_reconciliation"
BIG = 1_000_000  # best figures as one sortable number: wickets * BIG + (BIG - 1 - runs)
LISTED = 50  # mismatching (player, format) pairs the run report lists
EXAMPLES = 5  # (player, format) pairs a finding names
TYPES = ("batting", "bowling", "fielding")
PLAYED = {"batting": "batted", "bowling": "bowled", "fielding": "fielded"}

# Career columns compared, per type: (column, kind). "always": the career row always has it; "batted": a count
# the row has once the player batted (bowled, fielded) — a career that never did shows "-" there; "known": an
# optional column (a list may leave it out) compared only where the career shows it and every innings does.
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "batting": (
        ("matches", "always"),
        ("start_year", "always"),
        ("end_year", "always"),
        ("innings", "always"),
        ("not_outs", "batted"),
        ("runs", "batted"),
        ("high_score", "batted"),
        ("high_score_not_out", "batted"),
        ("balls_faced", "known"),
        ("hundreds", "known"),
        ("fifties", "known"),
        ("ducks", "known"),
        ("fours", "known"),
        ("sixes", "known"),
    ),
    "bowling": (
        ("matches", "always"),
        ("start_year", "always"),
        ("end_year", "always"),
        ("innings", "always"),
        ("balls", "batted"),
        ("maidens", "batted"),
        ("runs_conceded", "batted"),
        ("wickets", "batted"),
        ("best_innings_wickets", "known"),
        ("best_innings_runs", "known"),
        ("best_match_wickets", "known"),
        ("best_match_runs", "known"),
        ("four_wickets", "known"),
        ("five_wickets", "known"),
        ("ten_wickets", "known"),
    ),
    "fielding": (
        ("matches", "always"),
        ("start_year", "always"),
        ("end_year", "always"),
        ("innings", "always"),
        ("dismissals", "batted"),
        ("caught", "batted"),
        ("stumped", "batted"),
        ("caught_keeper", "known"),
        ("caught_fielder", "known"),
        ("max_dismissals_innings", "known"),
    ),
}


def _col(tb: pa.Table, name: str) -> pa.Array:
    return whole(tb.column(name))


def _when(mask: pa.Array, values: pa.Array) -> pa.Array:
    """`values` where `mask`, else null."""
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def _i64(a: pa.Array) -> pa.Array:
    return pc.cast(a, pa.int64())


def _sum_known(agg: pa.Table, name: str, played: pa.Array) -> pa.Array:
    """The sum of an innings column over the played innings, null unless every played innings shows it."""
    total = pc.fill_null(_col(agg, f"{name}_sum"), 0)
    return _when(pc.equal(_col(agg, f"{name}_count"), played), total)


def aggregate(typ: str, part: pa.Table) -> pa.Table:
    """Per player of one format's innings rows (all of each player's rows: parts are split by player), the career
    columns those innings make."""
    played = pc.fill_null(pc.equal(_col(part, "participation"), PLAYED[typ]), False)
    year = _i64(pc.year(_col(part, "match_date")))
    cols: dict[str, pa.Array] = {
        "player_id": _col(part, "player_id"),
        "match_id": _col(part, "match_id"),
        "year": year,
        "played": pc.cast(played, pa.int64()),
    }
    if typ == "batting":
        runs = _when(played, _i64(_col(part, "runs")))
        no = _when(played, pc.cast(pc.fill_null(_col(part, "not_out"), False), pa.int64()))
        cols |= {
            "no": no,
            "runs": runs,
            "hs": pc.add(pc.multiply(runs, 2), no),
            "balls_faced": _when(played, _i64(_col(part, "balls_faced"))),
            "fours": _when(played, _i64(_col(part, "fours"))),
            "sixes": _when(played, _i64(_col(part, "sixes"))),
            "hundreds": pc.cast(pc.greater_equal(runs, 100), pa.int64()),
            "fifties": pc.cast(pc.and_(pc.greater_equal(runs, 50), pc.less(runs, 100)), pa.int64()),
            "ducks": pc.cast(pc.and_(pc.equal(runs, 0), pc.equal(no, 0)), pa.int64()),
        }
        specs = [("no", "sum"), ("runs", "sum"), ("hs", "max")]
        specs += [(c, a) for c in ("balls_faced", "fours", "sixes") for a in ("sum", "count")]
        specs += [(c, "sum") for c in ("hundreds", "fifties", "ducks")]
    elif typ == "bowling":
        wk = _when(played, _i64(_col(part, "wickets")))
        rc = _when(played, _i64(_col(part, "runs_conceded")))
        cols |= {
            "balls": _when(played, _i64(_col(part, "balls"))),
            "maidens": _when(played, _i64(_col(part, "maidens"))),
            "runs_conceded": rc,
            "wickets": wk,
            "bbi": pc.add(pc.multiply(wk, BIG), pc.subtract(BIG - 1, rc)),
            "four": pc.cast(pc.equal(wk, 4), pa.int64()),
            "five": pc.cast(pc.greater_equal(wk, 5), pa.int64()),
        }
        specs = [(c, "sum") for c in ("balls", "maidens", "runs_conceded", "wickets", "four", "five")]
        specs += [("bbi", "max")]
    else:
        dis = _when(played, _i64(_col(part, "dismissals")))
        cols |= {"dismissals": dis, "dismax": dis}
        for c in ("caught", "stumped", "caught_keeper", "caught_fielder"):
            cols[c] = _when(played, _i64(_col(part, c)))
        specs = [("dismissals", "sum"), ("dismax", "max"), ("caught", "sum"), ("stumped", "sum")]
        specs += [(c, a) for c in ("caught_keeper", "caught_fielder") for a in ("sum", "count")]
    tb = pa.table(cols)
    specs = [("match_id", "count_distinct"), ("year", "min"), ("year", "max"), ("played", "sum"), *specs]
    agg = tb.group_by("player_id").aggregate(specs)
    inns = pc.fill_null(_col(agg, "played_sum"), 0)
    out: dict[str, pa.Array] = {
        "player_id": _col(agg, "player_id"),
        "matches": _col(agg, "match_id_count_distinct"),
        "start_year": _col(agg, "year_min"),
        "end_year": _col(agg, "year_max"),
        "innings": inns,
    }
    if typ == "batting":
        hs = _col(agg, "hs_max")
        out |= {
            "not_outs": pc.fill_null(_col(agg, "no_sum"), 0),
            "runs": pc.fill_null(_col(agg, "runs_sum"), 0),
            "high_score": pc.divide(hs, 2),
            "high_score_not_out": pc.equal(pc.bit_wise_and(hs, 1), 1),
        }
        out |= {c: _sum_known(agg, c, inns) for c in ("balls_faced", "fours", "sixes")}
        out |= {c: pc.fill_null(_col(agg, f"{c}_sum"), 0) for c in ("hundreds", "fifties", "ducks")}
    elif typ == "bowling":
        out |= {c: pc.fill_null(_col(agg, f"{c}_sum"), 0) for c in ("balls", "maidens", "runs_conceded")}
        wk = pc.fill_null(_col(agg, "wickets_sum"), 0)
        best = _when(pc.greater(wk, 0), _col(agg, "bbi_max"))  # no wicket: the site shows BBI "-"
        out |= {
            "wickets": wk,
            "best_innings_wickets": pc.divide(best, BIG),
            "best_innings_runs": pc.subtract(
                BIG - 1, pc.subtract(best, pc.multiply(pc.divide(best, BIG), BIG))
            ),
            "four_wickets": pc.fill_null(_col(agg, "four_sum"), 0),
            "five_wickets": pc.fill_null(_col(agg, "five_sum"), 0),
        }
        out |= _best_match(tb, pa.table(out))
    else:
        out |= {
            "dismissals": pc.fill_null(_col(agg, "dismissals_sum"), 0),
            "caught": pc.fill_null(_col(agg, "caught_sum"), 0),
            "stumped": pc.fill_null(_col(agg, "stumped_sum"), 0),
            "max_dismissals_innings": _col(agg, "dismax_max"),
        }
        out |= {c: _sum_known(agg, c, inns) for c in ("caught_keeper", "caught_fielder")}
    return pa.table(out)


def _best_match(tb: pa.Table, per_player: pa.Table) -> dict[str, pa.Array]:
    """Best match figures and ten-wicket matches: per (player, match) sums over the innings bowled."""
    bowled = tb.filter(pc.equal(_col(tb, "played"), 1))
    m = bowled.group_by(["player_id", "match_id"]).aggregate([("wickets", "sum"), ("runs_conceded", "sum")])
    mw, mr = _col(m, "wickets_sum"), _col(m, "runs_conceded_sum")
    m = pa.table(
        {
            "player_id": _col(m, "player_id"),
            "key": pc.add(pc.multiply(mw, BIG), pc.subtract(BIG - 1, mr)),
            "ten": pc.cast(pc.greater_equal(mw, 10), pa.int64()),
        }
    )
    g = m.group_by("player_id").aggregate([("key", "max"), ("ten", "sum")])
    idx = pc.index_in(_col(per_player, "player_id"), value_set=_col(g, "player_id"))
    key = _when(pc.greater(_col(per_player, "wickets"), 0), _col(g, "key_max").take(idx))
    return {
        "best_match_wickets": pc.divide(key, BIG),
        "best_match_runs": pc.subtract(BIG - 1, pc.subtract(key, pc.multiply(pc.divide(key, BIG), BIG))),
        "ten_wickets": pc.fill_null(_col(g, "ten_sum").take(idx), 0),
    }


class Reconciler:
    """Collects career rows and innings aggregates per (type, format) as the writer passes them, then compares."""

    def __init__(self) -> None:
        self.careers: dict[tuple[str, str], list[pa.Table]] = defaultdict(list)
        self.innings: dict[tuple[str, str], list[pa.Table]] = defaultdict(list)

    def add(self, table: str, fmt: str, part: pa.Table) -> None:
        """A written part of a career or innings table (one format; every row of its players)."""
        typ, _, kind = table.partition("_")
        if typ not in TYPES or kind not in ("career", "innings") or not part.num_rows:
            return
        if kind == "career":
            names = ["player_id", "name", "format", *(c for c, _k in COLUMNS[typ])]
            self.careers[(typ, fmt)].append(part.select(names))
        else:
            self.innings[(typ, fmt)].append(aggregate(typ, part))

    def finish(self, dq: DQ) -> dict:
        """Compare every (type, format) that has both careers and innings; record findings; the report's section.

        Counts are exact over every row; text (Python strings) is built only for the rows the report lists and
        the DQ samples show: a crawl whose careers and innings come from unrelated sources disagrees on every row.
        """
        compared: dict[str, dict[str, int]] = defaultdict(dict)
        per_column: dict[str, list] = {}  # check → [(player, format) pairs that disagree, the first few]
        listed: list[dict] = []
        mismatched = 0
        for typ, fmt in sorted(self.careers.keys() & self.innings.keys()):
            table = f"{typ}_career"
            career = pa.concat_tables(self.careers[(typ, fmt)])
            derived = pa.concat_tables(self.innings[(typ, fmt)])
            rows, diffs, car, inn = _compare(typ, fmt, career, derived)
            compared[table][fmt] = rows.num_rows
            bad = _any(diffs, rows.num_rows)
            n_bad = pc.sum(bad).as_py() or 0
            mismatched += n_bad
            names = [c for c, _k in COLUMNS[typ]]
            pids = _col(rows, "player_id")
            for c, diff in zip(names, diffs, strict=True):
                n = pc.sum(diff).as_py() or 0
                if n:
                    entry = per_column.setdefault(f"{table}.{c}", [0, []])
                    entry[0] += n
                    if len(entry[1]) < EXAMPLES:
                        first = pc.indices_nonzero(diff).slice(0, EXAMPLES - len(entry[1]))
                        entry[1] += [f"{p} {fmt}" for p in pids.take(first).to_pylist()]
            # text for the first rows that disagree: those the report lists, at least those DQ keeps as samples
            want = max(LISTED - len(listed), SAMPLES_PER_CHECK)
            first = pc.indices_nonzero(bad).slice(0, want)
            text = _text(names, diffs, car, inn, first)
            cols = {
                k: _scatter(bad, first, v)
                for k, v in zip(("columns", "career", "from_innings"), text, strict=True)
            }
            dq.record(table, CHECK, bad, rows, cols)
            who = rows.take(first).select(["player_id", "name"]).to_pylist()
            for r, columns, c_txt, i_txt in zip(who, *text, strict=True):
                if len(listed) >= LISTED:
                    break
                listed.append(
                    {
                        "table": table,
                        "player_id": r["player_id"],
                        "name": r["name"],
                        "format": fmt,
                        "columns": columns.split(", "),
                        "career": c_txt,
                        "from_innings": i_txt,
                    }
                )
        findings = [
            {
                "check": check,
                "detail": f"career ≠ its innings for {n} (player, format): {', '.join(who)}"
                + (" …" if n > len(who) else ""),
                "count": n,
            }
            for check, (n, who) in sorted(per_column.items())
        ]
        return {
            "compared": {t: dict(sorted(f.items())) for t, f in sorted(compared.items())},
            "mismatched": mismatched,
            "findings": findings,
            "players": listed,
            "left_off": max(0, mismatched - len(listed)),
        }


def _any(masks: list[pa.Array], n: int) -> pa.Array:
    out = pa.repeat(pa.scalar(False), n) if not masks else masks[0]
    for m in masks[1:]:
        out = pc.or_(out, m)
    return out


def _compare(
    typ: str, fmt: str, career: pa.Table, derived: pa.Table
) -> tuple[pa.Table, list[pa.Array], list[pa.Array], list[pa.Array]]:
    """(rows compared, per column whether it disagrees, the career's values, the innings' values) per player.

    A player with a career row and no innings shows as innings of 0 (his innings were missed); one with innings
    and no career row has no career values (`-`)."""
    d = derived.rename_columns(["player_id", *(f"i_{c}" for c in derived.column_names[1:])])
    j = career.join(d, "player_id", join_type="full outer", coalesce_keys=True)
    j = j.sort_by("player_id")
    no_innings = pc.is_null(_col(j, "i_matches"))
    batted = pc.is_valid(_col(j, "innings"))  # the career shows counts from Inns on
    diffs, car, inn = [], [], []
    for c, kind in COLUMNS[typ]:
        a, b = _col(j, c), _col(j, f"i_{c}")
        if c == "innings":
            a = pc.fill_null(a, 0)
        if b.type != a.type:
            b = pc.cast(b, a.type)
        b = pc.if_else(no_innings, pa.scalar(0 if c != "high_score_not_out" else False, a.type), b)
        differ = pc.or_kleene(pc.not_equal(a, b), pc.xor(pc.is_null(a), pc.is_null(b)))
        if kind == "always":
            applies = pa.scalar(True)
        elif kind == "batted":
            applies = batted
        elif c.startswith("best_"):
            applies = pc.and_(batted, pc.is_valid(a))  # no wicket from the innings: the career shows "-"
        else:
            applies = pc.and_(pc.is_valid(a), pc.is_valid(b))
        diffs.append(pc.fill_null(pc.and_(applies, differ), False))
        car.append(a)
        inn.append(b)
    rows = pa.table(
        {
            "player_id": _col(j, "player_id"),
            "name": _col(j, "name"),
            "format": pa.repeat(pa.scalar(fmt, pa.string()), j.num_rows),
        }
    )
    return rows, diffs, car, inn


def _text(
    names: list[str], diffs: list[pa.Array], car: list[pa.Array], inn: list[pa.Array], idx: pa.Array
) -> tuple[list[str], list[str], list[str]]:
    """(mismatching column names, the career's values, the innings' values) of the rows at `idx`."""
    flags = [d.take(idx).to_pylist() for d in diffs]
    cv = [_values(a.take(idx)) for a in car]
    iv = [_values(b.take(idx)) for b in inn]
    cols, ctext, itext = [], [], []
    for i in range(len(idx)):
        bad = [k for k in range(len(names)) if flags[k][i]]
        cols.append(", ".join(names[k] for k in bad))
        ctext.append(", ".join(f"{names[k]}={cv[k][i]}" for k in bad))
        itext.append(", ".join(f"{names[k]}={iv[k][i]}" for k in bad))
    return cols, ctext, itext


def _scatter(mask: pa.Array, idx: pa.Array, values: list[str]) -> pa.Array:
    """A string column as long as `mask`: `values` at the rows `idx`, null elsewhere."""
    at = pc.is_in(pa.array(range(len(mask)), pa.int64()), value_set=pc.cast(idx, pa.int64()))
    return pc.replace_with_mask(pa.nulls(len(mask), pa.string()), at, pa.array(values, pa.string()))


def _values(arr: pa.Array) -> list:
    return ["-" if v is None else v for v in arr.to_pylist()]
