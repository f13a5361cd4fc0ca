"""Command lines of the cricket_stats DAG's steps and the check of a published run; no Airflow imports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

BACKENDS = ("kubernetes", "ecs", "local")
DEFAULT_BACKEND = "ecs"

# Classes with a curated `format` (transform/schemas.py FORMAT_BY_CLASS); 11 is a query class only.
CLASSES = (1, 2, 3, 8, 9, 10)
TYPES = ("batting", "bowling", "fielding")
VIEWS = ("career", "innings")
RENDER_MODES = ("auto", "always", "never")
# `refresh`: the scheduled run, `cricket-scrape refresh` (a full crawl without state or every
# `full_every_weeks`, else the week's delta); `lists`: the classes × views asked for, crawled whole.
MODES = ("refresh", "lists")
OVERLAP_DAYS = 7
FULL_EVERY_WEEKS = 13
# A backfill chunk: about 6 days at Crawl-delay 15, inside the scrape task's timeout; the next run continues.
MAX_REQUESTS = 34_000
# The cricsheet step: off, the weekly delta (recently_added_7_json.zip) or the full archives.
CRICSHEET_MODES = ("off", "recent", "full")

# Exit codes that are verdicts, not transient faults: a retry would only ask the site again for the
# same answer (cricket-scrape, issue 3) or re-read the same bad input (cricket-transform, issue 5).
EXIT_BLOCKED = 2
EXIT_DRIFT = 3
EXIT_TOO_MANY_REJECTS = 4
EXIT_SHRINK = 5
_SCRAPE_VERDICTS = {
    EXIT_BLOCKED: "blocked by the site (robots.txt, 403 or an 'Access Denied' page)",
    EXIT_DRIFT: "layout drift (a table header the parser does not know)",
}
FINAL_EXITS: dict[str, dict[int, str]] = {
    "scrape": _SCRAPE_VERDICTS,
    "profiles": _SCRAPE_VERDICTS,
    "cricsheet": _SCRAPE_VERDICTS,
    "transform": {
        EXIT_TOO_MANY_REJECTS: "too many rejected rows; nothing was published",
        EXIT_SHRINK: "the run has no rows or would shrink the published tables (--allow-shrink); nothing was published",
    },
    "publish": {},
}

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

# Which program (and so which image / task definition) runs each step.
SCRAPER_STEPS = ("scrape", "profiles", "cricsheet")
TRANSFORMER_STEPS = ("transform", "publish")

_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def resolve_backend(env_value: str | None, variable_value: str | None) -> str:
    """The backend from the environment (wins) or the Airflow Variable, else the default; rejects unknown names."""
    value = (env_value or variable_value or DEFAULT_BACKEND).strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"CRICKET_BACKEND={value!r} is not one of {', '.join(BACKENDS)}")
    return value


def safe_run_id(dag_run_id: str) -> str:
    """A DAG run id made safe for S3 keys and Hive-style `run_id=` paths (no ':' or '+').

    cricket-scrape accepts `[A-Za-z0-9][A-Za-z0-9._:-]{0,127}`; 100 characters leave room for the
    per-step suffixes (`-c10-innings`, `-profiles`).
    """
    out = _RUN_ID_UNSAFE.sub("-", dag_run_id).lstrip("-._").rstrip("-.")
    if not out:
        raise ValueError(f"DAG run id {dag_run_id!r} has no usable characters")
    return out[:100].rstrip("-.")


def until_of(data_interval_end) -> str:
    """The last day a run's data interval covers (its end is exclusive), as an ISO date; today (UTC) for a run
    without one."""
    import datetime as dt

    if data_interval_end is None:
        return dt.datetime.now(dt.timezone.utc).date().isoformat()
    return (data_interval_end - dt.timedelta(microseconds=1)).date().isoformat()


def raw_run_uri(raw: str, spider: str, run_id: str) -> str:
    """Where cricket-scrape writes a run: `{raw}/{spider}/run_id={run_id}` (docs/contracts.md §4)."""
    return f"{raw.rstrip('/')}/{spider}/run_id={run_id}"


def _settings_args(settings: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for name, value in settings.items():
        out += ["-s", f"{name}={value}"]
    return out


# A cleared or retried step whose crawl already finished (its raw run is immutable) has nothing left to do:
# cricket-scrape exits 0 for it instead of refusing the run id (exit 1, which would be retried in vain).
RERUN_IS_DONE = ("--if-finished", "done")


def scrape_command(
    *,
    cls: int,
    types: Sequence[str],
    view: str,
    raw: str,
    run_id: str,
    base_url: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> list[str]:
    """`cricket-scrape statsguru` for one class and view."""
    argv = [
        "cricket-scrape",
        "statsguru",
        "--classes",
        str(cls),
        "--types",
        ",".join(types),
        "--view",
        view,
        "--raw",
        raw,
        "--run-id",
        run_id,
        *RERUN_IS_DONE,
    ]
    if base_url:
        argv += ["--base-url", base_url]
    return argv + _settings_args(settings or {})


def profiles_command(
    *,
    from_raw: Sequence[str],
    raw: str,
    run_id: str,
    render: str = "auto",
    base_url: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> list[str]:
    """`cricket-scrape profiles` for the players of finished raw runs (one `--from-raw` per run: their union)."""
    if not from_raw:
        raise ValueError("profiles needs at least one raw run")
    argv = ["cricket-scrape", "profiles"]
    for uri in from_raw:
        argv += ["--from-raw", uri]
    argv += ["--raw", raw, "--run-id", run_id, *RERUN_IS_DONE]
    argv += ["-a", f"render={render}"]
    if base_url:
        argv += ["--base-url", base_url]
    return argv + _settings_args(settings or {})


def cricsheet_command(
    *,
    raw: str,
    run_id: str,
    mode: str,
    base_url: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> list[str]:
    """`cricket-scrape cricsheet`: the weekly delta (`recent`) or the full archives (`full`) and the register."""
    if mode not in CRICSHEET_MODES[1:]:
        raise ValueError(f"cricsheet mode {mode!r}: expected recent or full")
    argv = ["cricket-scrape", "cricsheet", "--raw", raw, "--run-id", run_id, *RERUN_IS_DONE]
    if mode == "recent":
        argv += ["--recent", "7"]
    if base_url:
        argv += ["--base-url", base_url]
    return argv + _settings_args(settings or {})


def refresh_command(
    *,
    raw: str,
    until: str,
    full: bool = False,
    max_requests: int = 0,
    full_every_weeks: int = 0,
    overlap_days: int = OVERLAP_DAYS,
    render: str = "auto",
    base_url: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> list[str]:
    """`cricket-scrape refresh` up to `until` (ISO): its runs one after another, then the refresh state."""
    argv = ["cricket-scrape", "refresh", "--raw", raw, "--until", until, "--overlap-days", str(overlap_days)]
    if full:
        argv.append("--full")
    if full_every_weeks:
        argv += ["--full-every-weeks", str(full_every_weeks)]
    if max_requests:
        argv += ["--max-requests", str(max_requests)]
    argv += ["-a", f"render={render}"]
    if base_url:
        argv += ["--base-url", base_url]
    return argv + _settings_args(settings or {})


def transform_command(
    *,
    raw: str,
    curated: str,
    raw_runs: Sequence[str],
    run_id: str,
    max_reject_ratio: float,
    snapshot: bool = False,
) -> list[str]:
    """`cricket-transform run` over exactly this DAG run's raw runs, or (`snapshot`) over the runs the refresh
    state `{raw}/_state/refresh.json` names."""
    if not raw_runs and not snapshot:
        raise ValueError("transform needs at least one raw run")
    argv = ["cricket-transform", "run", "--raw", raw, "--curated", curated]
    for rid in raw_runs:
        argv += ["--raw-run", rid]
    return argv + ["--run-id", run_id, "--max-reject-ratio", repr(float(max_reject_ratio))]


def publish_command(*, curated: str, glue_database: str) -> list[str]:
    """`cricket-transform publish`: point the Glue tables at the current curated run."""
    return ["cricket-transform", "publish", "--curated", curated, "--glue-database", glue_database]


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


def backend_settings(
    backend: str, var: Callable[[str, str | None], str | None], *, image_tag: str | None = None
) -> tuple[dict, dict[str, str | None]]:
    """The backend's run-time settings from Airflow Variables (`var(name, default)`), and each step's container.

    Kubernetes: the two images at the run's tag (param, else Variable CRICKET_IMAGE_TAG, else
    `latest`). ECS: cluster, task definitions, awsvpc network and CloudWatch log settings.
    """

    def required(name: str) -> str:
        value = var(name, None)
        if not value:
            raise ValueError(f"Airflow Variable {name} is required by the {backend} backend")
        return value

    def csv(name: str) -> list[str]:
        return [v.strip() for v in required(name).split(",") if v.strip()]

    steps = SCRAPER_STEPS + TRANSFORMER_STEPS
    if backend == "kubernetes":
        tag = image_tag or var("CRICKET_IMAGE_TAG", None) or "latest"
        images = {
            "scraper_image": f"{required('CRICKET_SCRAPER_IMAGE')}:{tag}",
            "transformer_image": f"{required('CRICKET_TRANSFORMER_IMAGE')}:{tag}",
        }
        return images, dict.fromkeys(steps)
    if backend == "ecs":
        scraper = var("CRICKET_ECS_SCRAPER_CONTAINER", None) or "scraper"
        transformer = var("CRICKET_ECS_TRANSFORMER_CONTAINER", None) or "transformer"
        prefix = var("CRICKET_ECS_LOG_STREAM_PREFIX", None) or "cricket"
        settings = {
            "ecs_cluster": required("CRICKET_ECS_CLUSTER"),
            "ecs_scraper_container": scraper,
            "ecs_transformer_container": transformer,
            "ecs_scraper_task_definition": required("CRICKET_ECS_SCRAPER_TASK_DEFINITION"),
            "ecs_transformer_task_definition": required("CRICKET_ECS_TRANSFORMER_TASK_DEFINITION"),
            "ecs_log_group": var("CRICKET_ECS_LOG_GROUP", None) or None,
            # The awslogs driver names streams `<prefix>/<container>/<task id>`.
            "ecs_scraper_log_prefix": f"{prefix}/{scraper}",
            "ecs_transformer_log_prefix": f"{prefix}/{transformer}",
            "ecs_network": {
                "awsvpcConfiguration": {
                    "subnets": csv("CRICKET_ECS_SUBNETS"),
                    "securityGroups": csv("CRICKET_ECS_SECURITY_GROUPS"),
                    "assignPublicIp": var("CRICKET_ECS_ASSIGN_PUBLIC_IP", None) or "DISABLED",
                }
            },
        }
        containers = {s: (scraper if s in SCRAPER_STEPS else transformer) for s in steps}
        return settings, containers
    if backend == "local":
        return {}, dict.fromkeys(steps)
    raise ValueError(f"unknown backend {backend!r}")


def parse_settings(text: str | None) -> dict[str, str]:
    """`NAME=VALUE,NAME=VALUE` (the CRICKET_SCRAPE_SETTINGS Variable) as Scrapy `-s` settings."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"scrape setting {item!r} is not NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def final_reason(step: str, exit_code: int | None) -> str | None:
    """Why this exit of this step is final (not worth a retry), or None when a retry may help."""
    return FINAL_EXITS.get(step, {}).get(exit_code) if exit_code is not None else None


