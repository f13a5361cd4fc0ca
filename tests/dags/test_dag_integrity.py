"""cricket_stats imports cleanly under each backend, with the task graph, mapping, retries and params expected."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dags.conftest import DAGS

STEPS = ["scrape", "profiles", "cricsheet", "transform", "publish"]
OPERATOR = {
    "local": "_PythonDecoratedOperator",
    "kubernetes": "CricketPodOperator",
    "ecs": "CricketEcsOperator",
}


def load(monkeypatch, backend: str | None):
    from airflow.dag_processing.dagbag import DagBag

    if backend is None:
        monkeypatch.delenv("CRICKET_BACKEND", raising=False)
    else:
        monkeypatch.setenv("CRICKET_BACKEND", backend)
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert list(bag.dags) == ["cricket_stats"]
    return bag.dags["cricket_stats"]


@pytest.mark.parametrize("backend", ["local", "kubernetes", "ecs"])
def test_dag_imports_with_graph_and_mapping(monkeypatch, backend):
    dag = load(monkeypatch, backend)
    assert dag.dag_id == "cricket_stats" and dag.doc_md.lstrip().startswith("### cricket_stats")
    assert {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} == {
        "plan": [],
        "scrape": ["plan"],
        "profile_launches": ["plan", "scrape"],
        # The operators also read the plan's images / ECS settings; the local one needs only its command.
        "profiles": ["profile_launches"] if backend == "local" else ["plan", "profile_launches"],
        "cricsheet_launches": ["plan"],
        "cricsheet": ["cricsheet_launches"] if backend == "local" else ["cricsheet_launches", "plan"],
        "transform": ["cricsheet", "plan", "profiles", "scrape"],
        "publish": ["plan", "transform"],
        "check": ["plan", "publish"],
    }
    # scrape expands over the plan's return value, profiles over profile_launches'.
    scrape, profiles = dag.get_task("scrape"), dag.get_task("profiles")
    for mapped, source in ((scrape, "plan"), (profiles, "profile_launches")):
        assert type(mapped).__name__ in ("MappedOperator", "DecoratedMappedOperator")
        (arg,) = [v for v in mapped._get_specified_expand_input().value.values()]
        assert arg.operator.task_id == source and arg.key == "return_value"
    if backend != "local":
        assert scrape.operator_class.__name__ == OPERATOR[backend]
        for step in ("transform", "publish"):
            assert type(dag.get_task(step)).__name__ == OPERATOR[backend]
    assert dag.get_task("transform").trigger_rule == "none_failed_min_one_success"
    for t in dag.tasks:
        assert t.retries >= 2, t.task_id
        assert t.retry_exponential_backoff
    hours = {t.task_id: t.execution_timeout / dt.timedelta(hours=1) for t in dag.tasks}
    assert hours == {"plan": 0.25, "scrape": 164, "profile_launches": 0.25, "profiles": 6,
                     "cricsheet_launches": 0.25, "cricsheet": 2,
                     "transform": 2, "publish": 0.25, "check": 0.25}  # fmt: skip
    # one crawl per host at a time over every run of the DAG: parallel crawls would break the Crawl-delay
    assert (scrape.max_active_tis_per_dag, profiles.max_active_tis_per_dag) == (1, 1)
    assert backend in dag.tags
    if backend != "local":  # the triggerer waits for tasks and pods: no worker slot held for hours
        for step in STEPS:
            task = dag.get_task(step)
            deferrable = (
                task.partial_kwargs["deferrable"]
                if step in ("scrape", "profiles", "cricsheet")
                else task.deferrable
            )
            assert deferrable is True, step
    # The scheduler's form: serializes, validates and comes back with the same tasks.
    from airflow.serialization.serialized_objects import DagSerialization

    data = DagSerialization.to_dict(dag)
    DagSerialization.validate_schema(data)
    assert sorted(DagSerialization.from_dict(data).task_dict) == sorted(dag.task_dict)


def test_dag_settings_and_params(monkeypatch):
    dag = load(monkeypatch, None)  # neither env nor Variable: the documented default
    assert "ecs" in dag.tags
    assert dag.catchup is False and dag.max_active_runs == 1
    # MWAA pauses new DAGs unless the DAG says otherwise; the deploy's first run must start.
    assert dag.is_paused_upon_creation is False
    assert dag.schedule == "@weekly"
    assert dag.start_date == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    params = dag.params.dump()
    assert params == {
        "classes": [1, 2, 3, 8, 9, 10],
        "types": ["batting", "bowling", "fielding"],
        "views": ["career"],
        "profiles": True,
        "render": "auto",
        "image_tag": "",
        "max_reject_ratio": 0.01,
        "mode": "refresh",
        "full": False,
        "full_every_weeks": 13,
        "overlap_days": 7,
        "max_requests": 34_000,
        "cricsheet": "",
        "smoke": False,
    }
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        dag.params.get_param("classes").resolve([11])
    # What a deploy triggers validates against the params, and the check expects what it fills.
    from airflow.sdk.definitions.param import ParamsDict
    from cricket_plan import SMOKE_PARAMS, Request

    params = ParamsDict(dag.params)
    params.update({**SMOKE_PARAMS, "image_tag": "c0ffee"})
    resolved = params.validate()
    assert resolved["smoke"] is True and resolved["profiles"] is False and resolved["mode"] == "lists"
    assert Request.from_params(resolved).expected_tables() == ["players", "batting_career"]


def test_unknown_backend_is_an_import_error(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CRICKET_BACKEND", "docker")
    bag = DagBag(dag_folder=str(DAGS))
    (err,) = bag.import_errors.values()
    assert "CRICKET_BACKEND='docker' is not one of kubernetes, ecs, local" in err
