"""Spider parameters declared once (name, kind, allowed values, default, help) for the spiders, CLI and DAG."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cricket_contract.layout import check_run_id
from cricket_contract.vocabulary import (
    ALL_MEN_CLASS,
    CRICSHEET_ARCHIVES,
    CRICSHEET_DEFAULT_ARCHIVES,
    CRICSHEET_RECENT_DAYS,
    DEFAULT_PAGE_SIZE,
    FORMAT_CLASSES,
    PAGE_SIZES,
    QUERY_CLASSES,
    RENDER_MODES,
    TYPES,
    VIEWS,
)

# What a value given as text (`-a NAME=VALUE`, a command-line flag) may be, per kind.
KINDS = {
    "int_list": "a comma list of integers out of `allowed`",
    "str_list": "a comma list of names out of `allowed`",
    "id_list": "a comma list of positive integers (repeats dropped, order kept)",
    "choice": "one value out of `allowed`",
    "int": "a positive integer",
    "run_id": "letters, digits and . _ : - (at most 128)",
    "date": "an ISO date YYYY-MM-DD",
    "text": "any text",
}
_JSON_TYPE = {int: "integer", str: "string"}


@dataclass(frozen=True)
class Param:
    """One spider parameter. `default` is typed (None: the parameter is optional and has none).

    `cli`: cricket-scrape has a `--name` flag for it (`repeatable`: the flag may be given several times,
    its values joined by commas). `recorded`: the spider records the value in the run's manifest
    (`arguments`: as given, or the default's text).
    """

    name: str
    kind: str
    help: str
    default: Any = None
    allowed: tuple[Any, ...] | None = None
    cli: bool = False
    repeatable: bool = False
    recorded: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name!r}: unknown kind {self.kind!r}")
        if (self.allowed is None) == (self.kind in ("int_list", "str_list", "choice")):
            raise ValueError(f"parameter {self.name!r}: `allowed` goes with list and choice kinds only")

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, value: Any) -> Any:
        """The typed value of `value` (text as typed, or already typed); ValueError naming the parameter."""
        if value is None:
            return self.default
        kind, name = self.kind, self.name
        if kind in ("int_list", "str_list", "id_list"):
            return self._parse_list(value)
        text = str(value).strip()
        if kind == "choice":
            for allowed in self.allowed or ():
                if text == str(allowed):
                    return allowed
            raise ValueError(f"{name}={value!r}: expected one of {', '.join(map(str, self.allowed or ()))}")
        if kind == "int":
            if not text.isdigit() or int(text) <= 0:
                raise ValueError(f"{name}={value!r}: expected a positive integer")
            return int(text)
        if kind == "run_id":
            return check_run_id(text)
        if kind == "date":
            if isinstance(value, dt.date):
                return value
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{name}={value!r}: expected an ISO date YYYY-MM-DD") from None
        return text

    def _parse_list(self, value: Any) -> tuple[Any, ...]:
        parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
        parts = [p.strip() for p in parts if p.strip()]
        if self.kind == "id_list":
            bad = next((p for p in parts if not p.isdigit() or int(p) <= 0), None)
            if bad is not None:
                raise ValueError(
                    f"{self.name}: {bad!r} is not a player id (comma-separated positive integers)"
                )
            return tuple(dict.fromkeys(int(p) for p in parts))
        if self.kind == "int_list":
            bad = next((p for p in parts if not p.isdigit()), None)
            if bad is not None:
                raise ValueError(f"{self.name}: {bad!r} is not an integer (expected a comma list like 1,2,3)")
        out = [int(p) for p in parts] if self.kind == "int_list" else parts
        unknown = [v for v in out if v not in (self.allowed or ())]
        if unknown or not out:
            raise ValueError(f"{self.name}: {unknown or value!r} not in {list(self.allowed or ())}")
        return tuple(out)

    def text(self, value: Any) -> str:
        """`value` as it is typed on a command line (`1,2,3` for a list)."""
        if isinstance(value, (tuple, list)):
            return ",".join(map(str, value))
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def schema(self) -> dict[str, Any]:
        """A JSON Schema of the typed value (what an Airflow `Param(default, **schema)` takes)."""
        out: dict[str, Any] = {"description": self.help}
        if self.kind in ("int_list", "str_list", "id_list"):
            item = {"type": "integer"} if self.kind != "str_list" else {"type": "string"}
            if self.allowed is not None:
                item["enum"] = list(self.allowed)
            elif self.kind == "id_list":
                item["minimum"] = 1
            out.update(type="array", items=item, minItems=1)
        elif self.kind == "choice":
            types = {_JSON_TYPE[type(a)] for a in self.allowed or ()}
            out.update(type=types.pop() if len(types) == 1 else sorted(types), enum=list(self.allowed or ()))
        elif self.kind == "int":
            out.update(type="integer", minimum=1)
        else:
            out["type"] = "string"
            if self.kind == "run_id":
                out["pattern"] = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
            elif self.kind == "date":
                out["format"] = "date"
        if self.default is not None:
            out["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        return out


BASE_URL = Param("base_url", "text", "site root (default https://stats.espncricinfo.com)", cli=True)
RUN_ID = Param("run_id", "run_id", "run id (default: a UTC timestamp)", cli=True, recorded=False)
CLASSES = Param(
    "classes",
    "int_list",
    "Statsguru classes: 1 Test, 2 ODI, 3 T20I, 8-10 the women's Test, ODI, T20I, 11 all three men's",
    default=FORMAT_CLASSES,
    allowed=QUERY_CLASSES,
    cli=True,
)
TYPES_PARAM = Param("types", "str_list", "batting,bowling,fielding", default=TYPES, allowed=TYPES, cli=True)
VIEW = Param("view", "choice", "results-list view", default="career", allowed=VIEWS, cli=True)
SIZE = Param("size", "choice", "rows per results page", default=DEFAULT_PAGE_SIZE, allowed=PAGE_SIZES)
SINCE = Param(
    "since",
    "date",
    "innings lists: only matches that started on or after this ISO date (the site's span filter)",
    cli=True,
)
UNTIL = Param(
    "until",
    "date",
    "innings lists: only matches that started on or before this ISO date (the site's span filter)",
    cli=True,
)
PLAYER_VIEW = Param(
    "view",
    "choice",
    "player pages: `career` (Career averages/summary) or `innings` (the player's own innings list)",
    default="career",
    allowed=VIEWS,
    cli=True,
)
PLAYER_IDS = Param("player_ids", "id_list", "comma list of player ids", cli=True)
FROM_RAW = Param(
    "from_raw",
    "text",
    "a finished raw run whose player ids to take (repeatable: the union of the runs' players)",
    cli=True,
    repeatable=True,
)
RENDER = Param(
    "render", "choice", "when to render profiles with Chromium", default="auto", allowed=RENDER_MODES
)
RENDER_TIMEOUT_MS = Param(
    "render_timeout_ms", "int", "how long a rendered profile may take to show its details", default=15_000
)
ATHLETE_BASE_URL = Param(
    "athlete_base_url", "text", "where the athlete JSON lives (default: ESPN's core API for the real site)"
)

ARCHIVES = Param(
    "archives",
    "str_list",
    "Cricsheet archives, {name}_json.zip each: tests, odis, t20s, their _male/_female variants, all",
    default=CRICSHEET_DEFAULT_ARCHIVES,
    allowed=CRICSHEET_ARCHIVES,
    cli=True,
)
RECENT = Param(
    "recent",
    "choice",
    "fetch only Cricsheet's recently_added_{N}_json.zip (2, 7 or 30 days) instead of --archives",
    allowed=CRICSHEET_RECENT_DAYS,
    cli=True,
)
REGISTER = Param(
    "register",
    "choice",
    "fetch Cricsheet's people register (register/people.csv)",
    "yes",
    ("yes", "no"),
    cli=True,
)

COMMON: tuple[Param, ...] = (BASE_URL, RUN_ID)
SPIDERS: dict[str, tuple[Param, ...]] = {
    "statsguru": (CLASSES, TYPES_PARAM, VIEW, SIZE, SINCE, UNTIL),
    "player_stats": (
        PLAYER_IDS,
        FROM_RAW,
        PLAYER_VIEW,
        TYPES_PARAM,
        replace(CLASSES, default=(ALL_MEN_CLASS,), help=CLASSES.help + "; women's pages are under 8, 9, 10"),
    ),
    "profiles": (PLAYER_IDS, FROM_RAW, RENDER, RENDER_TIMEOUT_MS, ATHLETE_BASE_URL),
    "cricsheet": (
        replace(BASE_URL, help="Cricsheet's root (default https://cricsheet.org)"),
        ARCHIVES,
        RECENT,
        REGISTER,
    ),
}
# Parameters of which at most one may be given.
EXCLUSIVE: tuple[tuple[str, str], ...] = (("player_ids", "from_raw"),)


def spider_params(spider: str) -> dict[str, Param]:
    """The parameters a spider declares (the common ones included), by name."""
    return {p.name: p for p in (*COMMON, *SPIDERS.get(spider, ()))}


def cli_params() -> tuple[Param, ...]:
    """Every parameter with a cricket-scrape flag, once per name, in declaration order."""
    seen: dict[str, Param] = {}
    for p in (*COMMON, *(q for params in SPIDERS.values() for q in params)):
        if p.cli:
            seen.setdefault(p.name, p)
    return tuple(seen.values())


def parse_arguments(spider: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of every declared parameter of `spider` (defaults filled in); ValueError on a bad one.

    Names `spider` does not declare are left out: Scrapy hands them to the spider as attributes.
    """
    declared = spider_params(spider)
    for a, b in EXCLUSIVE:
        if given.get(a) is not None and given.get(b) is not None and a in declared and b in declared:
            raise ValueError(f"give {a} or {b}, not both")
    out = {name: p.parse(given.get(name)) for name, p in declared.items()}
    since, until = out.get("since"), out.get("until")
    if since is not None and until is not None and since > until:
        raise ValueError(f"since={since} is after until={until}")
    if (since or until) and out.get("view") != "innings":
        # a career list over a span aggregates only the span's matches: never what a refresh wants
        raise ValueError("since/until filter innings lists only (view=innings)")
    return out


def recorded_arguments(spider: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """What a run records of its declared parameters: the text as given, else the default's text (an int
    parameter as its number); optional parameters only when given."""
    out: dict[str, Any] = {}
    for name, p in spider_params(spider).items():
        value = given.get(name)
        if not p.recorded or (value is None and p.default is None):
            continue
        if p.kind == "int":
            out[name] = p.parse(value)
        elif isinstance(value, str):
            out[name] = value
        else:
            out[name] = p.text(p.default if value is None else value)
    return out
