"""Command lines of the cricket_stats DAG's steps (cricket-scrape, cricket-transform) and run ids; no Airflow imports."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cricket_contract.refresh import OVERLAP_DAYS
from cricket_contract.vocabulary import FORMAT_CLASSES

# The vocabulary is cricket_contract's (the DAG bundle carries the package, scripts/dag_bundle.py); re-exported
# here for the DAG file. Classes with a curated `format`; 11 is a query class only.
CLASSES = FORMAT_CLASSES
# The cricsheet step: off, the weekly delta (lists mode: recently_added_7_json.zip; refresh mode: the refresh's
# planned Cricsheet run, which the finished cricsheet runs decide) or the full archives.
CRICSHEET_MODES = ("off", "recent", "full")

# Which program (and so which image / task definition) runs each step.
SCRAPER_STEPS = ("scrape", "profiles", "cricsheet")
TRANSFORMER_STEPS = ("transform", "publish")

_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


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
    cricsheet: str = "without",
    cricsheet_url: str | None = None,
) -> list[str]:
    """`cricket-scrape refresh` up to `until` (ISO): its runs one after another, then the refresh state.
    `cricsheet`: `without` its Cricsheet run (the scrape step) or `only` that run (the cricsheet step)."""
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
    argv += ["--cricsheet", cricsheet]
    if cricsheet_url and cricsheet != "without":
        argv += ["--cricsheet-url", cricsheet_url]
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
