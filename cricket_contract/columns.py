"""The one declarative column map: every column a Statsguru table shows, how it is read and what it fills.

The crawler's header checks, the transformer's typers, the replica's pages and the column table in
docs/contracts.md are all derived from it (tests/contract/test_columns.py fails when a copy drifts).

Header policy: a column is `required` when it identifies a row or carries the row's core counts (a list without
it, or with it renamed, is layout drift); every other column is optional (absent: a null column). Results
lists also carry untitled columns: a spacer after `Inns` in innings lists and a trailing one (the match link
in innings lists, empty in career lists).
"""

from __future__ import annotations

from dataclasses import dataclass

from cricket_contract.vocabulary import ALL_MEN_CLASS, FORMAT_CLASSES, TEST_CLASSES, TYPES

# How a cell is read (transform/cells.py implements each; docs/contracts.md lists them).
PARSERS = {
    "span": "`2011-2026` → first and last year",
    "count": "a whole number; `-` is unknown",
    "score": "runs with a not-out star, `258` / `52*`",
    "overs": "`123.4` → 742 balls (5 balls of the next over at most)",
    "best": "best figures `6/47` → wickets and runs",
    "max_dismissals": "`5 (5ct 0st)` → dismissals, catches, stumpings",
    "rate": "an average or rate as the site shows it, truncated; recomputed from the counts",
    "date": "`21 Jul 2011`",
    "opposition": "`v U.A.E.` → the side's canonical `team_id` (cricket_contract/teams.csv); an unknown"
    " spelling is kept as shown and reported",
    "text": "kept as shown; `-` is unknown",
}

# Lists of the limited-overs classes, and class 11's combined list, show four-wicket innings ("4").
LIMITED_LIST_CLASSES = frozenset({*(c for c in FORMAT_CLASSES if c not in TEST_CLASSES), ALL_MEN_CLASS})


@dataclass(frozen=True)
class Rate:
    """A recomputed rate: `num / (den - minus) × scale` over curated columns."""

    num: str
    den: str
    minus: str | None = None
    scale: float = 1.0

    def text(self) -> str:
        den = f"({self.den} − {self.minus})" if self.minus else self.den
        return f"{self.num} / {den}" + (f" × {self.scale:g}" if self.scale != 1.0 else "")


@dataclass(frozen=True)
class Column:
    """One column a Statsguru table may show.

    `out`: the curated columns it fills, in the parser's order. `required`: it identifies the row or carries
    its core counts (header policy above); a row is not typed without it. `classes`: the results-list classes
    whose lists show it (None: every class). `lists`: multi-player results lists show it (False: only a
    player's own page does, as `Pos` and `Dismissal` of the innings view). `sometimes`: lists that should show
    it are known without it (a real 2019 ODI career list had no `4s`/`6s`). Player pages show every column of
    their type. `marker`: innings rows put DNB/TDNB/absent/sub in this cell.
    `figure`: nulled on a marker row (a did-not-bat row has no figures). `truncated`: decimals the site
    truncates a shown rate to; `rate`: how the rate is recomputed.
    """

    header: str
    parser: str
    out: tuple[str, ...]
    required: bool = False
    aliases: tuple[str, ...] = ()
    classes: frozenset[int] | None = None
    lists: bool = True
    sometimes: bool = False
    marker: bool = False
    figure: bool = True
    truncated: int | None = None
    rate: Rate | None = None

    def __post_init__(self) -> None:
        if self.parser not in PARSERS:
            raise ValueError(f"column {self.header!r}: unknown parser {self.parser!r}")
        if (self.parser == "rate") != (self.rate is not None) or (self.rate is None) != (
            self.truncated is None
        ):
            raise ValueError(
                f"column {self.header!r}: a rate needs `rate` and `truncated`, nothing else does"
            )

    @property
    def headers(self) -> tuple[str, ...]:
        """The header text and its known aliases."""
        return (self.header, *self.aliases)

    def shown_on_list(self, klass: int) -> bool:
        return self.lists and (self.classes is None or klass in self.classes)


def _c(header: str, parser: str, *out: str, **kw) -> Column:
    return Column(header, parser, tuple(out), **kw)


SPAN = _c("Span", "span", "start_year", "end_year", required=True)
MAT = _c("Mat", "count", "matches", required=True)

