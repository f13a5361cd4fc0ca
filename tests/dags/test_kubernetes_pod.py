"""The kubernetes backend: the pod the DAG's scrape task asks for, rendered without a cluster."""

from __future__ import annotations

import pytest
from kubernetes.client import models as k8s

from tests.dags.conftest import DAGS

ARGV = [
    "cricket-scrape", "statsguru", "--classes", "1", "--types", "batting,bowling,fielding",
    "--view", "career", "--raw", "s3://example-cricket-bucket/raw", "--run-id", "r1-c1-career",
]  # fmt: skip


@pytest.fixture
def k8s_dag(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CRICKET_BACKEND", "kubernetes")
    monkeypatch.setenv("CRICKET_K8S_SERVICE_ACCOUNT", "cricket-scraper-irsa")
    # Variables as Airflow reads them from the environment (AIRFLOW_VAR_<NAME>).
    monkeypatch.setenv("AIRFLOW_VAR_CRICKET_K8S_NAMESPACE", "cricket-prod")
    monkeypatch.setenv("AIRFLOW_VAR_CRICKET_AWS_REGION", "eu-west-1")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["cricket_stats"]


def test_rendered_scrape_pod(k8s_dag):
    from airflow.sdk.execution_time.context import VariableAccessor
    from cricket_k8s import CricketPodOperator

    mapped = k8s_dag.get_task("scrape")
    assert mapped.operator_class is CricketPodOperator
    # One expansion of the mapped task: its partial kwargs plus the values the plan supplies.
    kwargs = {k: v for k, v in mapped.partial_kwargs.items() if k not in ("image",)}
    op = CricketPodOperator(
        **kwargs,
        task_id="scrape",
        image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/scraper:abc123",
        cmds=ARGV,
    )
    op.render_template_fields({"var": {"value": VariableAccessor(deserialize_json=False)}, "params": {}})
    pod = op.build_pod_request_obj(dry_run=True)

    assert pod.metadata.namespace == "cricket-prod"
    assert pod.metadata.labels["app.kubernetes.io/component"] == "scrape"
    assert pod.spec.service_account_name == "cricket-scraper-irsa"
    assert pod.spec.restart_policy == "Never"
    (c,) = pod.spec.containers
    assert c.image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/scraper:abc123"
    assert c.command == ARGV and not c.args
    env = {e.name: e.value for e in c.env}
    assert env == {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "PYTHONUNBUFFERED": "1"}
    # Credentials come from the service account's IAM role (IRSA), never from the pod's env.
    assert not any("SECRET" in n or "ACCESS_KEY" in n or "TOKEN" in n for n in env)
    assert c.resources == k8s.V1ResourceRequirements(
        requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"}
    )
    assert c.security_context == {"allowPrivilegeEscalation": False, "runAsNonRoot": True}
    assert op.on_finish_action.value == "delete_pod"
    assert op.get_logs is True and op.retries == 2


def test_transform_and_publish_pods_use_the_transformer_image(k8s_dag):
    from cricket_commands import backend_settings

    vars_ = {
        "CRICKET_SCRAPER_IMAGE": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cricket-scraper",
        "CRICKET_TRANSFORMER_IMAGE": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cricket-transformer",
        "CRICKET_IMAGE_TAG": "main",
    }
    settings, _ = backend_settings("kubernetes", lambda n, d: vars_.get(n, d), image_tag="3f2a9c1")
    assert settings == {
        "scraper_image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cricket-scraper:3f2a9c1",
        "transformer_image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cricket-transformer:3f2a9c1",
    }
    # Without the param the Variable's tag applies.
    assert backend_settings("kubernetes", lambda n, d: vars_.get(n, d))[0]["scraper_image"].endswith(":main")
    with pytest.raises(ValueError, match="CRICKET_SCRAPER_IMAGE is required by the kubernetes backend"):
        backend_settings("kubernetes", lambda n, d: d)
    for step in ("transform", "publish"):
        op = k8s_dag.get_task(step)
        assert op.image.operator.task_id == "plan" and op.image.key == "transformer_image"
        assert op.cmds.key == step
        assert op.container_resources.limits == {"cpu": "2", "memory": "2Gi"} or step == "publish"


def test_pod_exit_code_reads_the_base_container():
    from cricket_k8s import pod_exit_code

    def status(name, code):
        term = k8s.V1ContainerStateTerminated(exit_code=code)
        return k8s.V1ContainerStatus(
            name=name, state=k8s.V1ContainerState(terminated=term), image="i", image_id="", ready=False,
            restart_count=0,
        )  # fmt: skip

    pod = k8s.V1Pod(status=k8s.V1PodStatus(container_statuses=[status("istio-proxy", 0), status("base", 3)]))
    assert pod_exit_code(pod, "base") == 3
    assert pod_exit_code(pod, "other") is None
    assert pod_exit_code(None, "base") is None
