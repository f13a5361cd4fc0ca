"""How each backend runs a step, how a step's exit code is judged, and the check of a published run; no Airflow imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from cricket_commands import SCRAPER_STEPS, TRANSFORMER_STEPS

from cricket_contract.vocabulary import (
    EXIT_BLOCKED,
    EXIT_DRIFT,
    EXIT_SHRINK,
    EXIT_TOO_MANY_REJECTS,
    SOURCE_STATSGURU,
)

BACKENDS = ("kubernetes", "ecs", "local")
DEFAULT_BACKEND = "ecs"

# Exit codes that are verdicts, not transient faults: a retry would only ask the site again for the
# same answer (cricket-scrape, issue 3) or re-read the same bad input (cricket-transform, issue 5).
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


def resolve_backend(env_value: str | None, variable_value: str | None) -> str:
    """The backend from the environment (wins) or the Airflow Variable, else the default; rejects unknown names."""
    value = (env_value or variable_value or DEFAULT_BACKEND).strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"CRICKET_BACKEND={value!r} is not one of {', '.join(BACKENDS)}")
    return value


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
        name: int(((meta or {}).get("sources") or {}).get(SOURCE_STATSGURU, meta or {}).get("rows") or 0)
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
