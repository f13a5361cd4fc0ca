"""Trigger an Airflow DAG on Amazon MWAA with a conf (the image tag), then wait for and report its final state."""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import boto3
import requests
from botocore.exceptions import ClientError

EXIT_OK = 0
EXIT_FAILED = 1  # the run ended in a failed state, or MWAA/Airflow refused a request
EXIT_TIMEOUT = 124  # as timeout(1): the run had not finished within --timeout

TERMINAL_STATES = frozenset({"success", "failed"})
# invoke_rest_api rejects longer paths; a GET of one run puts the dag id and run id in the path.
MAX_REST_PATH = 64
# Errors of invoke_rest_api that mean "this environment has no REST API" (Airflow < 2.4.3). Only
# `--api auto` falls back to a CLI token on them; AccessDeniedException never does: it is an IAM
# mistake to fix (airflow:InvokeRestApi), and the CLI route cannot reach a PRIVATE_ONLY web server
# from outside the VPC anyway.
REST_UNAVAILABLE_CODES = frozenset({"ValidationException", "UnknownOperationException"})
# Transient while polling: keep waiting instead of failing a healthy run on one bad answer.
TRANSIENT_CODES = frozenset({"InternalServerException", "RestApiServerException", "ThrottlingException"})


class TriggerError(Exception):
    """A request to MWAA or Airflow failed; the message says which and why."""


class RestUnavailable(TriggerError):
    """invoke_rest_api cannot be used here (old botocore, old Airflow, or not allowed)."""


class AirflowApi(Protocol):
    name: str

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> str: ...

    def state(self, dag_id: str, run_id: str) -> str: ...


def _client_error(exc: ClientError) -> tuple[str, str]:
    err = exc.response.get("Error", {})
    return err.get("Code", "Unknown"), err.get("Message", str(exc))


class RestApi:
    """Airflow's stable REST API through `mwaa.invoke_rest_api` (no web-server networking needed)."""

    name = "rest"

    def __init__(self, client: Any, environment: str) -> None:
        if not hasattr(client, "invoke_rest_api"):
            raise RestUnavailable("this botocore has no mwaa.invoke_rest_api (needs botocore >= 1.35.40)")
        self.client = client
        self.environment = environment

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if len(path) > MAX_REST_PATH:
            raise TriggerError(
                f"REST path {path!r} is {len(path)} characters; invoke_rest_api allows {MAX_REST_PATH}: use a shorter --run-id"
            )
        kwargs: dict[str, Any] = {"Name": self.environment, "Method": method, "Path": path}
        if body is not None:
            kwargs["Body"] = body
        try:
            resp = self.client.invoke_rest_api(**kwargs)
        except ClientError as exc:
            code, message = _client_error(exc)
            if code in REST_UNAVAILABLE_CODES:
                raise RestUnavailable(f"invoke_rest_api {method} {path}: {code}: {message}") from exc
            if code == "AccessDeniedException":
                raise TriggerError(
                    f"invoke_rest_api {method} {path}: {code}: {message} (the caller needs "
                    f"airflow:InvokeRestApi on arn:aws:airflow:<region>:<account>:role/{self.environment}/User)"
                ) from exc
            detail = exc.response.get("RestApiResponse")
            status = exc.response.get("RestApiStatusCode")
            extra = f" (Airflow answered {status}: {json.dumps(detail)})" if detail is not None else ""
            raise TriggerError(f"invoke_rest_api {method} {path}: {code}: {message}{extra}") from exc
        return resp.get("RestApiResponse") or {}

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> str:
        # logical_date is required (nullable) by Airflow 3's API and accepted by Airflow 2's.
        body = {"dag_run_id": run_id, "logical_date": _utcnow_iso(), "conf": conf}
        run = self._call("POST", f"/dags/{dag_id}/dagRuns", body)
        return str(run.get("state", "queued"))

    def state(self, dag_id: str, run_id: str) -> str:
        run = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        if "state" not in run:
            raise TriggerError(f"Airflow's answer for run {run_id} has no state: {json.dumps(run)}")
        return str(run["state"])


