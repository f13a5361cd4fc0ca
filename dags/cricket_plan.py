"""What one DAG run was asked to do (its params, validated) and every command line of it; no Airflow imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cricket_commands import (
    CLASSES,
    CRICSHEET_MODES,
    cricsheet_command,
    profiles_command,
    publish_command,
    raw_run_uri,
    refresh_command,
    safe_run_id,
    scrape_command,
    transform_command,
)

from cricket_contract.refresh import OVERLAP_DAYS
from cricket_contract.vocabulary import (
    RENDER_MODES,
    TYPES,
    VIEWS,
)

# `refresh`: the scheduled run, `cricket-scrape refresh` (a full crawl without state or every
# `full_every_weeks`, else the week's delta); `lists`: the classes × views asked for, crawled whole.
MODES = ("refresh", "lists")
FULL_EVERY_WEEKS = 13
# A backfill chunk: about 6 days at Crawl-delay 15, inside the scrape task's timeout; the next run continues.
MAX_REQUESTS = 34_000

# What a deploy triggers to prove itself: one small class (women's Tests, a few results pages), one
# type, no profiles, published to the smoke target so the weekly run's tables stay as they are.
SMOKE_PARAMS: dict = {
    "mode": "lists",
    "classes": [8],
    "types": ["batting"],
    "views": ["career"],
    "profiles": False,
    "smoke": True,
}


def _as_list(value: Iterable | str, what: str) -> list:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    else:
        items = list(value)
    if not items:
        raise ValueError(f"{what}: at least one value is needed")
    return items


@dataclass(frozen=True)
class Request:
    """What one DAG run was asked to do (its params), validated."""

    classes: tuple[int, ...]
    types: tuple[str, ...]
    views: tuple[str, ...]
    profiles: bool = True
    render: str = "auto"
    max_reject_ratio: float = 0.01
    smoke: bool = False
    mode: str = "refresh"
    full: bool = False
    max_requests: int = MAX_REQUESTS
    full_every_weeks: int = FULL_EVERY_WEEKS
    overlap_days: int = OVERLAP_DAYS
    cricsheet: str = "off"

    @classmethod
    def from_params(cls, params: Mapping) -> Request:
        classes = tuple(int(c) for c in _as_list(params.get("classes", CLASSES), "classes"))
        types = tuple(str(t) for t in _as_list(params.get("types", TYPES), "types"))
        views = tuple(str(v) for v in _as_list(params.get("views", ("career",)), "views"))
        bad = (
            [f"class {c}" for c in classes if c not in CLASSES]
            + [f"type {t!r}" for t in types if t not in TYPES]
            + [f"view {v!r}" for v in views if v not in VIEWS]
        )
        render = str(params.get("render", "auto"))
        if render not in RENDER_MODES:
            bad.append(f"render {render!r}")
        ratio = float(params.get("max_reject_ratio", 0.01))
        if not 0 <= ratio <= 1:
            bad.append(f"max_reject_ratio {ratio}")
        mode = str(params.get("mode", "refresh"))
        if mode not in MODES:
            bad.append(f"mode {mode!r}")
        counts = {}
        for name, default in (
            ("max_requests", MAX_REQUESTS),
            ("full_every_weeks", FULL_EVERY_WEEKS),
            ("overlap_days", OVERLAP_DAYS),
        ):
            value = params.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                bad.append(f"{name} {value!r}")
            counts[name] = value
        cricsheet = str(params.get("cricsheet") or "off")
        if cricsheet not in CRICSHEET_MODES:
            bad.append(f"cricsheet {cricsheet!r}")
        if bad:
            raise ValueError("unknown " + ", ".join(bad))
        return cls(
            mode=mode,
            full=bool(params.get("full", False)),
            **counts,
            classes=tuple(dict.fromkeys(classes)),
            types=tuple(dict.fromkeys(types)),
            views=tuple(dict.fromkeys(views)),
            profiles=bool(params.get("profiles", True)),
            render=render,
            max_reject_ratio=ratio,
            smoke=bool(params.get("smoke", False)),
            cricsheet=cricsheet,
        )

    def expected_tables(self) -> list[str]:
        """Curated tables this request must fill (rows > 0 in the check)."""
        # players is built from the list rows' player cells, profiles only enrich it.
        if self.mode == "refresh":  # the snapshot holds every list of every type
            return ["players"] + [f"{t}_{v}" for v in VIEWS for t in TYPES]
        return ["players"] + [f"{t}_{v}" for v in self.views for t in self.types]


def publish_target(
    request: Request,
    *,
    curated: str,
    glue_database: str,
    smoke_curated: str | None = None,
    smoke_database: str | None = None,
) -> tuple[str, str]:
    """(curated root, Glue database) the run publishes to: the smoke target for a smoke run.

    A smoke run is a deploy's check, not data: it must never replace what the weekly run
    published. Its defaults sit beside the real ones: `<curated>/_smoke` and `<database>_smoke`.
    """
    if not request.smoke:
        return curated, glue_database
    return (
        smoke_curated or (f"{curated.rstrip('/')}/_smoke" if curated else ""),
        smoke_database or (f"{glue_database}_smoke" if glue_database else ""),
    )


@dataclass(frozen=True)
class Plan:
    """Every command line of one DAG run, derived from its id, its request and the storage locations."""

    run_id: str
    scrape: list[list[str]]
    scrape_runs: list[str]
    profiles: list[list[str]]
    profile_runs: list[str]
    transform: list[str]
    publish: list[str]
    expected_tables: list[str] = field(default_factory=list)
    cricsheet: list[list[str]] = field(default_factory=list)  # none, or one `cricket-scrape cricsheet`


def plan(
    *,
    dag_run_id: str,
    request: Request,
    raw: str,
    curated: str,
    glue_database: str,
    base_url: str | None = None,
    scrape_settings: Mapping[str, str] | None = None,
    until: str | None = None,
    cricsheet_url: str | None = None,
) -> Plan:
    """Lists mode: raw runs `<run>-c<class>-<view>` and `<run>-profiles`. Refresh mode: one `cricket-scrape
    refresh` up to `until` (the data interval's last day), whose run ids are the refresh's own, and a transform
    of the snapshot the state names. The curated run is `<run>`."""
    for name, uri in (("raw", raw), ("curated", curated)):
        if not uri:
            raise ValueError(f"the {name} location is not set (Airflow Variable CRICKET_{name.upper()}_URI)")
    if not glue_database:
        raise ValueError("the Glue database is not set (Airflow Variable CRICKET_GLUE_DATABASE)")
    run = safe_run_id(dag_run_id)
    # Its own host and politeness; the transform reads every finished cricsheet run whatever it names.
    # (never in a deploy's smoke run: it proves the images on a few Statsguru pages)
    cricsheet = (
        []
        if request.cricsheet == "off" or request.smoke
        else [
            cricsheet_command(
                raw=raw,
                run_id=f"{run}-cricsheet",
                mode=request.cricsheet,
                base_url=cricsheet_url,
                settings=scrape_settings,
            )
        ]
    )
    if request.mode == "refresh":
        if not until:
            raise ValueError("a refresh needs the day it reads up to (the data interval's end)")
        if cricsheet:  # the refresh's own Cricsheet run: the backfill, recently_added_7 or _30 by its state
            cricsheet = [
                refresh_command(
                    raw=raw,
                    until=until,
                    full=request.full or request.cricsheet == "full",
                    full_every_weeks=request.full_every_weeks,
                    overlap_days=request.overlap_days,
                    base_url=base_url,
                    settings=scrape_settings,
                    cricsheet="only",
                    cricsheet_url=cricsheet_url,
                )
            ]
        return Plan(
            run_id=run,
            scrape=[
                refresh_command(
                    raw=raw,
                    until=until,
                    full=request.full,
                    max_requests=request.max_requests,
                    full_every_weeks=request.full_every_weeks,
                    overlap_days=request.overlap_days,
                    render=request.render,
                    base_url=base_url,
                    settings=scrape_settings,
                )
            ],
            scrape_runs=[],
            profiles=[],
            profile_runs=[],
            transform=transform_command(
                raw=raw,
                curated=curated,
                raw_runs=[],
                run_id=run,
                max_reject_ratio=request.max_reject_ratio,
                snapshot=True,
            ),
            publish=publish_command(curated=curated, glue_database=glue_database),
            expected_tables=request.expected_tables(),
            cricsheet=cricsheet,
        )
    scrape, runs = [], []
    profile_source: dict[int, str] = {}
    for cls in request.classes:
        for view in request.views:
            rid = f"{run}-c{cls}-{view}"
            runs.append(rid)
            if cls not in profile_source or view == "career":
                profile_source[cls] = rid
            scrape.append(
                scrape_command(
                    cls=cls,
                    types=request.types,
                    view=view,
                    raw=raw,
                    run_id=rid,
                    base_url=base_url,
                    settings=scrape_settings,
                )
            )
    # One profiles crawl over the union of the classes' players (each class's career run when there
    # is one: the innings view names the same players), so a player of several formats is fetched once.
    profiles, profile_runs = [], []
    if request.profiles and profile_source:
        pid = f"{run}-profiles"
        profile_runs.append(pid)
        profiles.append(
            profiles_command(
                from_raw=[raw_run_uri(raw, "statsguru", rid) for rid in profile_source.values()],
                raw=raw,
                run_id=pid,
                render=request.render,
                base_url=base_url,
                settings=scrape_settings,
            )
        )
    return Plan(
        run_id=run,
        scrape=scrape,
        scrape_runs=runs,
        profiles=profiles,
        profile_runs=profile_runs,
        transform=transform_command(
            raw=raw,
            curated=curated,
            raw_runs=runs + profile_runs,
            run_id=run,
            max_reject_ratio=request.max_reject_ratio,
        ),
        publish=publish_command(curated=curated, glue_database=glue_database),
        expected_tables=request.expected_tables(),
        cricsheet=cricsheet,
    )