def exit_verdict(step: str, exit_code: int, tail: Iterable[str] = ()) -> tuple[bool, str]:
    """(retryable, message) for a failed step; blocked and drifted scrapes and rejected transforms are final."""
    lines = [ln.rstrip() for ln in tail if ln.strip()]
    detail = ("\n" + "\n".join(lines)) if lines else ""
    reason = final_reason(step, exit_code)
    if reason:
        return False, f"{step} stopped: {reason} (exit {exit_code}); not retried{detail}"
    return True, f"{step} failed with exit {exit_code}{detail}"


def load_published(curated: str) -> dict:
    """The curated zone's `_current.json`, read with the project's storage layer (file://, paths, s3:// with
    AWS_ENDPOINT_URL) and checked by the contract's one reader of it."""
    from cricket_contract.layout import CURRENT, read_current
    from cricket_storage import Location

    loc = Location.parse(curated).child(CURRENT)
    return read_current(loc.read_bytes(), loc.uri)


def report_page(curated: str, run_id: str) -> tuple[str, bool]:
    """The run's HTML report, `{curated}/_reports/run_id=R/index.html` (written by cricket-transform run after
    it moved `_current.json`), and whether it is there."""
    from cricket_contract.layout import report_dir
    from cricket_storage import Location

    loc = Location.parse(curated).child(report_dir(run_id), "index.html")
    return loc.uri, loc.exists()


