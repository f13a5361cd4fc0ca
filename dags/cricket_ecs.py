"""The `ecs` backend: one Fargate task per step, waited for by the triggerer; overrides carry the command, CloudWatch the output."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook
from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
from botocore.exceptions import BotoCoreError, ClientError
from cricket_runtime import exit_verdict, final_reason

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions
    from airflow.exceptions import AirflowFailException

WAITER_DELAY = 30  # seconds between the triggerer's describe_tasks calls
TAIL_EVENTS = 10  # CloudWatch lines repeated in a final failure's message


def task_exit_codes(response: dict) -> list[int]:
    """Exit codes of the stopped containers in a `describe_tasks` answer."""
    codes = []
    for task in response.get("tasks", []):
        for container in task.get("containers", []):
            if container.get("lastStatus") == "STOPPED" and "exitCode" in container:
                codes.append(int(container["exitCode"]))
    return codes


class CricketEcsOperator(EcsRunTaskOperator):
    """EcsRunTaskOperator, deferrable, that fails without retries on a final exit (blocked, drift, too many rejects).

    Only public hooks of the provider: `execute_complete` is where a deferred run resumes once the
    trigger saw the task stop (the `method_name` EcsRunTaskOperator defers to); the provider's own
    success check runs after ours.
    """

    def __init__(self, *, step: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> str | None:
        if event and event.get("status") == "success" and event.get("task_arn"):
            self.raise_for_final_exit(event["task_arn"], event.get("cluster") or self.cluster)
        return super().execute_complete(context, event)

    def raise_for_final_exit(self, task_arn: str, cluster: str) -> None:
        """AirflowFailException (no retry) when the stopped task's container exited with a verdict."""
        response = self.client.describe_tasks(cluster=cluster, tasks=[task_arn])
        final = [code for code in task_exit_codes(response) if final_reason(self.step, code)]
        if final:
            raise AirflowFailException(exit_verdict(self.step, final[0], self.log_tail(task_arn))[1])

    def log_tail(self, task_arn: str) -> list[str]:
        """The container's last CloudWatch lines (the crawler names the drifted header or the block there)."""
        if not (self.awslogs_group and self.awslogs_stream_prefix):
            return []
        # The awslogs driver names a stream `<prefix>/<container>/<task id>`; the plan's prefix ends in the container.
        stream = f"{self.awslogs_stream_prefix}/{task_arn.rsplit('/', 1)[-1]}"
        try:
            logs = AwsLogsHook(aws_conn_id=self.aws_conn_id, region_name=self.resolve_awslogs_region()).conn
            events = logs.get_log_events(
                logGroupName=self.awslogs_group, logStreamName=stream, startFromHead=False, limit=TAIL_EVENTS
            )["events"]
        except (BotoCoreError, ClientError) as exc:  # the verdict stands without its log lines
            self.log.warning("could not read %s/%s: %s", self.awslogs_group, stream, exc)
            return []
        return [e["message"] for e in events]


def ecs_kwargs(step: str, *, timeout: dt.timedelta) -> dict[str, Any]:
    """The fixed part of a step's ECS task; cluster, task definition, network and logs come from the plan."""
    return {
        "step": step,
        "launch_type": "FARGATE",
        "platform_version": "LATEST",
        "propagate_tags": "TASK_DEFINITION",
        "tags": {"app": "cricket-stats", "step": step},
        # The triggerer waits for the task: no worker slot is held during an hours-long crawl.
        "deferrable": True,
        "wait_for_completion": True,
        "waiter_delay": WAITER_DELAY,
        # The trigger gives up with the step's execution timeout, not a million polls later.
        "waiter_max_attempts": math.ceil(timeout.total_seconds() / WAITER_DELAY),
        "reattach": True,  # a retried or restarted task finds its running ECS task instead of starting another
        "number_logs_exception": 20,
        "execution_timeout": timeout,
    }
