"""HTML of the Statsguru pages: results lists (career and innings views) and player pages.

The tables follow the real saved pages in shared/fixtures/real (captions, `tr.head`/`tr.headlinks`, `th`
titles, `tr.data1`, `td.padAst`, blank `colspan` rows between summary sections, one `<tbody>` per
section); results lists follow docs/contracts.md §1. The chrome around the tables is a trimmed copy of the
real page's.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
from dataclasses import dataclass

import numpy as np

from cricket_contract.columns import (
    columns,
    list_headers,
    player_innings_headers,
    player_page_headers,
    with_untitled,
)
from cricket_contract.vocabulary import (
    CLASSES_OF_QUERY_CLASS,
    PAGE_SIZES,
    QUERY_CLASSES,
    TYPES,
    WOMEN_CLASSES,
)
from replica import world as W
from replica.model import DISMISSALS, PART_TEXT, PLAYED, TDNB, Model, season_label
from replica.stats import (
    AGG,
    batting_cells,
    bowling_cells,
    fielding_cells,
    overs,
    ratio,
)

SIZES = PAGE_SIZES
DEFAULT_SIZE = 50  # the site's own default page size
RESULT_CLASSES = QUERY_CLASSES
NO_RECORDS = "No records available to match this query"

# Career-averages header titles (checked against the real pages)
TITLES = {
    "batting": {
        "Span": "playing span",
        "Mat": "matches played",
        "Inns": "innings batted",
        "NO": "not outs",
        "Runs": "runs scored",
        "HS": "highest innings score",
        "Ave": "batting average",
        "BF": "balls faced",
        "SR": "batting strike rate",
        "100": "hundreds scored",
        "50": "scores between 50 and 99",
        "0": "ducks scored",
        "4s": "boundary fours",
        "6s": "boundary sixes",
    },
    "bowling": {
        "Span": "playing span",
        "Mat": "matches played",
        "Inns": "innings bowled in",
        "Overs": "overs bowled",
        "Mdns": "maidens earned",
        "Runs": "runs conceded",
        "Wkts": "wickets taken",
        "BBI": "best bowling in an innings",
        "BBM": "best bowling in a match",
        "Ave": "bowling average",
        "Econ": "economy rate",
        "SR": "bowling strike rate",
        "4": "four wickets in an inns",
        "5": "five wickets in an inns",
        "10": "ten wickets in a match",
    },
    "fielding": {
        "Span": "playing span",
        "Mat": "matches played",
        "Inns": "innings fielded",
        "Dis": "fielding dismissals made",
        "Ct": "catches taken",
        "St": "stumpings made",
        "Ct Wk": "catches as a keeper",
        "Ct Fi": "catches as a fielder",
        "MD": "max dismissals in an inns",
        "D/I": "dismissals per innings",
    },
}
SORT_TITLE_OVERRIDE = {
    ("batting", "50"): "sort by scores of fifty or more",
    ("batting", "Span"): "sort by start date",
}
INNINGS_TITLES = {
    "Runs": "runs scored",
    "Mins": "minutes batted",
    "BF": "balls faced",
    "4s": "boundary fours",
    "6s": "boundary sixes",
    "SR": "batting strike rate",
    "Dismissal": "how dismissed",
    "Inns": "innings number",
    "Opposition": "opposition team",
    "Ground": "ground",
    "Start Date": "match start date",
    "Overs": "overs bowled",
    "Mdns": "maidens earned",
    "Wkts": "wickets taken",
    "Econ": "economy rate",
    "Dis": "fielding dismissals made",
    "Ct": "catches taken",
    "St": "stumpings made",
    "Ct Wk": "catches as a keeper",
    "Ct Fi": "catches as a fielder",
}

# The columns every page shows come from the one column map (cricket_contract.columns).
INN_COLS = {t: list_headers(1, t, "innings") for t in TYPES}
# the cells of an innings row after the player cell, the untitled spacer included (the match link is apart)
INN_ROW = {t: with_untitled(INN_COLS[t], "innings")[:-1] for t in TYPES}
OWN_INN_COLS = {t: with_untitled(player_innings_headers(t), "innings")[:-1] for t in TYPES}
INN_FIELDS = {
    "batting": ("p", "part", "m", "tm", "opp", "inn", "pos", "runs", "no", "bf", "mins", "f4", "f6", "dis"),
    "bowling": ("p", "part", "m", "tm", "opp", "inn", "pos", "balls", "mdns", "runs", "wkts"),
    "fielding": ("p", "part", "m", "tm", "opp", "inn", "ct", "st", "ctwk"),
}
# Results lists whose averages and rates keep two decimals ("30.00", as the real 2017 women's lists); the
# men's lists and player pages drop trailing zeros ("104", "0.5", as the real 2017 men's ODI list and 2026 pages).
FIXED_DECIMAL_CLASSES = frozenset(WOMEN_CLASSES)

# `--drift headers`: the renamed headers. Every page kind loses a required header (an optional one renamed, as
# D/I here, is only absent beside an unknown header: not drift alone).
DRIFT = {"Ave": "Avg", "Dis": "Dismissals", "D/I": "Dis/Inn", "Start Date": "Match Date"}
CLASS_SET = CLASSES_OF_QUERY_CLASS
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RESULT_LABELS = ("won match", "lost match", "tied match", "drawn match", "no result")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Classes whose career batting lists leave out `4s` and `6s` by default (`--no-boundary-columns`): the ODI lists,
# as the real 2019 ODI career list (SITE-NOTES); the crawler reads a list without an optional column.
NO_BOUNDARIES = frozenset({2})


def career_cols(
    typ: str, cls: int, results_list: bool, no_boundaries: frozenset[int] = frozenset()
) -> tuple[str, ...]:
    """A results list's columns, or a player page's (which show every column a class 11 page can have).

    Lists of `no_boundaries` classes leave out the columns the map says some lists lack (`4s`, `6s`: a real
    2019 ODI career list had neither; which real lists omit them, and why, is not known).
    """
    if not results_list:
        return player_page_headers(cls, typ)
    cols = list_headers(cls, typ, "career")
    if cls in no_boundaries:
        sometimes = {c.header for c in columns("career", typ) if c.sometimes}
        cols = tuple(c for c in cols if c not in sometimes)
    return cols


def date_text(ordinal_: int) -> str:
    d = dt.date.fromordinal(ordinal_)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def span_text(ordinal_: int) -> str:
    """A span filter's date as the site's query menu writes it: `01+Jan+2020`."""
    d = dt.date.fromordinal(ordinal_)
    return f"{d.day:02d}+{MONTHS[d.month - 1]}+{d.year}"


def esc(s: str) -> str:
    return html.escape(s, quote=True)


# --------------------------------------------------------------------------- chrome

_HEAD = """<!DOCTYPE html
  PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:og="http://opengraphprotocol.org/schema/">