def check_current(
    current: Mapping, *, run_id: str, expected_tables: Sequence[str], max_reject_ratio: float
) -> tuple[list[str], dict]:
    """Problems with a published `_current.json` (empty when it passes) and a one-screen report."""
    problems: list[str] = []
    if current.get("run_id") != run_id:
        problems.append(f"_current.json names run {current.get('run_id')!r}, not this DAG run's {run_id!r}")
    tables = current.get("tables") or {}
    # An innings table holds Cricsheet's innings beside Statsguru's (`sources`): the crawl this run checks filled
    # it only if Statsguru's rows are there.
    rows = {
        name: int(((meta or {}).get("sources") or {}).get("statsguru", meta or {}).get("rows") or 0)
        for name, meta in tables.items()
    }
    for name in expected_tables:
        if name not in rows:
            problems.append(f"table {name} is missing from _current.json")
        elif rows[name] <= 0:
            problems.append(f"table {name} has no rows")
    rejects = int(current.get("rejects") or 0)
    # The transformer counts rejects against the raw rows it read (issue 5's --max-reject-ratio).
    read = int(current.get("rows_read") or 0) or (sum(rows.values()) + rejects)
    ratio = rejects / read if read else 0.0
    if ratio > max_reject_ratio:
        problems.append(f"rejects: {rejects} of {read} raw rows ({ratio:.2%}) exceed {max_reject_ratio:.2%}")
    dq = current.get("dq") or {}
    failing = {
        f"{table}.{name}": res.get("failed", 0)
        for table, checks in (dq.get("checks") or {}).items()
        for name, res in checks.items()
        if res.get("failed")
    }
    report = {
        "run_id": current.get("run_id"),
        "published_at": current.get("published_at"),
        "rows": rows,
        "rows_read": read,
        "rejects": rejects,
        "reject_ratio": round(ratio, 6),
        "dq_findings": int(dq.get("findings") or 0),
        "dq_failing_checks": failing,
    }
    return problems, report


def launch_payload(backend: str, argv: Sequence[str], container: str | None = None) -> list[str] | dict:
    """What a backend's operator takes for one command: argv (local, a pod's command) or ECS overrides.

    An ECS container override replaces the image's CMD but keeps its ENTRYPOINT (`cricket-scrape` /
    `cricket-transform`), so the program name is dropped there; a pod's `command` replaces the
    ENTRYPOINT, so it gets the whole argv.
    """
    if backend == "ecs":
        if not container:
            raise ValueError("an ECS override needs the container name")
        return {"containerOverrides": [{"name": container, "command": list(argv[1:])}]}
    if backend in ("kubernetes", "local"):
        return list(argv)
    raise ValueError(f"unknown backend {backend!r}")
