"""The `kubernetes` backend: one pod per step on an EKS cluster, deferrable, Pod Identity service accounts, no secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.providers.amazon.aws.operators.eks import EksPodOperator
from cricket_runtime import exit_verdict, final_reason
from kubernetes.client import models as k8s

try:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
except ImportError:  # Airflow 3.0 keeps them in airflow.exceptions
    from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

# Requests are what the scheduler reserves; limits stop a runaway crawl (Chromium for profiles).
RESOURCES: dict[str, dict[str, dict[str, str]]] = {
    "scrape": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "profiles": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    # all_json.zip (~100 MB) is held whole; one match decoded at a time
    "cricsheet": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
    "transform": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    "publish": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
}


def pod_exit_code(remote_pod: Any, container: str) -> int | None:
    """The terminated exit code of `container` in a pod status, if it has one."""
    statuses = getattr(getattr(remote_pod, "status", None), "container_statuses", None) or []
    for status in statuses:
        if status.name == container and status.state and status.state.terminated:
            return status.state.terminated.exit_code
    return None


class CricketPodOperator(EksPodOperator):
    """EksPodOperator, deferrable, that fails without retries on a final exit (blocked, drift, too many rejects).

    MWAA's workers are outside any cluster: the operator builds its kubeconfig from the EKS cluster's
    name with the worker's AWS credentials (execution role, EKS access entry). Only public hooks:
    `execute` (a pod that ends before deferral) and `trigger_reentry` (where a deferred run resumes),
    and the public `pod` attribute both leave behind.
    """

    # The service account differs by image (scraper, transformer): a Variable, rendered at run time.
    template_fields = (*EksPodOperator.template_fields, "service_account_name")

    def __init__(self, *, step: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step

    def execute(self, context: Any) -> Any:
        return self.final_exit_guard(super().execute, context)

    def trigger_reentry(self, context: Any, event: dict[str, Any]) -> Any:
        return self.final_exit_guard(super().trigger_reentry, context, event)

    def final_exit_guard(self, run: Callable[..., Any], *args: Any) -> Any:
        """Run the provider's step; its failure becomes AirflowFailException when the base container's exit is a verdict."""
        try:
            return run(*args)
        except (AirflowFailException, AirflowSkipException):
            raise
        except AirflowException as exc:
            code = pod_exit_code(getattr(self, "pod", None), self.base_container_name)
            if final_reason(self.step, code):
                # The pod's own log (written above by the provider) names the header or the block.
                raise AirflowFailException(exit_verdict(self.step, code)[1]) from exc
            raise


def pod_kwargs(
    step: str,
    *,
    cluster_name: str,
    region: str,
    namespace: str,
    service_account: str,
    env: dict[str, str],
) -> dict[str, Any]:
    """The fixed part of a step's pod: everything but its image and command (those come from the plan)."""
    res = RESOURCES[step]
    return {
        "step": step,
        "cluster_name": cluster_name,
        "region": region,
        "aws_conn_id": "aws_default",  # on MWAA: the execution role, which the cluster's access entry admits
        "namespace": namespace,
        "pod_name": f"cricket-{step}",
        "service_account_name": service_account,  # EKS Pod Identity: the role comes with the account, no keys
        "env_vars": dict(env),
        "labels": {"app.kubernetes.io/name": "cricket-stats", "app.kubernetes.io/component": step},
        "container_resources": k8s.V1ResourceRequirements(requests=res["requests"], limits=res["limits"]),
        "container_security_context": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
        "image_pull_policy": "IfNotPresent",
        "get_logs": True,
        "log_events_on_failure": True,
        "on_finish_action": "delete_pod",
        "startup_timeout_seconds": 600,
        # The triggerer watches the pod: no worker slot is held during an hours-long crawl.
        "deferrable": True,
        "durable": True,  # a retried or restarted task reattaches to its running pod instead of starting another
    }