# Career view (results lists, and a player page's "Career averages" / "Career summary" rows).
CAREER: dict[str, tuple[Column, ...]] = {
    "batting": (
        SPAN,
        MAT,
        _c("Inns", "count", "innings", required=True),
        _c("NO", "count", "not_outs", required=True),
        _c("Runs", "count", "runs", required=True),
        _c("HS", "score", "high_score", "high_score_not_out", required=True),
        _c("Ave", "rate", "average", required=True, truncated=2, rate=Rate("runs", "innings", "not_outs")),
        _c("BF", "count", "balls_faced"),
        _c("SR", "rate", "strike_rate", truncated=2, rate=Rate("runs", "balls_faced", scale=100.0)),
        _c("100", "count", "hundreds"),
        _c("50", "count", "fifties"),
        _c("0", "count", "ducks"),
        _c("4s", "count", "fours", sometimes=True),
        _c("6s", "count", "sixes", sometimes=True),
    ),
    "bowling": (
        SPAN,
        MAT,
        _c("Inns", "count", "innings", required=True),
        _c("Overs", "overs", "balls", required=True),
        _c("Mdns", "count", "maidens", required=True),
        _c("Runs", "count", "runs_conceded", required=True),
        _c("Wkts", "count", "wickets", required=True),
        _c("BBI", "best", "best_innings_wickets", "best_innings_runs"),
        _c("BBM", "best", "best_match_wickets", "best_match_runs", classes=TEST_CLASSES),
        _c("Ave", "rate", "average", required=True, truncated=2, rate=Rate("runs_conceded", "wickets")),
        _c("Econ", "rate", "economy", truncated=2, rate=Rate("runs_conceded", "balls", scale=6.0)),
        _c("SR", "rate", "strike_rate", truncated=1, rate=Rate("balls", "wickets")),
        _c("4", "count", "four_wickets", classes=LIMITED_LIST_CLASSES),
        _c("5", "count", "five_wickets"),
        _c("10", "count", "ten_wickets", classes=TEST_CLASSES),
    ),
    "fielding": (
        SPAN,
        MAT,
        _c("Inns", "count", "innings", required=True),
        _c("Dis", "count", "dismissals", required=True),
        _c("Ct", "count", "caught", required=True),
        _c("St", "count", "stumped", required=True),
        _c("Ct Wk", "count", "caught_keeper"),
        _c("Ct Fi", "count", "caught_fielder"),
        _c(
            "MD",
            "max_dismissals",
            "max_dismissals_innings",
            "max_dismissals_caught",
            "max_dismissals_stumped",
        ),
        _c("D/I", "rate", "dismissals_per_innings", truncated=3, rate=Rate("dismissals", "innings")),
    ),
}

# The columns every innings row ends with (the untitled spacer follows `Inns`, the match link closes the row).
_INNINGS_TAIL = (
    _c("Inns", "count", "innings_number", required=True, figure=False),
    _c("Opposition", "opposition", "opposition", figure=False),
    _c("Ground", "text", "ground", figure=False),
    _c("Start Date", "date", "match_date", required=True, figure=False),
)

# Innings view (results lists with `view=innings`): one row per player and innings.
INNINGS: dict[str, tuple[Column, ...]] = {
    "batting": (
        _c("Runs", "score", "runs", "not_out", required=True, marker=True),
        _c("Mins", "count", "minutes"),
        _c("BF", "count", "balls_faced"),
        _c("4s", "count", "fours"),
        _c("6s", "count", "sixes"),
        _c("SR", "rate", "strike_rate", truncated=2, rate=Rate("runs", "balls_faced", scale=100.0)),
        _c("Pos", "count", "position", figure=False, lists=False),
        _c("Dismissal", "text", "dismissal", lists=False),
        *_INNINGS_TAIL,
    ),
    "bowling": (
        _c("Overs", "overs", "balls", required=True, marker=True),
        _c("Mdns", "count", "maidens", required=True),
        _c("Runs", "count", "runs_conceded", required=True),
        _c("Wkts", "count", "wickets", required=True),
        _c("Econ", "rate", "economy", truncated=2, rate=Rate("runs_conceded", "balls", scale=6.0)),
        _c("Pos", "count", "position", lists=False),
        *_INNINGS_TAIL,
    ),
    "fielding": (
        _c("Dis", "count", "dismissals", required=True, marker=True),
        _c("Ct", "count", "caught", required=True),
        _c("St", "count", "stumped", required=True),
        _c("Ct Wk", "count", "caught_keeper"),
        _c("Ct Fi", "count", "caught_fielder"),
        *_INNINGS_TAIL,
    ),
}

VIEW_COLUMNS: dict[str, dict[str, tuple[Column, ...]]] = {"career": CAREER, "innings": INNINGS}


def columns(view: str, type_: str) -> tuple[Column, ...]:
    """Every column the site may show in `view` (career | innings) for `type_`, in page order."""
    return VIEW_COLUMNS[view][type_]


SPACER_AFTER = "Inns"  # innings lists and views: an untitled spacer column follows `Inns`


def list_columns(klass: int, type_: str, view: str) -> tuple[Column, ...]:
    """The columns of a multi-player results list of `klass` (the player column and untitled columns aside)."""
    return tuple(c for c in columns(view, type_) if c.shown_on_list(klass))


def list_headers(klass: int, type_: str, view: str) -> tuple[str, ...]:
    return tuple(c.header for c in list_columns(klass, type_, view))


def with_untitled(headers: tuple[str, ...], view: str) -> tuple[str, ...]:
    """A header row as the site writes it after its first column: "" for the untitled spacer after `Inns`
    (innings view) and for the trailing column (the match link in innings rows, empty in career lists)."""
    out: list[str] = []
    for h in headers:
        out.append(h)
        if view == "innings" and h == SPACER_AFTER:
            out.append("")
    return (*out, "")