<head>
  <meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0, user-scalable=0" />
  <title>{title}</title>
  <meta http-equiv="Content-Type" content="text/html;charset=utf-8" />
  <meta name="robots" content="index, follow" />
  <meta name="googlebot" content="index, follow" />
  <meta property="og:site_name" content="Cricinfo" />
  <link rel="shortcut icon" href="https://a.espncdn.com/espncricinfo/favicon.ico" />
  <script type="text/javascript" language="javascript" src="https://i.imgci.com/navigation/cricinfo/statsguru.js?1357641468"></script>
</head>
<body onLoad="return guruStart();" id="cric_old_template">
  <div class="subnav-wrap sub-nav  ">
    <div class="row">
      <div class="large-20 sub-nav-wrap" id="sub-nav-wrap">
        <div class="icc-home">
          <a href="{crumb_href}">
            {crumb}
          </a>
        </div>
      </div>
    </div>
  </div>
  <div id="ciHomeContent">
    <div id="ciMainContainer">
      <div id="ciHomeContentlhs">
        <!-- START 650 AREA -->
        <div class="pnl650T"></div>
        <div class="pnl650M" style="width:630px; padding:5px 9px 5px 9px;">
"""

_FOOT = """          <table class="engineTable" style="margin:0px;">
            <tr class="data2">
              <td class="left">
                <b>Statsguru includes the following current or recent relevant matches:</b>
              </td>
            </tr>
            <tr class="data2">
              <td class="left">
                Replica XI v Replica XI at Lord's, 1st match, May 14-18, 2026
                [<a href="/ci/engine/match/{last_id}.html">{last_label}</a>]<br>
              </td>
            </tr>
          </table>
        </div>
        <div class="pnl650B"></div>
        <script language="JavaScript">
          var omniPageName = "{omni}";
          var omniSiteSection1 = "statistics";
          var omniSiteSection2 = "statsguru";
        </script> <!-- END 650 AREA -->
      </div>
    </div>
  </div>
</body>

</html>
"""


def _query_tables(typ: str, view_text: str, back_href: str, ordered: str = "default (ascending)") -> str:
    return f"""          <table class="engineTable" style="margin:0px;">

            <tr class="data2">
              <td class="left">
                <b>Records type</b>&nbsp;{typ} analysis
                [<a href="javascript:void(0)"
                  onmouseover="menuLayers.show('engine-dd-type', event); window.status='change type'; return true"
                  onmouseout="menuLayers.hide()">change type</a>]

              </td>
            </tr>
            <tr class="data2">
              <td class="left">
                <b>View</b>&nbsp;{view_text}
                [<a href="javascript:void(0)" onmouseout="menuLayers.hide()"
                  onmouseover="menuLayers.show('engine-dd-view', event); window.status='change view'; return true">change
                  view</a>]

              </td>
            </tr>
            <tr class="data2">
              <td class="left">
                <b>Ordered by</b>&nbsp;{ordered}

              </td>
            </tr>
          </table>
          <table class="engineTable" style="margin-top:0px;margin-bottom:5px;">
            <tr class="data2">
              <td>
                <a href="{back_href}"><img
                    src="http://i.imgci.com/espncricinfo/dblBakArwB.gif" width="9" height="7" border="0"
                    style="vertical-align: bottom; margin: 0px 7px 3px 0px;" alt="">Return to query menu</a><br><a
                  href="{back_href}"><img
                    src="http://i.imgci.com/espncricinfo/dblBakArwW.gif" width="9" height="7" border="0"
                    style="vertical-align: bottom; margin: 0px 7px 3px 0px;" alt="">Cleared query menu</a><br>
              </td>
            </tr>
          </table>
"""


@dataclass(frozen=True)
class ListQuery:
    """A results list's date filter and order (`spanmin1=…;spanmax1=…;spanval1=span`, `orderby=start`,
    `orderbyad=reverse`): matches that started in [first, last] (date ordinals, either end open), by start date."""

    first: int | None = None
    last: int | None = None
    by_start: bool = False
    reverse: bool = False

    @property
    def filtered(self) -> bool:
        return self.first is not None or self.last is not None

    def params(self) -> str:
        """The query's own parameters, `;`-joined with a leading `;` ("" for the default list)."""
        out = []
        if self.first is not None:
            out.append(f"spanmin1={span_text(self.first)}")
        if self.last is not None:
            out.append(f"spanmax1={span_text(self.last)}")
        if self.filtered:
            out.append("spanval1=span")
        if self.by_start:
            out.append("orderby=start")
        if self.reverse:
            out.append("orderbyad=reverse")
        return "".join(";" + x for x in out)

    def ordered(self) -> str:
        """The "Ordered by" line of the page."""
        what = "start date" if self.by_start else "default"
        return f"{what} ({'descending' if self.reverse else 'ascending'})"

    def keep(self, dates: np.ndarray) -> np.ndarray:
        """Mask of the rows whose match started within the span."""
        ok = np.ones(len(dates), dtype=bool)
        if self.first is not None:
            ok &= dates >= self.first
        if self.last is not None:
            ok &= dates <= self.last
        return ok

    def order(self, default: np.ndarray, key: np.ndarray) -> np.ndarray:
        """`default` (row indices in the list's default order) sorted by `key[default]` when ordered by start date
        (ties keep the default order); `orderbyad=reverse` turns the primary order round."""
        if self.by_start:
            k = key[default].astype(np.int64)
            return default[np.argsort(-k if self.reverse else k, kind="stable")]
        return default[::-1].copy() if self.reverse else default


