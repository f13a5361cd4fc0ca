"""
### cricket_stats — weekly ESPNcricinfo Statsguru crawl into Athena

`plan` → `scrape` (mapped over the planned crawls) → `profiles` (lists mode only) → `transform` (raw
JSONL → typed Parquet, published atomically by `_current.json`) → `publish` (Glue tables pointed at
the new run) → `check` (rows > 0 per expected table, rejects under the threshold, DQ report in the log;
the run's HTML report exists: its URI is logged and is the task's XCom).

**Refresh mode** (the default, the weekly run): one `cricket-scrape refresh` up to the last day of the
run's data interval. Without a refresh state it is the full crawl (the backfill, split into chunks
of `max_requests` that the next runs continue); with one, the week's delta (innings since the
watermark less `overlap_days`, the career lists, the players whose figures moved; see README
"Weekly refresh"); every `full_every_weeks` weeks, or with `full: true`, a full re-crawl. The
transform reads the snapshot the state names. With the cricsheet mode on (param or Variable
`CRICKET_CRICSHEET`), the `cricsheet` task runs the refresh's Cricsheet run alone (`--cricsheet only`: the full
archives without a finished cricsheet run, else recently_added_7, or _30 / the archives when the last is older),
beside `scrape` on its own host. A re-run of the same DAG run is idempotent: a refresh
that already finished does nothing, a half-done one continues (finished crawls are not repeated).
**Lists mode** (`mode: lists`, the deploy's smoke run): one crawl per class × view asked for,
each raw run named after the DAG run's id, and a profiles crawl over their players.

At most one scrape (and one profiles crawl) runs at a time across all runs of the DAG: the site's
Crawl-delay holds per host, and parallel crawls would break it in aggregate. A scrape that the site **blocked** (exit 2) or whose pages no longer
match the parser (**layout drift**, exit 3) fails at once with the reason in the log and is not
retried: retrying would hit the site again for the same answer.

The steps run as ECS Fargate tasks, pods on an EKS cluster or local subprocesses, chosen by the
environment variable `CRICKET_BACKEND` (default `ecs`; on MWAA set by `mwaa/startup.sh`). ECS tasks
and pods are waited for by the triggerer (deferrable), so a six-hour crawl holds no worker slot.
The Variables and Connections each backend reads are listed in `docs/airflow.md`.

A deploy triggers a **smoke** run (`smoke: true`, one class, one type, no profiles): it publishes
to the smoke target (`<curated>/_smoke`, Glue database `<database>_smoke`), never over the weekly data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from airflow.sdk import Param, dag, task
from cricket_commands import CLASSES, CRICSHEET_MODES
from cricket_plan import FULL_EVERY_WEEKS, MAX_REQUESTS, MODES
from cricket_runtime import resolve_backend

from cricket_contract.refresh import OVERLAP_DAYS
from cricket_contract.vocabulary import TYPES, VIEWS

log = logging.getLogger(__name__)

# The backend decides which operators the DAG has, so it is read when the file is parsed: from the
# environment only (a Variable there would be a metadata-DB call on every parse, ruff AIR003).
BACKEND = resolve_backend(os.environ.get("CRICKET_BACKEND"), None)

DEFAULT_ARGS = {
    "owner": "cricket-stats",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=30),
    "execution_timeout": dt.timedelta(minutes=15),  # plan, profile_launches, check
}
# A polite crawl of the real site (AutoThrottle, crawl delays) is slow; a hung one must still end.
TIMEOUTS = {
    # a weekly refresh is ~750 requests (3 h at Crawl-delay 15); a backfill chunk is max_requests (~6 days)
    "scrape": dt.timedelta(days=6, hours=20),
    "profiles": dt.timedelta(hours=6),
    "cricsheet": dt.timedelta(hours=2),
    "transform": dt.timedelta(hours=2),
    "publish": dt.timedelta(minutes=15),
}
# At most this many scrape containers hit a host at once, over every run of the DAG: each crawl keeps
# the host's Crawl-delay on its own, so a second one at the same time would halve it.
PARALLEL = {"scrape": 1, "profiles": 1, "cricsheet": 1}


@task
def plan() -> list:
    """Validate the params, read the Variables and build every command line of this run.

    Returns the scrape launches (what `scrape` maps over: a mapped task may only expand a task's
    return value); every other value is pushed under its own XCom key.
    """
    from airflow.sdk import get_current_context
    from cricket_commands import until_of
    from cricket_plan import Request, publish_target
    from cricket_plan import plan as build_plan
    from cricket_runtime import backend_settings, launch_payload, parse_settings

    ctx = get_current_context()
    variables = ctx["var"]["value"]  # Airflow Variables, read at run time only
    # the cricsheet param left empty: the Variable CRICKET_CRICSHEET (off | recent | full), else off
    params = dict(ctx["params"])
    params["cricsheet"] = params.get("cricsheet") or variables.get("CRICKET_CRICSHEET", "off")
    request = Request.from_params(params)

    def var(name: str, default: str | None = None) -> str | None:
        return variables.get(name, default)

    curated, glue_database = publish_target(
        request,
        curated=var("CRICKET_CURATED_URI") or "",
        glue_database=var("CRICKET_GLUE_DATABASE", "cricket") or "",
        smoke_curated=var("CRICKET_SMOKE_CURATED_URI"),
        smoke_database=var("CRICKET_SMOKE_GLUE_DATABASE"),
    )
    p = build_plan(
        dag_run_id=ctx["dag_run"].run_id,
        request=request,
        raw=var("CRICKET_RAW_URI") or "",
        curated=curated,
        glue_database=glue_database,
        base_url=var("CRICKET_BASE_URL") or None,
        scrape_settings=parse_settings(var("CRICKET_SCRAPE_SETTINGS")),
        until=until_of(ctx.get("data_interval_end")),
        cricsheet_url=var("CRICKET_CRICSHEET_URL") or None,
    )
    out: dict = {
        "run_id": p.run_id,
        "check": {
            "curated": curated,
            "run_id": p.run_id,
            "expected_tables": p.expected_tables,
            "max_reject_ratio": request.max_reject_ratio,
        },
    }
    settings, containers = backend_settings(BACKEND, var, image_tag=ctx["params"].get("image_tag"))
    out |= settings
    scrape = [launch_payload(BACKEND, argv, containers["scrape"]) for argv in p.scrape]
    out["profiles"] = [launch_payload(BACKEND, argv, containers["profiles"]) for argv in p.profiles]
    out["cricsheet"] = [launch_payload(BACKEND, argv, containers["scrape"]) for argv in p.cricsheet]
    out["transform"] = launch_payload(BACKEND, p.transform, containers["transform"])
    out["publish"] = launch_payload(BACKEND, p.publish, containers["publish"])
    log.info("plan for %s: scrape %s, %s", p.run_id, scrape, out)
    for key, value in out.items():
        ctx["ti"].xcom_push(key=key, value=value)
    return scrape


@task
def profile_launches(launches: list) -> list:
    """The profiles crawl to run, over every scraped class's players (none when the `profiles` param is off).

    A mapped task can only expand a task's return value, so this hands on the plan's list.
    """
    log.info("%d profiles crawls", len(launches))
    return launches


@task
def cricsheet_launches(launches: list) -> list:
    """The cricsheet crawl to run (none when the cricsheet mode is off); mapped, so an empty list skips it."""
    log.info("%d cricsheet crawls", len(launches))
    return launches


@task(multiple_outputs=False)
def check(spec: dict) -> str:
    """Read `{curated}/_current.json`: this run published, rows > 0 per table, rejects under the threshold, and
    its HTML report written; log the report's URI and return it (the task's XCom)."""
    import json

    from cricket_runtime import check_current, load_published, report_page

    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions
        from airflow.exceptions import AirflowFailException

    problems, report = check_current(
        load_published(spec["curated"]),
        run_id=spec["run_id"],
        expected_tables=spec["expected_tables"],
        max_reject_ratio=spec["max_reject_ratio"],
    )
    log.info("curated run report:\n%s", json.dumps(report, indent=2, sort_keys=True, default=str))
    uri, exists = report_page(spec["curated"], spec["run_id"])
    log.info("run report: %s", uri)
    if not exists:
        problems.append(
            f"the run's report {uri} is missing (cricket-transform report --run-id {spec['run_id']})"
        )
    if problems:
        # The data is already published; re-running check cannot change it, so fail for a human.
        raise AirflowFailException("check failed:\n- " + "\n- ".join(problems))
    return uri


def _local_tasks(p, launches, cs):
    from cricket_local import run_step

    @task(max_active_tis_per_dag=PARALLEL["scrape"], execution_timeout=TIMEOUTS["scrape"])
    def scrape(argv: list[str]) -> None:
        run_step("scrape", argv)

    @task(max_active_tis_per_dag=PARALLEL["profiles"], execution_timeout=TIMEOUTS["profiles"])
    def profiles(argv: list[str]) -> None:
        run_step("profiles", argv)

    @task(max_active_tis_per_dag=PARALLEL["cricsheet"], execution_timeout=TIMEOUTS["cricsheet"])
    def cricsheet(argv: list[str]) -> None:
        run_step("cricsheet", argv)

    @task(trigger_rule="none_failed_min_one_success", execution_timeout=TIMEOUTS["transform"])
    def transform(argv: list[str]) -> None:
        run_step("transform", argv)

    @task(execution_timeout=TIMEOUTS["publish"])
    def publish(argv: list[str]) -> None:
        run_step("publish", argv)

    return (
        scrape.expand(argv=p),
        profiles.expand(argv=launches),
        transform(p["transform"]),
        publish(p["publish"]),
        cricsheet.expand(argv=cs),
    )


def _kubernetes_tasks(p, launches, cs):
    from cricket_commands import SCRAPER_STEPS
    from cricket_k8s import CricketPodOperator, pod_kwargs

    region = "{{ var.value.get('CRICKET_AWS_REGION', 'us-east-1') }}"
    accounts = {
        "scraper": "{{ var.value.get('CRICKET_K8S_SCRAPER_SERVICE_ACCOUNT', 'cricket-scraper') }}",
        "transformer": "{{ var.value.get('CRICKET_K8S_TRANSFORMER_SERVICE_ACCOUNT', 'cricket-transformer') }}",
    }
    env = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "CRICKET_ATHENA_WORKGROUP": "{{ var.value.get('CRICKET_ATHENA_WORKGROUP', 'primary') }}",
        "PYTHONUNBUFFERED": "1",
    }

    def kw(step):
        return {
            "execution_timeout": TIMEOUTS[step],
            **pod_kwargs(
                step,
                cluster_name="{{ var.value.CRICKET_EKS_CLUSTER }}",
                region=region,
                namespace="{{ var.value.get('CRICKET_K8S_NAMESPACE', 'cricket') }}",
                service_account=accounts["scraper" if step in SCRAPER_STEPS else "transformer"],
                env=env,
            ),
        }

    scrape = CricketPodOperator.partial(
        task_id="scrape",
        image=p["scraper_image"],
        max_active_tis_per_dag=PARALLEL["scrape"],
        **kw("scrape"),
    ).expand(cmds=p)
    profiles = CricketPodOperator.partial(
        task_id="profiles",
        image=p["scraper_image"],
        max_active_tis_per_dag=PARALLEL["profiles"],
        **kw("profiles"),
    ).expand(cmds=launches)
    cricsheet = CricketPodOperator.partial(
        task_id="cricsheet",
        image=p["scraper_image"],
        max_active_tis_per_dag=PARALLEL["cricsheet"],
        **kw("cricsheet"),
    ).expand(cmds=cs)
    transform = CricketPodOperator(
        task_id="transform",
        image=p["transformer_image"],
        cmds=p["transform"],
        trigger_rule="none_failed_min_one_success",
        **kw("transform"),
    )
    publish = CricketPodOperator(
        task_id="publish", image=p["transformer_image"], cmds=p["publish"], **kw("publish")
    )
    return scrape, profiles, transform, publish, cricsheet


def _ecs_tasks(p, launches, cs):
    from cricket_ecs import CricketEcsOperator, ecs_kwargs

    def kw(step, role):
        return {
            "cluster": p["ecs_cluster"],
            "task_definition": p[f"ecs_{role}_task_definition"],
            "network_configuration": p["ecs_network"],
            "awslogs_group": p["ecs_log_group"],
            "awslogs_stream_prefix": p[f"ecs_{role}_log_prefix"],
            "container_name": p[f"ecs_{role}_container"],
            **ecs_kwargs(step, timeout=TIMEOUTS[step]),
        }

    scrape = CricketEcsOperator.partial(
        task_id="scrape", max_active_tis_per_dag=PARALLEL["scrape"], **kw("scrape", "scraper")
    ).expand(overrides=p)
    profiles = CricketEcsOperator.partial(
        task_id="profiles", max_active_tis_per_dag=PARALLEL["profiles"], **kw("profiles", "scraper")
    ).expand(overrides=launches)
    cricsheet = CricketEcsOperator.partial(
        task_id="cricsheet", max_active_tis_per_dag=PARALLEL["cricsheet"], **kw("cricsheet", "scraper")
    ).expand(overrides=cs)
    transform = CricketEcsOperator(
        task_id="transform",
        overrides=p["transform"],
        trigger_rule="none_failed_min_one_success",
        **kw("transform", "transformer"),
    )
    publish = CricketEcsOperator(task_id="publish", overrides=p["publish"], **kw("publish", "transformer"))
    return scrape, profiles, transform, publish, cricsheet


@dag(
    dag_id="cricket_stats",
    doc_md=__doc__,
    schedule="@weekly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    # MWAA keeps Airflow's default (new DAGs paused); the deploy's first run must not wait for a click.
    is_paused_upon_creation=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["cricket", "statsguru", BACKEND],
    params={
        "classes": Param(
            list(CLASSES),
            type="array",
            items={"type": "integer", "enum": list(CLASSES)},
            minItems=1,
            description="Statsguru classes: 1 Test, 2 ODI, 3 T20I, 8-10 women's Test, ODI, T20I",
        ),
        "types": Param(list(TYPES), type="array", items={"type": "string", "enum": list(TYPES)}, minItems=1),
        "views": Param(["career"], type="array", items={"type": "string", "enum": list(VIEWS)}, minItems=1),
        "profiles": Param(True, type="boolean", description="crawl player profiles of the scraped players"),
        "render": Param(
            "auto",
            type="string",
            enum=["auto", "always", "never"],
            description="profiles: when to render pages with Chromium",
        ),
        "image_tag": Param("", type="string", description="image tag (empty: Variable CRICKET_IMAGE_TAG)"),
        "max_reject_ratio": Param(0.01, type="number", minimum=0, maximum=1),
        "mode": Param(
            "refresh",
            type="string",
            enum=list(MODES),
            description="refresh: the weekly refresh (full crawl when there is no state); lists: the classes × views given",
        ),
        "full": Param(False, type="boolean", description="refresh: a full re-crawl now"),
        "full_every_weeks": Param(
            FULL_EVERY_WEEKS,
            type="integer",
            minimum=0,
            description="refresh: a full re-crawl this often (0: never)",
        ),
        "overlap_days": Param(
            OVERLAP_DAYS,
            type="integer",
            minimum=0,
            description="refresh: days before the watermark read again",
        ),
        "max_requests": Param(
            MAX_REQUESTS,
            type="integer",
            minimum=0,
            description="refresh: a backfill stops after about this many requests, the next run continues (0: no limit)",
        ),
        "cricsheet": Param(
            "",
            type="string",
            enum=["", *CRICSHEET_MODES],
            description="Cricsheet: off, recent (the weekly delta; refresh mode: the refresh's planned run) or full; "
            "empty: the Variable CRICKET_CRICSHEET",
        ),
        "smoke": Param(
            False,
            type="boolean",
            description="a deploy's check: publish to the smoke target, not over the weekly data",
        ),
    },
)
def cricket_stats():
    p = plan()
    launches = profile_launches(p["profiles"])
    cs = cricsheet_launches(p["cricsheet"])
    make = {"local": _local_tasks, "kubernetes": _kubernetes_tasks, "ecs": _ecs_tasks}[BACKEND]
    scrape, profiles, transform, publish, cricsheet = make(p, launches, cs)
    cricsheet >> transform  # beside scrape, on its own host: the transform waits for both
    scrape >> launches
    scrape >> transform  # the transform needs every scrape even when there are no profiles to wait for
    profiles >> transform >> publish >> check(p["check"])


cricket_stats()