def list_row(klass: int, type_: str, view: str) -> tuple[str, ...]:
    """A results list's whole header row: `Player`, the map's columns and the untitled ones."""
    return ("Player", *with_untitled(list_headers(klass, type_, view), view))


def player_innings_headers(type_: str) -> tuple[str, ...]:
    """A player's own innings view (`/ci/engine/player/<id>.html?...;view=innings`): every innings column,
    `Pos` and `Dismissal` included (no player column: the page is one player's)."""
    return tuple(c.header for c in INNINGS[type_])


def player_page_headers(klass: int, type_: str) -> tuple[str, ...]:
    """A player page's career columns. Class 11 pages show every column but the limited-overs-only "4" (as the
    real pages do); a page of one class shows that class's list columns."""
    if klass not in FORMAT_CLASSES:
        return tuple(c.header for c in CAREER[type_] if c.classes != LIMITED_LIST_CLASSES)
    return list_headers(klass, type_, "career")


def common_headers(view: str, type_: str) -> tuple[str, ...]:
    """The columns every list of the type shows, whatever its class."""
    return tuple(c.header for c in columns(view, type_) if c.classes is None)


def known_headers() -> tuple[str, ...]:
    """Every header (and alias) any Statsguru table is known to show, in first-seen order."""
    seen: dict[str, None] = {}
    for view in VIEW_COLUMNS.values():
        for cols in view.values():
            for col in cols:
                seen.update(dict.fromkeys(col.headers))
    return tuple(seen)


def required_headers(view: str, type_: str) -> tuple[str, ...]:
    return tuple(c.header for c in columns(view, type_) if c.required)


def _shown(headers: tuple[str, ...], view: str, type_: str) -> str:
    """A header row for the docs: untitled columns as `·`, several-word headers quoted, `[...]` where lists
    are known without the column."""
    sometimes = {c.header for c in columns(view, type_) if c.sometimes} if type_ else set()
    out = []
    for h in headers:
        text = "·" if not h else f'"{h}"' if " " in h else h
        out.append(f"[{text}]" if h in sometimes else text)
    return " ".join(out)


def markdown() -> str:
    """The column section of docs/contracts.md, rendered from the map: page column orders, then the table."""
    lines = [
        "Results lists, in page order (`·` is an untitled column: the spacer after `Inns` and the trailing one,"
        " the match link in innings rows and empty in career lists; `[...]` columns some lists leave out):"
    ]
    for view in VIEW_COLUMNS:
        for type_ in TYPES:
            by_headers: dict[tuple[str, ...], list[int]] = {}
            for klass in (*FORMAT_CLASSES, ALL_MEN_CLASS):
                by_headers.setdefault(list_row(klass, type_, view), []).append(klass)
            for headers, classes in by_headers.items():
                lines.append(
                    f"- {view} {type_}, classes {', '.join(map(str, classes))}: `{_shown(headers, view, type_)}`"
                )
    lines.append("")
    lines.append("Player pages (`/ci/engine/player/<id>.html`, class 11), after the grouping column:")
    for type_ in TYPES:
        lines.append(f"- {type_}: `{_shown(player_page_headers(ALL_MEN_CLASS, type_), 'career', '')}`")
    lines.append("")
    lines.append(
        "A player's own innings view (`/ci/engine/player/<id>.html?class=C;template=results;type=T;view=innings`):"
    )
    for type_ in TYPES:
        lines.append(
            f"- {type_}: `{_shown(with_untitled(player_innings_headers(type_), 'innings'), 'innings', type_)}`"
        )
    lines += [
        "",
        "Required columns identify a row or carry its core counts: a list without one (or with it renamed) is"
        " layout drift. Every other column is optional: a list without it is not drift, and its curated"
        " columns are null.",
        "",
        markdown_table(),
        "",
        "How each kind of cell is read:",
    ]
    lines += [f"- `{kind}`: {what}" for kind, what in PARSERS.items()]
    return "\n".join(lines)


def markdown_table() -> str:
    """The column table of docs/contracts.md, rendered from the map."""
    lines = [
        "| view | type | header | read as | required | curated columns | shown in |",
        "|---|---|---|---|---|---|---|",
    ]
    for view, by_type in VIEW_COLUMNS.items():
        for type_ in TYPES:
            for c in by_type[type_]:
                if not c.lists:
                    where = "a player's own page only"
                elif c.classes is None:
                    where = "every list" + (" (some lists leave it out)" if c.sometimes else "")
                else:
                    where = "classes " + ", ".join(map(str, sorted(c.classes)))
                read = c.parser
                if c.rate is not None:
                    read += f" ({c.truncated} decimals; {c.rate.text()})"
                if c.marker:
                    read += "; DNB/TDNB/absent/sub here"
                lines.append(
                    f"| {view} | {type_} | `{c.header}` | {read} | {'yes' if c.required else 'no'} "
                    f"| {', '.join(f'`{o}`' for o in c.out)} | {where} |"
                )
    return "\n".join(lines)
