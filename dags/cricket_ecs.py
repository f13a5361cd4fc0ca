"""The `ecs` backend: one Fargate task per step; container overrides carry the command, CloudWatch logs the output."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from cricket_commands import exit_verdict, final_reason

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions
    from airflow.exceptions import AirflowFailException


def task_exit_codes(response: dict) -> list[int]:
    """Exit codes of the stopped containers in a `describe_tasks` answer."""
    codes = []
    for task in response.get("tasks", []):
        for container in task.get("containers", []):
            if container.get("lastStatus") == "STOPPED" and "exitCode" in container:
                codes.append(int(container["exitCode"]))
    return codes


class CricketEcsOperator(EcsRunTaskOperator):
    """EcsRunTaskOperator that fails without retries on a final exit (blocked, drift, too many rejects)."""

    def __init__(self, *, step: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step

    def _check_success_task(self) -> None:
        if self.client and self.arn:
            response = self.client.describe_tasks(cluster=self.cluster, tasks=[self.arn])
            final = [c for c in task_exit_codes(response) if final_reason(self.step, c)]
            if final:
                tail = self.task_log_fetcher.get_last_log_messages(10) if self.task_log_fetcher else []
                raise AirflowFailException(exit_verdict(self.step, final[0], tail)[1])
        super()._check_success_task()


def ecs_kwargs(step: str, *, wait_for_completion: bool = True) -> dict[str, Any]:
    """The fixed part of a step's ECS task; cluster, task definition, network and logs come from the plan."""
    return {
        "step": step,
        "launch_type": "FARGATE",
        "platform_version": "LATEST",
        "propagate_tags": "TASK_DEFINITION",
        "tags": {"app": "cricket-stats", "step": step},
        "wait_for_completion": wait_for_completion,
        "waiter_delay": 15,
        "reattach": True,  # a worker restart picks the running task up again instead of starting another
        "number_logs_exception": 20,
    }