class CliApi:
    """The Airflow CLI through MWAA's web server: a `create_cli_token` token POSTed to /aws_mwaa/cli."""

    name = "cli"

    def __init__(
        self,
        client: Any,
        environment: str,
        *,
        scheme: str = "https",
        session: requests.Session | None = None,
        http_timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.environment = environment
        self.scheme = scheme
        self.session = session or requests.Session()
        self.http_timeout = http_timeout
        self._airflow_major: int | None = None

    def _airflow_version_major(self) -> int:
        # `dags list-runs` takes the dag id as `-d DAG` on Airflow 2 and positionally on Airflow 3.
        if self._airflow_major is None:
            try:
                env = self.client.get_environment(Name=self.environment)["Environment"]
            except ClientError as exc:
                code, message = _client_error(exc)
                raise TriggerError(f"get_environment {self.environment}: {code}: {message}") from exc
            version = str(env.get("AirflowVersion", "2"))
            self._airflow_major = int(version.split(".", 1)[0])
        return self._airflow_major

    def run(self, command: str) -> tuple[str, str]:
        """Run one Airflow CLI command on the environment; returns (stdout, stderr) decoded."""
        try:
            token = self.client.create_cli_token(Name=self.environment)
        except ClientError as exc:
            code, message = _client_error(exc)
            raise TriggerError(f"create_cli_token {self.environment}: {code}: {message}") from exc
        url = f"{self.scheme}://{token['WebServerHostname']}/aws_mwaa/cli"
        try:
            resp = self.session.post(
                url,
                data=command.encode(),
                headers={"Authorization": f"Bearer {token['CliToken']}", "Content-Type": "text/plain"},
                timeout=self.http_timeout,
            )
        except requests.RequestException as exc:
            raise TriggerError(f"MWAA CLI endpoint {url} unreachable: {exc}") from exc
        if resp.status_code != 200:
            raise TriggerError(f"MWAA CLI endpoint answered {resp.status_code}: {resp.text[:500]}")
        try:
            payload = resp.json()
            out = base64.b64decode(payload.get("stdout", "")).decode("utf-8", "replace")
            err = base64.b64decode(payload.get("stderr", "")).decode("utf-8", "replace")
        except (ValueError, AttributeError) as exc:
            raise TriggerError(
                f"MWAA CLI endpoint answered something that is not its JSON: {resp.text[:500]}"
            ) from exc
        return out, err

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> str:
        command = shlex.join(["dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(conf)])
        out, err = self.run(command)
        if run_id not in out:
            raise TriggerError(
                f"`airflow {command}` did not create run {run_id}: {(err or out).strip()[-1000:]}"
            )
        return "queued"

    def state(self, dag_id: str, run_id: str) -> str:
        if self._airflow_version_major() >= 3:
            args = ["dags", "list-runs", dag_id, "-o", "json"]
        else:
            args = ["dags", "list-runs", "-d", dag_id, "-o", "json"]
        out, err = self.run(shlex.join(args))
        try:
            runs = json.loads(out[out.index("[") :]) if "[" in out else None
        except ValueError:
            runs = None
        if not isinstance(runs, list):
            raise TriggerError(
                f"`airflow {shlex.join(args)}` gave no JSON list: {(err or out).strip()[-1000:]}"
            )
        for run in runs:
            if run.get("run_id") == run_id:
                return str(run.get("state"))
        raise TriggerError(f"run {run_id} of {dag_id} not found by `airflow {shlex.join(args)}`")


def _utcnow_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_run_id(conf: dict[str, Any]) -> str:
    """Short (the REST path limit) and telling: deploy_<image tag prefix>_<UTC time>."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    tag = str(conf.get("image_tag", ""))[:12]
    return f"deploy_{tag}_{stamp}" if tag else f"deploy_{stamp}"


def trigger(
    client: Any,
    environment: str,
    dag_id: str,
    run_id: str,
    conf: dict[str, Any],
    *,
    api: str = "auto",
    log: Callable[[str], None] = print,
    cli_kwargs: dict[str, Any] | None = None,
) -> AirflowApi:
    """Create the DAG run through the REST API (or the CLI token); returns the API that worked."""
    if api in ("auto", "rest"):
        try:
            rest = RestApi(client, environment)
            state = rest.trigger(dag_id, run_id, conf)
            log(f"triggered {dag_id} run {run_id} on {environment} via invoke_rest_api: {state}")
            return rest
        except RestUnavailable as exc:
            if api == "rest":
                raise
            log(f"REST API not available ({exc}); falling back to a CLI token")
    cli = CliApi(client, environment, **(cli_kwargs or {}))
    state = cli.trigger(dag_id, run_id, conf)
    log(f"triggered {dag_id} run {run_id} on {environment} via the CLI endpoint: {state}")
    return cli


def wait(
    api: AirflowApi,
    dag_id: str,
    run_id: str,
    *,
    timeout: float,
    poll_interval: float,
    log: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, str | None]:
    """Poll the run until it is success/failed: (True, final state), or (False, last state seen) on timeout."""
    deadline = clock() + timeout
    last = None
    while True:
        try:
            state = api.state(dag_id, run_id)
        except TriggerError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and _client_error(cause)[0] in TRANSIENT_CODES:
                log(f"transient error while polling, retrying: {exc}")
                state = last
            else:
                raise
        if state != last:
            log(f"{dag_id} run {run_id}: {state}")
            last = state
        if state in TERMINAL_STATES:
            return True, state
        if clock() + poll_interval > deadline:
            return False, state
        sleep(poll_interval)


def parse_conf(text: str) -> dict[str, Any]:
    try:
        conf = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--conf is not valid JSON: {exc}") from exc
    if not isinstance(conf, dict):
        raise argparse.ArgumentTypeError(f"--conf must be a JSON object, got {type(conf).__name__}")
    return conf


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trigger_dag.py",
        description="Trigger a DAG on an Amazon MWAA environment and optionally wait for its final state. "
        f"Exit codes: {EXIT_OK} success (or triggered without --wait), {EXIT_FAILED} run failed or a request "
        f"was refused, {EXIT_TIMEOUT} timed out waiting, 2 bad arguments.",
    )
    p.add_argument("--environment", required=True, help="MWAA environment name")
    p.add_argument("--dag-id", required=True, help="DAG to trigger, e.g. cricket_stats")
    p.add_argument(
        "--conf",
        type=parse_conf,
        default={},
        help='run conf as a JSON object, e.g. \'{"image_tag": "abc123"}\'',
    )
    p.add_argument("--run-id", help="DAG run id (default: deploy_<image tag>_<UTC time>)")
    p.add_argument("--wait", action="store_true", help="wait until the run is success or failed")
    p.add_argument(
        "--timeout", type=positive, default=3600.0, help="seconds to wait with --wait (default 3600)"
    )
    p.add_argument("--poll-interval", type=positive, default=30.0, help="seconds between polls (default 30)")
    p.add_argument(
        "--api",
        choices=("rest", "auto", "cli"),
        default="rest",
        help="rest (default): mwaa.invoke_rest_api only; auto: a CLI token when the environment has no "
        "REST API (Airflow < 2.4.3); cli: the CLI token only (needs the web server reachable)",
    )
    p.add_argument(
        "--region", default=None, help="AWS region (default: the usual AWS_REGION / profile chain)"
    )
    return p


def _fail(message: str) -> None:
    # GitHub Actions turns this into an annotation on the run's summary page.
    prefix = "::error::" if os.environ.get("GITHUB_ACTIONS") == "true" else "error: "
    print(prefix + message, file=sys.stderr)


def main(
    argv: list[str] | None = None, *, client: Any = None, cli_kwargs: dict[str, Any] | None = None
) -> int:
    args = build_parser().parse_args(argv)
    client = client or boto3.client("mwaa", region_name=args.region)
    run_id = args.run_id or default_run_id(args.conf)
    try:
        api = trigger(
            client, args.environment, args.dag_id, run_id, args.conf, api=args.api, cli_kwargs=cli_kwargs
        )
        if not args.wait:
            return EXIT_OK
        finished, state = wait(
            api, args.dag_id, run_id, timeout=args.timeout, poll_interval=args.poll_interval
        )
    except TriggerError as exc:
        _fail(str(exc))
        return EXIT_FAILED
    if not finished:
        # A run that never left "queued" usually means a paused DAG or a full scheduler.
        hint = "; it never left queued: is the DAG paused?" if state == "queued" else f" (last state {state})"
        _fail(
            f"{args.dag_id} run {run_id} did not finish within {args.timeout:g}s{hint}; "
            f"the run goes on in {args.environment}"
        )
        return EXIT_TIMEOUT
    if state != "success":
        _fail(
            f"{args.dag_id} run {run_id} on {args.environment} ended {state}; see its task logs in the Airflow UI"
        )
        return EXIT_FAILED
    print(f"{args.dag_id} run {run_id} on {args.environment}: success")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
