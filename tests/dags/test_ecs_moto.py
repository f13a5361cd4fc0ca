"""The ecs backend, deferrable, against a real moto server: the scrape task starts on Fargate, the trigger waits, verdicts."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber

from tests.dags.conftest import DAGS

ARGV = [
    "cricket-scrape", "statsguru", "--classes", "2", "--types", "batting,bowling,fielding",
    "--view", "career", "--raw", "s3://example-cricket-bucket/raw", "--run-id", "r1-c2-career",
]  # fmt: skip


@pytest.fixture
def ecs_world(aws_env, monkeypatch):
    """A VPC (DNS hostnames on), subnet, security group, cluster and the scraper task definition in moto."""
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", "aws://")  # the DAG's aws_conn_id; keys come from env
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="cricket-tasks", Description="cricket tasks", VpcId=vpc)[
        "GroupId"
    ]
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="cricket")
    ecs.register_task_definition(
        family="cricket-scraper",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[
            {
                "name": "scraper",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/cricket-scraper:abc123",
                "memory": 1024,
                "essential": True,
                "entryPoint": ["cricket-scrape"],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/cricket/tasks",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "cricket",
                    },  # fmt: skip
                },
            }
        ],
    )
    logs = boto3.client("logs")
    if not logs.describe_log_groups(logGroupNamePrefix="/cricket/tasks")["logGroups"]:
        logs.create_log_group(logGroupName="/cricket/tasks")
    variables = {
        "CRICKET_ECS_CLUSTER": "cricket",
        "CRICKET_ECS_SCRAPER_TASK_DEFINITION": "cricket-scraper",
        "CRICKET_ECS_TRANSFORMER_TASK_DEFINITION": "cricket-transformer",
        "CRICKET_ECS_SUBNETS": subnet,
        "CRICKET_ECS_SECURITY_GROUPS": sg,
        "CRICKET_ECS_LOG_GROUP": "/cricket/tasks",
    }
    return SimpleNamespace(ecs=ecs, logs=logs, subnet=subnet, sg=sg, variables=variables)


@pytest.fixture
def ecs_dag(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CRICKET_BACKEND", "ecs")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["cricket_stats"]


def scrape_operator(dag, variables, **overrides):
    """One expansion of the DAG's mapped scrape task, with the values its plan task would supply."""
    from cricket_ecs import CricketEcsOperator
    from cricket_runtime import backend_settings, launch_payload

    settings, containers = backend_settings("ecs", lambda n, d: variables.get(n, d))
    mapped = dag.get_task("scrape")
    assert mapped.operator_class is CricketEcsOperator
    kwargs = dict(mapped.partial_kwargs)
    kwargs.update(
        task_id="scrape",
        cluster=settings["ecs_cluster"],
        task_definition=settings["ecs_scraper_task_definition"],
        network_configuration=settings["ecs_network"],
        awslogs_group=settings["ecs_log_group"],
        awslogs_stream_prefix=settings["ecs_scraper_log_prefix"],
        container_name=settings["ecs_scraper_container"],
        overrides=launch_payload("ecs", ARGV, containers["scrape"]),
        **overrides,
    )
    return CricketEcsOperator(**kwargs)


def ti(map_index=0):
    return SimpleNamespace(
        dag_id="cricket_stats",
        task_id="scrape",
        run_id="r1",
        map_index=map_index,
        xcom_push=lambda **kw: None,
    )


async def first_event(trigger):
    async for event in trigger.run():
        return event
    raise AssertionError("the trigger ended without an event")


def test_scrape_starts_on_fargate_and_defers_to_the_triggerer(ecs_dag, ecs_world):
    from airflow.providers.amazon.aws.triggers.ecs import TaskDoneTrigger
    from airflow.sdk.exceptions import AirflowException, TaskDeferred
    from airflow.sdk.module_loading import import_string

    op = scrape_operator(ecs_dag, ecs_world.variables)
    assert op.deferrable is True and op.launch_type == "FARGATE" and op.reattach is True and op.retries == 2
    assert op.awslogs_stream_prefix == "cricket/scraper" and op.container_name == "scraper"
    # The trigger gives up with the task's own timeout (6 days 20 h of 30 s polls), not after a million polls.
    assert (op.waiter_delay, op.waiter_max_attempts) == (30, (6 * 24 + 20) * 120)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": ti()})
    assert op.arn and deferred.value.method_name == "execute_complete"

    (task,) = ecs_world.ecs.describe_tasks(cluster="cricket", tasks=[op.arn])["tasks"]
    assert task["launchType"] == "FARGATE"
    assert task["taskDefinitionArn"].endswith(":task-definition/cricket-scraper:1")
    # The image's ENTRYPOINT is cricket-scrape: the override is the rest of the command line.
    assert task["overrides"]["containerOverrides"] == [{"name": "scraper", "command": ARGV[1:]}]
    assert task["startedBy"] == op._started_by  # the reattach key: a restarted worker finds this task
    attachment = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert attachment["subnetId"] == ecs_world.subnet

    # What the triggerer does: rebuild the trigger from its serialized form and run it (aiobotocore,
    # against moto), without the 30 s between polls. moto walks the task to STOPPED over a few polls.
    trigger = deferred.value.trigger
    assert isinstance(trigger, TaskDoneTrigger)
    classpath, kwargs = trigger.serialize()
    assert kwargs["task_arn"] == op.arn and kwargs["log_group"] == "/cricket/tasks"
    assert kwargs["log_stream"] == f"cricket/scraper/{op.arn.rsplit('/', 1)[-1]}"
    event = asyncio.run(first_event(import_string(classpath)(**{**kwargs, "waiter_delay": 0})))
    assert event.payload == {"status": "success", "task_arn": op.arn, "cluster": "cricket"}
    (task,) = ecs_world.ecs.describe_tasks(cluster="cricket", tasks=[op.arn])["tasks"]
    assert task["lastStatus"] == "STOPPED"

    # Resumed on a worker: moto never moves a task's containers past PENDING, so the provider's own
    # check (which runs after ours) reports exactly that; the verdicts are tested below on real answers.
    resumed = scrape_operator(ecs_dag, ecs_world.variables)
    with pytest.raises(AirflowException, match="This task is still pending"):
        resumed.execute_complete({"ti": ti()}, event.payload)