DEFAULT_QUERY = ListQuery()
FILTERED_CACHE = 256  # filtered or re-ordered lists kept (each a small index array)


@dataclass
class Career:
    """Aggregates of one (class, type) for every player with a row, plus the list order."""

    players: np.ndarray  # player index per aggregate row
    agg: dict
    order: np.ndarray  # aggregate-row indices in the list's default order
    rows_html: list[str] | None = None


class Site:
    """Renders pages from a Model; thread-safe lazy caches of aggregates and sort orders."""

    def __init__(
        self, model: Model, drift: bool = False, no_boundaries: frozenset[int] = NO_BOUNDARIES
    ) -> None:
        self.m = model
        self.drift = drift
        self.no_boundaries = frozenset(no_boundaries)
        self._lock = threading.Lock()
        self._careers: dict[tuple, Career] = {}
        self._innings_order: dict[tuple, np.ndarray] = {}
        M = model.matches
        self.m_year = model.m_year.astype(np.int64)
        self.nm = len(M)
        self.m_team0 = np.array([m.teams[0] for m in M], dtype=np.int32)
        self.m_team1 = np.array([m.teams[1] for m in M], dtype=np.int32)
        self.m_host = np.array([m.host for m in M], dtype=np.int32)
        self.m_result = np.array([m.result for m in M], dtype=np.int32)
        self.m_ground = [m.ground for m in M]
        self.m_label = [f"{W.CLASS_INFO[m.cls][2]} # {m.number}" for m in M]
        self.m_id = [m.match_id for m in M]
        self.m_season = [season_label(W.COUNTRIES[m.host], m.date) for m in M]
        self.has_bf = np.array(model.p_has_bf, dtype=bool)
        for tab in (model.B, model.BW, model.F):
            mm = tab["m"]
            tab["opp"] = np.where(tab["tm"] == self.m_team0[mm], self.m_team1[mm], self.m_team0[mm])
        self.tabs = {"batting": model.B, "bowling": model.BW, "fielding": model.F}
        # rows of each player, for player pages (row indices sorted by player)
        self._by_player = {}
        for typ, tab in self.tabs.items():
            order = np.argsort(tab["p"], kind="stable")
            bounds = np.searchsorted(tab["p"][order], np.arange(model.n + 1))
            self._by_player[typ] = (order, bounds)
        self.last_match = M[model.last_match_idx]
        self._player_tds: dict[int, str] = {}
        self._tails: dict[tuple[int, int, int], str] = {}

    def warm(self) -> None:
        """Aggregate every results list and sort every innings list up front, so first requests are fast too."""
        for cls in RESULT_CLASSES:
            for typ in TYPES:
                self.career(cls, typ)
        for cls in RESULT_CLASSES:
            for typ in TYPES:
                self.innings_order(cls, typ)

    def h(self, text: str) -> str:
        """A header text as shown (with --drift headers some are renamed)."""
        return DRIFT.get(text, text) if self.drift else text

    # ------------------------------------------------------------------ careers
    def rows_of(self, typ: str, classes: tuple[int, ...]) -> np.ndarray:
        tab = self.tabs[typ]
        return np.flatnonzero(np.isin(tab["cls"], classes))

    def _once(self, cache: dict, key, build):
        """`cache[key]`, built by `build()` at most once even when server threads ask at the same time."""
        value = cache.get(key)
        if value is not None:
            return value
        with self._lock:
            value = cache.get(key)
            if value is None:
                if len(key) > 2:  # a filtered or re-ordered list: keep only the newest few
                    extra = [k for k in cache if len(k) > 2]
                    for k in extra[: max(0, len(extra) - FILTERED_CACHE + 1)]:
                        del cache[k]
                value = cache[key] = build()
        return value

    def career(self, cls: int, typ: str, query: ListQuery = DEFAULT_QUERY) -> Career:
        if query == DEFAULT_QUERY:
            return self._once(self._careers, (cls, typ), lambda: self._build_career(cls, typ))
        default = None if query.filtered else self.career(cls, typ)  # built outside the lock it would need
        return self._once(
            self._careers, (cls, typ, query), lambda: self._query_career(cls, typ, query, default)
        )

    def _query_career(self, cls: int, typ: str, query: ListQuery, default: Career | None) -> Career:
        """A career list over the span's matches (aggregated over them, as the real site does), in its order."""
        car = default or self._build_career(cls, typ, query)
        return Career(car.players, car.agg, query.order(car.order, car.agg["start"]))

    def _build_career(self, cls: int, typ: str, query: ListQuery = DEFAULT_QUERY) -> Career:
        tab = self.tabs[typ]
        idx = self.rows_of(typ, CLASS_SET.get(cls, (cls,)))
        if query.filtered:
            idx = idx[query.keep(tab["date"][idx])]
        players, g = np.unique(tab["p"][idx], return_inverse=True)
        agg = AGG[typ](tab, idx, g, len(players), self.nm, self.m_year[tab["m"]])
        names = np.array([self.m.p_name[p] for p in players], dtype=object)
        pids = self.m.pid[players]
        if typ == "batting":
            primary = agg["runs"]
            secondary = np.zeros(len(players))
        elif typ == "bowling":
            # every player who played is listed (never bowled: "-" from Inns on, at the end of the list)
            primary = agg["wkts"]
            secondary = np.where(agg["inns"] > 0, agg["runs"], np.iinfo(np.int64).max)
        else:
            primary = agg["dis"]
            secondary = np.zeros(len(players))
        # default order: primary descending, then name, then public id — deterministic, so pages tile
        name_rank = np.argsort(np.argsort(names, kind="stable"), kind="stable")
        order = np.lexsort((pids, name_rank, secondary, -primary))
        return Career(players, agg, order)

    # ------------------------------------------------------------------ results lists
    def results_page(
        self, cls: int, typ: str, view: str, page: int, size: int, query: ListQuery = DEFAULT_QUERY
    ) -> str:
        if view == "innings":
            order = self.innings_order(cls, typ, query)
            total = len(order)
        else:
            car = self.career(cls, typ, query)
            total = len(car.order)
        pages = max(1, -(-total // size))
        base = f"/ci/engine/stats/index.html?class={cls};template=results;type={typ}"
        if view == "innings":
            base += ";view=innings"
        base += query.params()
        title = f"{typ.capitalize()} records | {W.CLASS_TITLE[cls]} | Cricinfo Statsguru | ESPNcricinfo.com"
        out = [
            _HEAD.format(
                title=esc(title),
                crumb_href="/ci/engine/stats/index.html",
                crumb=f"Statistics / Statsguru / {esc(W.CLASS_TITLE[cls])}",
            ),
            _query_tables(
                typ,
                "innings by innings list" if view == "innings" else "overall figures",
                f"/ci/engine/stats/index.html?class={cls};type={typ}",
                query.ordered(),
            ),
        ]
        caption = "Innings by innings list" if view == "innings" else "Overall figures"
        start = (page - 1) * size
        if start >= total:
            out.append(
                f'          <table class="engineTable">\n            <caption>{caption}</caption>\n'
                f'            <tbody>\n              <tr class="data1">\n                <td>{NO_RECORDS}</td>\n'
                f"              </tr>\n            </tbody>\n          </table>\n"
            )
        else:
            end = min(total, start + size)
            cols = INN_ROW[typ] if view == "innings" else career_cols(typ, cls, True, self.no_boundaries)
            out.append(self._pagination(base, page, pages, size, start, end, total, len(cols) + 2))
            out.append(f'          <table class="engineTable">\n            <caption>{caption}</caption>\n')
            out.append(self._results_head(typ, cols, view))
            out.append("            <tbody>\n")
            if view == "innings":
                out.extend(self.innings_rows_html(typ, order[start:end], cls))
            else:
                rows = self._career_rows_html(cls, typ, query)
                out.extend(rows[start:end])
            out.append("            </tbody>\n          </table>\n")
        out.append(
            _FOOT.format(
                last_id=self.last_match.match_id,
                last_label=self.m_label[self.last_match.idx],
                omni="statsguru results",
            )
        )
        return "".join(out)

    def _pagination(self, base, page, pages, size, start, end, total, ncols) -> str:
        links = []
        if page > 1:
            links.append(f'<a href="{base};page=1;size={size}">First</a>')
            links.append(f'<a href="{base};page={page - 1};size={size}">Previous</a>')
        if page < pages:
            links.append(f'<a href="{base};page={page + 1};size={size}">Next</a>')
            links.append(f'<a href="{base};page={pages};size={size}">Last</a>')
        return (
            '          <table class="engineTable">\n'
            f'            <tr class="data2"><td class="left" colspan="{ncols}"><b>Page {page} of {pages}</b> &nbsp;'
            f"Showing {start + 1} - {end} of {total}\n"
            f'              <span class="pagination">{" ".join(links)}</span></td></tr>\n'
            "          </table>\n"
        )

    def _results_head(self, typ: str, cols: tuple[str, ...], view: str, player: bool = True) -> str:
        th = ['              <th class="left" title="sort by player name">Player</th>\n'] if player else []
        for c in cols:
            if not c:  # the untitled spacer after Inns
                th.append("              <th></th>\n")
                continue
            title = INNINGS_TITLES.get(c) if view == "innings" else TITLES[typ].get(c)
            if view == "innings" and c == "Pos":
                title = "batting position" if typ == "batting" else "bowling position"
            if view == "innings" and c == "Runs" and typ == "bowling":
                title = "runs conceded"
            if c in TITLES[typ] and view == "innings" and typ == "fielding":
                title = TITLES[typ][c]
            cls_attr = ' class="left"' if c in ("Span", "Opposition", "Ground", "Dismissal") else ""
            if c == "HS":
                cls_attr = ' class="padAst"'
            th.append(f'              <th{cls_attr} title="{esc(title or c)}">{esc(self.h(c))}</th>\n')
        th.append("              <th></th>\n")
        return '            <thead><tr class="headlinks">\n' + "".join(th) + "            </tr></thead>\n"

    def _player_td(self, p: int) -> str:
        pid = int(self.m.pid[p])
        return (
            f'                <td class="left" nowrap="nowrap"><a href="/ci/content/player/{pid}.html" '
            f'class="data-link">{esc(self.m.player_cell(p))}</a></td>\n'
        )

    def _career_rows_html(self, cls: int, typ: str, query: ListQuery = DEFAULT_QUERY) -> list[str]:
        car = self.career(cls, typ, query)
        if car.rows_html is not None:
            return car.rows_html
        cols = career_cols(typ, cls, True, self.no_boundaries)
        fixed = cls in FIXED_DECIMAL_CLASSES
        rows = []
        for i in car.order:
            p = int(car.players[i])
            cells = self.cells(typ, car.agg, int(i), p, fixed)
            rows.append(
                '              <tr class="data1">\n'
                + self._player_td(p)
                + _tds(cells, cols, typ)
                + "                <td></td>\n              </tr>\n"
            )
        car.rows_html = rows
        return rows

    def cells(self, typ: str, agg: dict, i: int, p: int, fixed: bool = False) -> dict[str, str]:
        if typ == "batting":
            return batting_cells(agg, i, bool(self.has_bf[p]), fixed)
        if typ == "bowling":
            return bowling_cells(agg, i, fixed)
        return fielding_cells(agg, i, fixed)

    # ------------------------------------------------------------------ innings view
    def innings_order(self, cls: int, typ: str, query: ListQuery = DEFAULT_QUERY) -> np.ndarray:
        if query == DEFAULT_QUERY:
            return self._once(self._innings_order, (cls, typ), lambda: self._build_innings_order(cls, typ))
        order = self.innings_order(cls, typ)  # built outside the lock it would need
        return self._once(
            self._innings_order, (cls, typ, query), lambda: self._query_innings(typ, query, order)
        )

    def _query_innings(self, typ: str, query: ListQuery, order: np.ndarray) -> np.ndarray:
        """An innings list's rows within the span, in the query's order (ties in the default order)."""
        dates = self.tabs[typ]["date"]
        if query.filtered:
            order = order[query.keep(dates[order])]
        return query.order(order, dates)

    def _build_innings_order(self, cls: int, typ: str) -> np.ndarray:
        tab = self.tabs[typ]
        idx = self.rows_of(typ, CLASS_SET.get(cls, (cls,)))
        pid = self.m.pid[tab["p"][idx]]
        base = (pid, tab["inn"][idx], tab["m"][idx], tab["date"][idx])
        if typ == "batting":
            keys = base + (-tab["runs"][idx],)
        elif typ == "bowling":
            keys = base + (
                np.where(tab["part"][idx] == PLAYED, tab["runs"][idx], 1 << 30),
                -tab["wkts"][idx],
            )
        else:
            dis = np.where(tab["part"][idx] == PLAYED, tab["ct"][idx] + tab["st"][idx], -1)
            keys = base + (-dis,)
        return idx[np.lexsort(keys)]

    def innings_cells(self, typ: str, r: int, fixed: bool = False) -> dict[str, str]:
        """Every cell of innings row `r` by header, `Pos` and `Dismissal` included (a player's own view shows them)."""
        tab = self.tabs[typ]
        p = int(tab["p"][r])
        part = int(tab["part"][r])
        mi = int(tab["m"][r])
        common = {
            "Inns": "-" if part == TDNB else str(int(tab["inn"][r])),
            "": "",
            "Opposition": "v " + self.m.teams.opposition[int(tab["opp"][r])],
            "Ground": self.m_ground[mi],
            "Start Date": date_text(int(tab["date"][r])),
        }
        if typ == "batting":
            if part != PLAYED:
                d = dict.fromkeys(("Mins", "BF", "4s", "6s", "SR", "Dismissal"), "-")
                d["Runs"] = PART_TEXT[part]
                d["Pos"] = str(int(tab["pos"][r]))
            else:
                runs, bf = int(tab["runs"][r]), int(tab["bf"][r])
                hb = bool(self.has_bf[p])
                d = {
                    "Runs": f"{runs}{'*' if tab['no'][r] else ''}",
                    "Mins": str(int(tab["mins"][r])) if hb else "-",
                    "BF": str(bf) if hb else "-",
                    "4s": str(int(tab["f4"][r])),
                    "6s": str(int(tab["f6"][r])),
                    "SR": ratio(runs * 100, bf, 2, fixed) if hb else "-",
                    "Pos": str(int(tab["pos"][r])),
                    "Dismissal": DISMISSALS[int(tab["dis"][r])] if tab["dis"][r] >= 0 else "not out",
                }
        elif typ == "bowling":
            if part != PLAYED:
                d = dict.fromkeys(("Mdns", "Runs", "Wkts", "Econ", "Pos"), "-")
                d["Overs"] = PART_TEXT[part]
            else:
                balls, runs = int(tab["balls"][r]), int(tab["runs"][r])
                d = {
                    "Overs": overs(balls),
                    "Mdns": str(int(tab["mdns"][r])),
                    "Runs": str(runs),
                    "Wkts": str(int(tab["wkts"][r])),
                    "Econ": ratio(runs * 6, balls, 2, fixed),
                    "Pos": str(int(tab["pos"][r])),
                }
        else:
            if part != PLAYED:
                d = dict.fromkeys(("Ct", "St", "Ct Wk", "Ct Fi"), "-")
                d["Dis"] = PART_TEXT[part]
            else:
                ct, st, wk = int(tab["ct"][r]), int(tab["st"][r]), int(tab["ctwk"][r])
                d = {
                    "Dis": str(ct + st),
                    "Ct": str(ct),
                    "St": str(st),
                    "Ct Wk": str(wk),
                    "Ct Fi": str(ct - wk),
                }
        d.update(common)
        return d

    def _innings_row(self, typ: str, r: int, cls: int = 1, own: bool = False) -> str:
        """One innings row, cell by cell: the reference the vectorised `innings_rows_html` must equal.

        A results list (`own` False) starts with the player cell of that innings' side and has no Pos and
        Dismissal; a player's own innings view has no player cell and shows both.
        """
        tab = self.tabs[typ]
        p = int(tab["p"][r])
        mi = int(tab["m"][r])
        cells = self.innings_cells(typ, r, fixed=not own and cls in FIXED_DECIMAL_CLASSES)
        cols = OWN_INN_COLS[typ] if own else INN_ROW[typ]
        first = "" if own else self._innings_td(p, int(tab["tm"][r]), int(self.m_year[mi]))
        return (
            '              <tr class="data1">\n'
            + first
            + _tds(cells, cols, typ)
            + f'                <td nowrap="nowrap"><a href="/ci/engine/match/{self.m_id[mi]}.html" '
            f'title="view the scorecard for this row">{self.m_label[mi]}</a></td>\n'
            "              </tr>\n"
        )

    def _innings_td(self, p: int, t: int, year: int) -> str:
        pid = int(self.m.pid[p])
        return (
            f'                <td class="left" nowrap="nowrap"><a href="/ci/content/player/{pid}.html" '
            f'class="data-link">{esc(self.m.innings_cell(p, t, year))}</a></td>\n'
        )

    def innings_rows_html(self, typ: str, rows: np.ndarray, cls: int = 1, own: bool = False) -> list[str]:
        """Rows of an innings page, vectorised over the page's slice (same HTML as `_innings_row`)."""
        tab = self.tabs[typ]
        cols = [tab[k][rows].tolist() for k in INN_FIELDS[typ]]
        hb = self.has_bf[tab["p"][rows]].tolist()
        years = self.m_year[tab["m"][rows]].tolist()
        fixed = not own and cls in FIXED_DECIMAL_CLASSES
        ptd, tails = self._player_tds, self._tails
        out = []
        dash = '                <td nowrap="nowrap">-</td>\n'
        pad2 = '                <td class="padDp2" nowrap="nowrap">-</td>\n'
        row0 = '              <tr class="data1">\n'

        def first(p: int, tm: int, year: int) -> str:
            if own:
                return ""
            key = (p, tm, year >= W.SPELLING_YEAR)
            return ptd.get(key) or ptd.setdefault(key, self._innings_td(p, tm, year))

        def last(m: int, opp: int, inn: int, part: int) -> str:
            if part == TDNB:  # the real site shows no innings number for an innings never played
                inn = 0
            key = (m, opp, inn)
            return tails.get(key) or tails.setdefault(key, self._tail(m, opp, inn))

        if typ == "batting":
            dnb_mid = dash * 4 + pad2
            for (p, part, m, tm, opp, inn, pos, runs, no, bf, mins, f4, f6, dis), known, year in zip(
                zip(*cols, strict=True), hb, years, strict=True
            ):
                td = first(p, tm, year)
                tail = last(m, opp, inn, part)
                if part != PLAYED:
                    mid = f"                <td>{pos}</td>\n{dash}" if own else ""
                    out.append(f"{row0}{td}                <td>{PART_TEXT[part]}</td>\n{dnb_mid}{mid}{tail}")
                    continue
                if known:
                    sr = ratio(runs * 100, bf, 2, fixed)
                    srtd = f"                <td>{sr}</td>\n" if sr != "-" else pad2
                    mins_bf = f"                <td>{mins}</td>\n                <td>{bf}</td>\n"
                else:
                    srtd, mins_bf = pad2, dash * 2
                mid = (
                    f"                <td>{pos}</td>\n"
                    f'                <td class="left" nowrap="nowrap">{DISMISSALS[dis] if dis >= 0 else "not out"}</td>\n'
                    if own
                    else ""
                )
                out.append(
                    f"{row0}{td}                <td>{runs}{'*' if no else ''}</td>\n{mins_bf}"
                    f"                <td>{f4}</td>\n                <td>{f6}</td>\n{srtd}{mid}{tail}"
                )
        elif typ == "bowling":
            dnb_mid = dash * 3 + pad2 + (dash if own else "")
            for (p, part, m, tm, opp, inn, pos, balls, mdns, runs, wkts), year in zip(
                zip(*cols, strict=True), years, strict=True
            ):
                td = first(p, tm, year)
                tail = last(m, opp, inn, part)
                if part != PLAYED:
                    out.append(f"{row0}{td}                <td>{PART_TEXT[part]}</td>\n{dnb_mid}{tail}")
                    continue
                mid = f"                <td>{pos}</td>\n" if own else ""
                out.append(
                    f"{row0}{td}                <td>{balls // 6}.{balls % 6}</td>\n                <td>{mdns}</td>\n"
                    f"                <td>{runs}</td>\n                <td>{wkts}</td>\n"
                    f"                <td>{ratio(runs * 6, balls, 2, fixed)}</td>\n{mid}{tail}"
                )
        else:
            dnb_mid = dash * 4
            for (p, part, m, tm, opp, inn, ct, st, wk), year in zip(
                zip(*cols, strict=True), years, strict=True
            ):
                td = first(p, tm, year)
                tail = last(m, opp, inn, part)
                if part != PLAYED:
                    out.append(f"{row0}{td}                <td>{PART_TEXT[part]}</td>\n{dnb_mid}{tail}")
                    continue
                out.append(
                    f"{row0}{td}                <td>{ct + st}</td>\n                <td>{ct}</td>\n"
                    f"                <td>{st}</td>\n                <td>{wk}</td>\n                <td>{ct - wk}</td>\n{tail}"
                )
        return out

    def _tail(self, mi: int, opp: int, inn: int) -> str:
        """Inns, the untitled spacer, Opposition, Ground, Start Date and the match link: shared by every row of a
        match innings."""
        inns = f"                <td>{inn}</td>\n" if inn else '                <td nowrap="nowrap">-</td>\n'
        return (
            inns + "                <td></td>\n"
            f'                <td class="left" nowrap="nowrap">{esc("v " + self.m.teams.opposition[opp])}</td>\n'
            f'                <td class="left" nowrap="nowrap">{esc(self.m_ground[mi])}</td>\n'
            f"                <td>{date_text(int(self.m.m_date[mi]))}</td>\n"
            f'                <td nowrap="nowrap"><a href="/ci/engine/match/{self.m_id[mi]}.html" '
            f'title="view the scorecard for this row">{self.m_label[mi]}</a></td>\n'
            "              </tr>\n"
        )

    # ------------------------------------------------------------------ player pages
    def player_rows(self, typ: str, p: int, classes: tuple[int, ...]) -> np.ndarray:
        order, bounds = self._by_player[typ]
        rows = order[bounds[p] : bounds[p + 1]]
        tab = self.tabs[typ]
        return rows[np.isin(tab["cls"][rows], classes)]

    def groupings(self, typ: str, p: int, cls: int) -> list[list[tuple[str, np.ndarray, str]]]:
        """The Career summary sections of a player page: [[(label, row indices, innings-link params)]]."""
        classes = CLASS_SET.get(cls, (cls,))
        rows = self.player_rows(typ, p, classes)
        if len(rows) == 0:
            return []
        tab = self.tabs[typ]
        T = self.m.teams
        mm = tab["m"][rows]
        sections: list[list[tuple[str, np.ndarray, str]]] = []

        def section(keys: np.ndarray, label_of, sort_key, param_of) -> None:
            out = []
            for k in sorted(set(keys.tolist()), key=sort_key):
                out.append((label_of(k), rows[keys == k], param_of(k)))
            if out:
                sections.append(out)

        fmt = tab["cls"][rows]
        if len(set(fmt.tolist())) > 1:
            section(fmt, lambda c: W.SUMMARY_LABEL[c], lambda c: c, lambda c: f"class={c}")
        opp = tab["opp"][rows]
        section(
            opp,
            lambda t: "v " + T.opposition[t],
            lambda t: T.opposition[t],
            lambda t: f"opposition={_team_id(T, t)}",
        )
        host = self.m_host[mm]
        section(
            host,
            lambda c: "in " + W.COUNTRIES[c].name,
            lambda c: W.COUNTRIES[c].name,
            lambda c: f"host={W.COUNTRIES[c].team_id}",
        )
        cont = np.array([W.CONTINENTS.index(W.COUNTRIES[c].continent) for c in host.tolist()], dtype=np.int64)
        section(cont, lambda c: "in " + W.CONTINENTS[c], lambda c: c, lambda c: f"continent={c + 1}")
        own = np.array([T.country[t] for t in tab["tm"][rows].tolist()])
        oppc = np.array([T.country[t] for t in opp.tolist()])
        ha = np.where(own == host, 0, np.where(oppc == host, 1, 2))
        section(ha, lambda k: ("home", "away", "neutral")[k], lambda k: k, lambda k: f"home_or_away={k + 1}")
        yr = self.m_year[mm]
        section(yr, lambda y: f"year {y}", lambda y: y, lambda y: f"spanval1=span;year={y}")
        seas = np.array([self.m_season[i] for i in mm.tolist()], dtype=object)
        section(seas, lambda s: f"season {s}", lambda s: s, lambda s: f"season={s.replace('/', '%2F')}")
        side = np.where(tab["tm"][rows] == self.m_team0[mm], 0, 1)
        res = self.m_result[mm]
        rk = np.where(
            res >= 0, np.where(res == side, 0, 1), np.where(res == -2, 2, np.where(res == -1, 3, 4))
        )
        section(rk, lambda k: RESULT_LABELS[k], lambda k: k, lambda k: f"result={k + 1}")
        if typ == "batting":
            played = tab["part"][rows] == PLAYED
            pos = tab["pos"][rows]
            sub_rows = rows[played]
            keys = pos[played]
            out = []
            for k in sorted(set(keys.tolist())):
                out.append(
                    (
                        f"{ordinal(k)} position",
                        sub_rows[keys == k],
                        f"batting_positionmax1={k};batting_positionmin1={k};batting_positionval1=batting_position",
                    )
                )
            if out:
                sections.append(out)
        return sections

    def player_page(self, p: int, cls: int, typ: str) -> str:
        m = self.m
        pid = int(m.pid[p])
        classes = CLASS_SET.get(cls, (cls,))
        tab = self.tabs[typ]
        rows = self.player_rows(typ, p, classes)
        cols = career_cols(typ, cls, False)
        qs = f"class={cls};template=results;type={typ}"
        out = [self._player_head(p, cls, typ, "career summary")]
        if len(rows) == 0:
            out.append(
                '          <table class="engineTable">\n            <caption>Career summary</caption>\n'
                '            <tbody>\n              <tr class="data1">\n'
                f'                <td class="left"><b>{NO_RECORDS}</b></td>\n'
                "              </tr>\n            </tbody>\n          </table>\n"
            )
        else:
            year = self.m_year[tab["m"]]
            # Career averages: one "overall" row
            g = np.zeros(len(rows), dtype=np.int64)
            agg = AGG[typ](tab, rows, g, 1, self.nm, year)
            out.append(
                '          <table class="engineTable">\n            <caption>Career averages</caption>\n'
            )
            out.append('            <thead>\n              <tr class="head">\n')
            out.append('                <th class="left" nowrap=""></th>\n')
            for c in cols:
                cl = ' class="left"' if c == "Span" else ' class="padAst"' if c == "HS" else ""
                out.append(
                    f'                <th title="{TITLES[typ][c]}"{cl} nowrap="">{esc(self.h(c))}</th>\n'
                )
            out.append(
                "                <th></th>\n              </tr>\n            </thead>\n            <tbody>\n"
            )
            cells = self.cells(typ, agg, 0, p)
            out.append(
                '              <tr class="data1">\n                <td class="left">overall</td>\n'
                + _tds(cells, cols, typ)
                + f'                <td style="white-space: nowrap;"><a href="/ci/content/player/{pid}.html"\n'
                '                    title="view the player profile">Profile</a></td>\n              </tr>\n'
                "            </tbody>\n          </table>\n\n\n"
            )
            # Career summary
            out.append(
                '          <table class="engineTable">\n            <caption>Career summary</caption>\n'
            )
            out.append('            <thead>\n              <tr class="headlinks">\n')
            out.append(
                f'                <th class="left" nowrap=""><a\n                    href="/ci/engine/player/{pid}.html?'
                f'class={cls};orderby=default;orderbyad=reverse;template=results;type={typ}"\n'
                '                    class="black-link" title="sort by this column">Grouping<img\n'
                '                      src="http://i.imgci.com/espncricinfo/blackArrowUp.gif" width="10" height="10" border=0\n'
                '                      alt="Ascending" style="vertical-align: middle;"></a></th>\n'
            )
            for c in cols:
                cl = ' class="left"' if c == "Span" else ' class="padAst"' if c == "HS" else ""
                st = SORT_TITLE_OVERRIDE.get((typ, c)) or (
                    "sort by start date" if c == "Span" else f"sort by {TITLES[typ][c]}"
                )
                ob = c.lower().replace(" ", "_").replace("/", "_")
                out.append(
                    f'                <th{cl} nowrap=""><a\n                    href="/ci/engine/player/{pid}.html?'
                    f'class={cls};orderby={ob};template=results;type={typ}"\n'
                    f'                    class="black-link" title="{st}">{esc(self.h(c))}</a></th>\n'
                )
            out.append("                <th></th>\n              </tr>\n            </thead>\n")
            ncols = len(cols) + 2
            for si, sec in enumerate(self.groupings(typ, p, cls)):
                out.append("            <tbody>\n")
                if si:
                    out.append(
                        f'              <tr class="data1">\n                <td colspan="{ncols}"><br></td>\n              </tr>\n'
                    )
                labels = [lab for lab, _r, _q in sec]
                g = np.concatenate([np.full(len(r), i, dtype=np.int64) for i, (_l, r, _q) in enumerate(sec)])
                allrows = np.concatenate([r for _l, r, _q in sec])
                agg = AGG[typ](tab, allrows, g, len(sec), self.nm, year)
                for i, lab in enumerate(labels):
                    cells = self.cells(typ, agg, i, p)
                    if lab.startswith(("year ", "season ")):
                        cells["Span"] = ""  # the real pages leave Span empty on year and season rows
                    link = f"/ci/engine/player/{pid}.html?{sec[i][2]};{qs};view=innings"
                    out.append(
                        '              <tr class="data1">\n'
                        f'                <td class="left" nowrap="nowrap"><b>{esc(lab)}</b></td>\n'
                        + _tds(cells, cols, typ)
                        + '                <td style="white-space: nowrap;"><a\n'
                        f'                    href="{esc(link)}"\n'
                        '                    title="view all innings for this row"><img src="http://i.imgci.com/espncricinfo/guruInvestigate.gif"\n'
                        '                      width="11" height="11" border="0" alt="view innings"></a></td>\n'
                        "              </tr>\n"
                    )
                out.append("            </tbody>\n")
            out.append("          </table>\n")
        out.append(self._player_foot(p, cls, typ))
        return "".join(out)

    def _player_head(
        self, p: int, cls: int, typ: str, view_text: str, ordered: str = "default (ascending)"
    ) -> str:
        """The chrome of a player page above its tables: head, format tabs, the query description."""
        pid = int(self.m.pid[p])
        title = f"{typ.capitalize()} records | {W.CLASS_TITLE[cls]} | Cricinfo Statsguru | ESPNcricinfo.com"
        return "".join(
            (
                _HEAD.format(
                    title=esc(title),
                    crumb_href=f"/ci/engine/player/{pid}.html",
                    crumb=f"Statistics / Statsguru / {esc(self.m.p_name[p])} / {esc(W.CLASS_TITLE[cls])}",
                ),
                self._player_tabs(p, typ),
                _query_tables(
                    typ, view_text, f"/ci/engine/player/{pid}.html?class={cls};type={typ}", ordered
                ),
                "\n",
            )
        )

    def _player_foot(self, p: int, cls: int, typ: str) -> str:
        omni = f"{esc(W.CLASS_TITLE[cls])}:{typ.capitalize()} records:{esc(self.m.p_full[p])}"
        return _FOOT.format(
            last_id=self.last_match.match_id, last_label=self.m_label[self.last_match.idx], omni=omni
        )

    def player_innings_page(self, p: int, cls: int, typ: str, query: ListQuery = DEFAULT_QUERY) -> str:
        """A player's own innings view (`...?class=C;template=results;type=T;view=innings`): one row per innings
        in date order, with `Pos` and `Dismissal` (which multi-player lists do not show) and no player column.
        The span filter and `orderbyad=reverse` apply as on the results lists."""
        tab = self.tabs[typ]
        rows = self.player_rows(typ, p, CLASS_SET.get(cls, (cls,)))
        rows = rows[np.lexsort((tab["inn"][rows], tab["m"][rows], tab["date"][rows]))]
        if query != DEFAULT_QUERY:
            rows = query.order(rows[query.keep(tab["date"][rows])], tab["date"])
        out = [
            self._player_head(p, cls, typ, "innings by innings list", query.ordered()),
            '          <table class="engineTable">\n            <caption>Innings by innings list</caption>\n',
        ]
        if len(rows) == 0:
            out.append(
                '            <tbody>\n              <tr class="data1">\n'
                f'                <td class="left"><b>{NO_RECORDS}</b></td>\n'
                "              </tr>\n            </tbody>\n          </table>\n"
            )
        else:
            out.append(self._results_head(typ, OWN_INN_COLS[typ], "innings", player=False))
            out.append("            <tbody>\n")
            out.extend(self.innings_rows_html(typ, rows, cls, own=True))
            out.append("            </tbody>\n          </table>\n")
        out.append(self._player_foot(p, cls, typ))
        return "".join(out)

    def _player_tabs(self, p: int, typ: str) -> str:
        pid = int(self.m.pid[p])
        lis = []
        for c in W.CLASS_INFO:
            rows = self.player_rows("fielding", p, (c,))
            if len(rows) == 0:
                continue
            seas = sorted(self.m_season[int(i)] for i in self.tabs["fielding"]["m"][rows])
            lis.append(
                '                <li class="">\n'
                f'                  <a href="/ci/engine/player/{pid}.html?class={c};template=results;type={typ}">'
                f"{W.CLASS_TAB[c]} ({seas[0]} - {seas[-1]})</a>\n                </li>\n"
            )
        return (
            '          <form action="" style="margin:0px; padding:0px;">\n'
            '            <div class="srstabHldr" style="width:630px;font-size:11px;margin-bottom:5px;">\n'
            '              <ul id="statsTab" class="gryTab">\n' + "".join(lis) + "              </ul>\n"
            "            </div>\n          </form>\n"
        )


def _team_id(T, t: int) -> int:
    c = T.country[t]
    return W.COUNTRIES[c].team_id if c >= 0 else 140


PAD = {
    "batting": {"Ave": "padDp2", "SR": "padDp2"},
    "bowling": {"Ave": "padDp2", "Econ": "padDp2", "SR": "padDp1"},
    "fielding": {"D/I": "padDp2"},
}


def _tds(cells: dict[str, str], cols: tuple[str, ...], typ: str) -> str:
    """Data cells as the real pages write them: "-" cells nowrap (decimal columns padded), HS padAst."""
    out = []
    pad = PAD[typ]
    for c in cols:
        v = cells[c]
        if c == "Span":
            out.append(
                f'                <td class="left" nowrap="nowrap">{v}</td>\n'
                if v
                else "                <td></td>\n"
            )
        elif c == "HS":
            if v.endswith("*"):
                out.append(f"                <td>{v}</td>\n")
            else:
                nw = ' nowrap="nowrap"' if v == "-" else ""
                out.append(f'                <td class="padAst"{nw}>{v}</td>\n')
        elif v == "-":
            cl = f' class="{pad[c]}"' if c in pad else ""
            out.append(f'                <td{cl} nowrap="nowrap">-</td>\n')
        elif c in ("Opposition", "Ground", "Dismissal"):
            out.append(f'                <td class="left" nowrap="nowrap">{esc(v)}</td>\n')
        elif c == "MD" and "(" in v:
            out.append(f'                <td nowrap="nowrap">{v}</td>\n')
        else:
            out.append(f"                <td>{v}</td>\n")
    return "".join(out)
