"""The kubernetes backend: EksPodOperator, deferrable; the pod it asks for and the trigger it defers to, without a cluster."""

from __future__ import annotations

import pytest
from kubernetes.client import models as k8s

from tests.dags.conftest import DAGS

ARGV = [
    "cricket-scrape", "statsguru", "--classes", "1", "--types", "batting,bowling,fielding",
    "--view", "career", "--raw", "s3://example-cricket-bucket/raw", "--run-id", "r1-c1-career",
]  # fmt: skip
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/scraper:abc123"


@pytest.fixture
def k8s_dag(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CRICKET_BACKEND", "kubernetes")
    # Variables as Airflow reads them from the environment (AIRFLOW_VAR_<NAME>).
    for name, value in {
        "CRICKET_EKS_CLUSTER": "cricket-eks",
        "CRICKET_K8S_NAMESPACE": "cricket-prod",
        "CRICKET_AWS_REGION": "eu-west-1",
        "CRICKET_K8S_SCRAPER_SERVICE_ACCOUNT": "cricket-scraper-prod",
        "CRICKET_ATHENA_WORKGROUP": "cricket-stats-prod",
    }.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_{name}", value)
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["cricket_stats"]


def rendered(dag, task_id="scrape", **fields):
    """One expansion of a step's task with the plan's values, its templates rendered as on a worker."""
    from airflow.sdk.execution_time.context import VariableAccessor
    from cricket_k8s import CricketPodOperator

    task = dag.get_task(task_id)
    kwargs = dict(getattr(task, "partial_kwargs", None) or {})
    if not kwargs:  # an unmapped task: its own arguments
        kwargs = {k: getattr(task, k) for k in ("step", "cluster_name", "region", "namespace", "env_vars")}
        kwargs |= {"service_account_name": task.service_account_name, "pod_name": task.pod_name}
    kwargs = {k: v for k, v in kwargs.items() if k not in ("image", "cmds")}
    op = CricketPodOperator(**kwargs, task_id=task_id, image=IMAGE, cmds=ARGV, **fields)
    op.render_template_fields({"var": {"value": VariableAccessor(deserialize_json=False)}, "params": {}})
    return op


def test_rendered_scrape_pod(k8s_dag):
    from airflow.providers.amazon.aws.operators.eks import EksPodOperator
    from cricket_k8s import CricketPodOperator

    mapped = k8s_dag.get_task("scrape")
    assert mapped.operator_class is CricketPodOperator and issubclass(CricketPodOperator, EksPodOperator)
    op = rendered(k8s_dag)
    # MWAA's workers are outside the cluster: the kubeconfig is built from the EKS cluster's name.
    assert op.cluster_name == "cricket-eks" and op.in_cluster is False and op.region == "eu-west-1"
    assert op.aws_conn_id == "aws_default" and op.config_file is None
    assert op.deferrable is True and op.reattach_on_restart is True
    pod = op.build_pod_request_obj(dry_run=True)

    assert pod.metadata.namespace == "cricket-prod"
    assert pod.metadata.labels["app.kubernetes.io/component"] == "scrape"
    assert pod.spec.service_account_name == "cricket-scraper-prod"  # Pod Identity: the scraper's role
    assert pod.spec.restart_policy == "Never"
    (c,) = pod.spec.containers
    assert c.image == IMAGE
    assert c.command == ARGV and not c.args
    env = {e.name: e.value for e in c.env}
    assert env == {
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "CRICKET_ATHENA_WORKGROUP": "cricket-stats-prod",
        "PYTHONUNBUFFERED": "1",
    }
    # Credentials come from the service account's IAM role, never from the pod's env.
    assert not any("SECRET" in n or "ACCESS_KEY" in n or "TOKEN" in n for n in env)
    assert c.resources == k8s.V1ResourceRequirements(
        requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"}
    )
    assert c.security_context == {"allowPrivilegeEscalation": False, "runAsNonRoot": True}
    assert op.on_finish_action.value == "delete_pod"
    assert op.get_logs is True and op.retries == 2


def test_transform_and_publish_pods_use_the_transformer_image_and_account(k8s_dag):
    from cricket_runtime import backend_settings

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
        task = k8s_dag.get_task(step)
        assert task.image.operator.task_id == "plan" and task.image.key == "transformer_image"
        assert task.cmds.key == step
        assert task.container_resources.limits == {"cpu": "2", "memory": "2Gi"} or step == "publish"
        # No Variable for it: the default transformer account.
        assert rendered(k8s_dag, step).service_account_name == "cricket-transformer"


def test_the_pod_is_waited_for_by_the_triggerer(k8s_dag):
    """The provider's own deferral path: EksPodTrigger (kubeconfig from the cluster name), back to trigger_reentry."""
    from airflow.providers.amazon.aws.triggers.eks import EksPodTrigger
    from airflow.sdk.exceptions import TaskDeferred

    op = rendered(k8s_dag)
    op.pod = op.build_pod_request_obj(dry_run=True)
    op.pod.metadata.name = "cricket-scrape-abc123"
    op.pod.status = k8s.V1PodStatus(phase="Pending")
    with pytest.raises(TaskDeferred) as deferred:
        op.invoke_defer_method()
    assert deferred.value.method_name == "trigger_reentry"
    trigger = deferred.value.trigger
    assert isinstance(trigger, EksPodTrigger)
    _, kwargs = trigger.serialize()
    assert kwargs["eks_cluster_name"] == "cricket-eks" and kwargs["region"] == "eu-west-1"
    assert (kwargs["pod_name"], kwargs["pod_namespace"]) == ("cricket-scrape-abc123", "cricket-prod")
    assert kwargs["in_cluster"] is False and kwargs["on_finish_action"] == "delete_pod"


def _pod(code: int | None) -> k8s.V1Pod:
    statuses = [status("base", code)] if code is not None else []
    return k8s.V1Pod(status=k8s.V1PodStatus(phase="Failed", container_statuses=statuses))


def status(name, code):
    term = k8s.V1ContainerStateTerminated(exit_code=code)
    return k8s.V1ContainerStatus(
        name=name, state=k8s.V1ContainerState(terminated=term), image="i", image_id="", ready=False,
        restart_count=0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "final"), [(3, "layout drift"), (2, "blocked by the site"), (1, None), (None, None)]
)
def test_a_final_exit_on_reentry_fails_without_retry(k8s_dag, monkeypatch, code, final):
    """The verdict on trigger_reentry's failure.

    No cluster here: the provider's reentry (kubeconfig from EKS, read the pod, write its log,
    delete it, raise on a failed pod) is stood in for by what it leaves behind: `self.pod` with the
    final status, and its AirflowException. tests/dags/test_mwaa_files.py pins the provider version
    this was read against.
    """
    from airflow.providers.amazon.aws.operators.eks import EksPodOperator
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    def provider_reentry(self, context, event):
        self.pod = _pod(code)
        raise AirflowException(f"Pod {event['name']} returned a failure.")

    monkeypatch.setattr(EksPodOperator, "trigger_reentry", provider_reentry)
    op = rendered(k8s_dag)
    with pytest.raises(AirflowException) as exc:
        op.trigger_reentry(
            {}, {"name": "cricket-scrape-abc123", "namespace": "cricket-prod", "status": "failed"}
        )
    if final:
        assert isinstance(exc.value, AirflowFailException)
        from cricket_runtime import FINAL_EXITS

        assert str(exc.value) == f"scrape stopped: {FINAL_EXITS['scrape'][code]} (exit {code}); not retried"
        assert final in str(exc.value)
        assert isinstance(exc.value.__cause__, AirflowException)
    else:
        assert not isinstance(exc.value, AirflowFailException)
        assert "returned a failure" in str(exc.value)


def test_pod_exit_code_reads_the_base_container():
    from cricket_k8s import pod_exit_code

    pod = k8s.V1Pod(status=k8s.V1PodStatus(container_statuses=[status("istio-proxy", 0), status("base", 3)]))
    assert pod_exit_code(pod, "base") == 3
    assert pod_exit_code(pod, "other") is None
    assert pod_exit_code(None, "base") is None
