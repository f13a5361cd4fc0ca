"""The ecs backend: the DAG's scrape task started on Fargate against a real moto server; overrides carry the command."""

from __future__ import annotations

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
    variables = {
        "CRICKET_ECS_CLUSTER": "cricket",
        "CRICKET_ECS_SCRAPER_TASK_DEFINITION": "cricket-scraper",
        "CRICKET_ECS_TRANSFORMER_TASK_DEFINITION": "cricket-transformer",
        "CRICKET_ECS_SUBNETS": subnet,
        "CRICKET_ECS_SECURITY_GROUPS": sg,
        "CRICKET_ECS_LOG_GROUP": "/cricket/tasks",
    }
    return SimpleNamespace(ecs=ecs, subnet=subnet, sg=sg, variables=variables)


@pytest.fixture
def ecs_dag(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CRICKET_BACKEND", "ecs")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["cricket_stats"]


def scrape_operator(dag, variables, **overrides):
    """One expansion of the DAG's mapped scrape task, with the values its plan task would supply."""
    from cricket_commands import backend_settings, launch_payload
    from cricket_ecs import CricketEcsOperator

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
        overrides=launch_payload("ecs", ARGV, containers["scrape"]),
        **overrides,
    )
    return CricketEcsOperator(**kwargs)


def test_scrape_runs_on_fargate_with_the_command_in_overrides(ecs_dag, ecs_world):
    op = scrape_operator(ecs_dag, ecs_world.variables, wait_for_completion=False)
    assert op.launch_type == "FARGATE" and op.reattach is True and op.retries == 2
    assert op.awslogs_stream_prefix == "cricket/scraper"
    ti = SimpleNamespace(
        dag_id="cricket_stats", task_id="scrape", run_id="r1", map_index=0, xcom_push=lambda **kw: None
    )
    op.execute({"ti": ti})
    assert op.arn

    (task,) = ecs_world.ecs.describe_tasks(cluster="cricket", tasks=[op.arn])["tasks"]
    assert task["launchType"] == "FARGATE"
    assert task["taskDefinitionArn"].endswith(":task-definition/cricket-scraper:1")
    # The image's ENTRYPOINT is cricket-scrape: the override is the rest of the command line.
    assert task["overrides"]["containerOverrides"] == [{"name": "scraper", "command": ARGV[1:]}]
    assert task["startedBy"] == op._started_by  # the reattach key: a restarted worker finds this task
    attachment = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert attachment["subnetId"] == ecs_world.subnet


def test_missing_ecs_variables_are_named():
    from cricket_commands import backend_settings

    with pytest.raises(
        ValueError, match="Airflow Variable CRICKET_ECS_CLUSTER is required by the ecs backend"
    ):
        backend_settings("ecs", lambda n, d: d)


@pytest.mark.parametrize(
    ("exit_code", "final"), [(3, "layout drift"), (2, "blocked by the site"), (1, None), (137, None)]
)
def test_stopped_task_exit_codes(ecs_dag, ecs_world, exit_code, final):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    op = scrape_operator(ecs_dag, ecs_world.variables)
    op.arn = "arn:aws:ecs:us-east-1:123456789012:task/cricket/0123456789abcdef"
    answer = {
        "tasks": [{"taskArn": op.arn, "lastStatus": "STOPPED",
                   "containers": [{"name": "scraper", "lastStatus": "STOPPED", "exitCode": exit_code}]}],
        "failures": [],
    }  # fmt: skip
    with Stubber(op.client) as stub:
        # Our check reads the task once, the provider's own check once more.
        stub.add_response("describe_tasks", answer, {"cluster": "cricket", "tasks": [op.arn]})
        stub.add_response("describe_tasks", answer, {"cluster": "cricket", "tasks": [op.arn]})
        with pytest.raises(AirflowException) as exc:
            op._check_success_task()
    if final:
        assert isinstance(exc.value, AirflowFailException)
        assert f"scrape stopped: {final}" in str(exc.value) and f"(exit {exit_code}); not retried" in str(
            exc.value
        )
    else:
        assert not isinstance(exc.value, AirflowFailException)
        assert "not in success state" in str(exc.value)
