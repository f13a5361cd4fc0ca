"""The `kubernetes` backend: one pod per step from the scraper or transformer image, IRSA service account, no secrets."""

from __future__ import annotations

from typing import Any

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from cricket_commands import exit_verdict, final_reason
from kubernetes.client import models as k8s

try:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow 3.0 keeps them in airflow.exceptions
    from airflow.exceptions import AirflowException, AirflowFailException

# Requests are what the scheduler reserves; limits stop a runaway crawl (Chromium for profiles).
RESOURCES: dict[str, dict[str, dict[str, str]]] = {
    "scrape": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "profiles": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
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


class CricketPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator that fails without retries on a final exit (blocked, drift, too many rejects)."""

    def __init__(self, *, step: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step

    def cleanup(self, pod: Any, remote_pod: Any, *args: Any, **kwargs: Any) -> None:
        try:
            super().cleanup(pod, remote_pod, *args, **kwargs)
        except AirflowException as exc:
            code = pod_exit_code(remote_pod, self.base_container_name)
            if final_reason(self.step, code):
                # The pod's own log (streamed above by get_logs) names the header or the block.
                raise AirflowFailException(exit_verdict(self.step, code)[1]) from exc
            raise


def pod_kwargs(
    step: str,
    *,
    namespace: str,
    service_account: str,
    env: dict[str, str],
    conn_id: str = "kubernetes_default",
) -> dict[str, Any]:
    """The fixed part of a step's pod: everything but its image and command (those come from the plan)."""
    res = RESOURCES[step]
    return {
        "step": step,
        "kubernetes_conn_id": conn_id,
        "namespace": namespace,
        "name": f"cricket-{step}",
        "service_account_name": service_account,  # IRSA: the role comes with the account, no keys
        "env_vars": dict(env),
        "labels": {"app.kubernetes.io/name": "cricket-stats", "app.kubernetes.io/component": step},
        "container_resources": k8s.V1ResourceRequirements(requests=res["requests"], limits=res["limits"]),
        "container_security_context": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
        "image_pull_policy": "IfNotPresent",
        "get_logs": True,
        "log_events_on_failure": True,
        "on_finish_action": "delete_pod",
        "startup_timeout_seconds": 600,
    }