def test_a_running_task_is_reattached_not_started_again(ecs_dag, ecs_world):
    from airflow.sdk.exceptions import TaskDeferred

    first = scrape_operator(ecs_dag, ecs_world.variables)
    with pytest.raises(TaskDeferred):
        first.execute({"ti": ti(map_index=3)})
    retry = scrape_operator(ecs_dag, ecs_world.variables)
    with pytest.raises(TaskDeferred) as deferred:
        retry.execute({"ti": ti(map_index=3)})
    assert retry.arn == first.arn and deferred.value.trigger.task_arn == first.arn
    running = ecs_world.ecs.list_tasks(cluster="cricket", startedBy=first._started_by)["taskArns"]
    assert running == [first.arn]


def test_missing_ecs_variables_are_named():
    from cricket_runtime import backend_settings

    with pytest.raises(
        ValueError, match="Airflow Variable CRICKET_ECS_CLUSTER is required by the ecs backend"
    ):
        backend_settings("ecs", lambda n, d: d)


ARN = "arn:aws:ecs:us-east-1:123456789012:task/cricket/0123456789abcdef"


@pytest.mark.parametrize(
    ("exit_code", "final"),
    [(3, "layout drift"), (2, "blocked by the site"), (1, None), (137, None), (0, None)],
)
def test_resumed_task_exit_codes(ecs_dag, ecs_world, exit_code, final):
    """execute_complete on a stopped task: a verdict fails without retry, with the container's last lines."""
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    task_id = f"{exit_code:032x}"
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/cricket/{task_id}"
    stream = f"cricket/scraper/{task_id}"
    ecs_world.logs.create_log_stream(logGroupName="/cricket/tasks", logStreamName=stream)
    lines = ["crawled 3 pages", "layout drift at https://stats.espncricinfo.com/...: unknown headers ['Avg']"]
    ecs_world.logs.put_log_events(
        logGroupName="/cricket/tasks",
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": m} for i, m in enumerate(lines)],
    )
    op = scrape_operator(ecs_dag, ecs_world.variables)
    answer = {
        "tasks": [{"taskArn": arn, "lastStatus": "STOPPED",
                   "containers": [{"name": "scraper", "lastStatus": "STOPPED", "exitCode": exit_code}]}],
        "failures": [],
    }  # fmt: skip
    event = {"status": "success", "task_arn": arn, "cluster": "cricket"}
    with Stubber(op.client) as stub:
        # Our check reads the task once; the provider's own check (for anything not final) once more.
        stub.add_response("describe_tasks", answer, {"cluster": "cricket", "tasks": [arn]})
        if not final:
            stub.add_response("describe_tasks", answer, {"cluster": "cricket", "tasks": [arn]})
        if exit_code == 0:
            # Success: the provider returns the container's last log line (read from moto's CloudWatch).
            assert op.execute_complete({"ti": ti()}, event) == lines[-1]
            return
        with pytest.raises(AirflowException) as exc:
            op.execute_complete({"ti": ti()}, event)
    if final:
        assert isinstance(exc.value, AirflowFailException)
        assert f"scrape stopped: {final}" in str(exc.value)
        assert f"(exit {exit_code}); not retried\ncrawled 3 pages\nlayout drift at" in str(exc.value)
    else:
        assert not isinstance(exc.value, AirflowFailException)
        assert "not in success state" in str(exc.value)


def test_a_failed_trigger_event_is_retried_not_final(ecs_dag, ecs_world):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    op = scrape_operator(ecs_dag, ecs_world.variables)
    with pytest.raises(AirflowException, match="Error in task execution") as exc:
        op.execute_complete({"ti": ti()}, {"status": "failed", "task_arn": ARN, "cluster": "cricket"})
    assert not isinstance(exc.value, AirflowFailException)
