"""scripts/trigger_dag.py against botocore's Stubber (MWAA) and a loopback stand-in for the MWAA CLI endpoint."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import ANY, Stubber

from scripts import trigger_dag
from tests.helpers import REPO

ENV = "cricket-stats-dev"
DAG = "cricket_stats"
RUN = "deploy_abc123_1"
CONF = {"image_tag": "abc123"}


@pytest.fixture
def mwaa():
    client = boto3.client(
        "mwaa", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        yield client, stub


def _post(stub, state="queued"):
    stub.add_response(
        "invoke_rest_api",
        {"RestApiStatusCode": 200, "RestApiResponse": {"dag_run_id": RUN, "state": state}},
        {
            "Name": ENV,
            "Method": "POST",
            "Path": f"/dags/{DAG}/dagRuns",
            "Body": {"dag_run_id": RUN, "logical_date": ANY, "conf": CONF},
        },
    )


def _get(stub, state):
    stub.add_response(
        "invoke_rest_api",
        {"RestApiStatusCode": 200, "RestApiResponse": {"dag_run_id": RUN, "state": state}},
        {"Name": ENV, "Method": "GET", "Path": f"/dags/{DAG}/dagRuns/{RUN}"},
    )


def _argv(*extra):
    return ["--environment", ENV, "--dag-id", DAG, "--conf", json.dumps(CONF), "--run-id", RUN, *extra]


def test_trigger_without_wait_sends_one_post_with_conf(mwaa, capsys):
    client, stub = mwaa
    _post(stub)
    assert trigger_dag.main(_argv(), client=client) == 0
    stub.assert_no_pending_responses()
    assert f"triggered {DAG} run {RUN} on {ENV} via invoke_rest_api: queued" in capsys.readouterr().out


def test_wait_polls_until_success(mwaa, capsys):
    client, stub = mwaa
    _post(stub)
    for state in ("queued", "running", "running", "success"):
        _get(stub, state)
    assert trigger_dag.main(_argv("--wait", "--poll-interval", "0.01", "--timeout", "30"), client=client) == 0
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    # State changes are reported once each, in order, then the verdict.
    assert [ln for ln in out.splitlines() if ln.startswith(f"{DAG} run {RUN}")] == [
        f"{DAG} run {RUN}: queued",
        f"{DAG} run {RUN}: running",
        f"{DAG} run {RUN}: success",
        f"{DAG} run {RUN} on {ENV}: success",
    ]


def test_failed_run_exits_1_with_message(mwaa, capsys):
    client, stub = mwaa
    _post(stub)
    _get(stub, "running")
    _get(stub, "failed")
    assert trigger_dag.main(_argv("--wait", "--poll-interval", "0.01"), client=client) == 1
    assert f"{DAG} run {RUN} on {ENV} ended failed" in capsys.readouterr().err


def test_timeout_exits_124(mwaa, capsys):
    client, stub = mwaa
    _post(stub)
    for _ in range(50):
        _get(stub, "running")
    rc = trigger_dag.main(_argv("--wait", "--poll-interval", "0.05", "--timeout", "0.2"), client=client)
    assert rc == trigger_dag.EXIT_TIMEOUT == 124
    assert "did not finish within 0.2s (last state running)" in capsys.readouterr().err


def test_timeout_of_a_run_stuck_in_queued_hints_at_a_paused_dag(mwaa, capsys):
    client, stub = mwaa
    _post(stub)
    for _ in range(50):
        _get(stub, "queued")
    rc = trigger_dag.main(_argv("--wait", "--poll-interval", "0.05", "--timeout", "0.1"), client=client)
    assert rc == 124
    assert "never left queued: is the DAG paused?" in capsys.readouterr().err


def test_wait_loop_counts_polls_with_a_fake_clock():
    now = [0.0]
    calls = []

    class Api:
        name = "fake"

        def state(self, dag_id, run_id):
            calls.append(now[0])
            return "running"

    def sleep(s):
        now[0] += s

    got = trigger_dag.wait(
        Api(), DAG, RUN, timeout=100, poll_interval=30, clock=lambda: now[0], sleep=sleep, log=lambda m: None
    )
    assert got == (False, "running")
    assert calls == [0, 30, 60, 90]  # a fifth poll would end past the deadline


def test_transient_server_error_while_polling_is_retried(mwaa):
    client, stub = mwaa
    _post(stub)
    stub.add_client_error("invoke_rest_api", "InternalServerException", "try again", http_status_code=500)
    _get(stub, "success")
    assert trigger_dag.main(_argv("--wait", "--poll-interval", "0.01"), client=client) == 0
    stub.assert_no_pending_responses()


def test_airflow_refusal_is_reported_not_retried(mwaa, capsys):
    client, stub = mwaa
    stub.add_client_error(
        "invoke_rest_api",
        "RestApiClientException",
        "Not Found",
        http_status_code=400,
        modeled_fields={
            "RestApiStatusCode": 404,
            "RestApiResponse": {"detail": "DAG with dag_id: 'cricket_stats' not found"},
        },
    )
    assert trigger_dag.main(_argv("--wait"), client=client) == 1
    err = capsys.readouterr().err
    assert "RestApiClientException" in err and "Airflow answered 404" in err and "not found" in err


def test_bad_conf_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        trigger_dag.main(["--environment", ENV, "--dag-id", DAG, "--conf", "[1, 2]"], client=object())
    assert exc.value.code == 2
    assert "--conf must be a JSON object" in capsys.readouterr().err


def test_default_run_id_fits_the_rest_path_limit():
    run_id = trigger_dag.default_run_id({"image_tag": "0123456789abcdef0123456789abcdef01234567"})
    assert run_id.startswith("deploy_0123456789ab_")
    assert len(f"/dags/{DAG}/dagRuns/{run_id}") <= trigger_dag.MAX_REST_PATH


class _CliEndpoint(BaseHTTPRequestHandler):
    """What MWAA's web server does at /aws_mwaa/cli: run the CLI command, answer base64 stdout/stderr."""

    runs: dict[str, str] = {}
    seen: list[tuple[str, str]] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.seen.append((self.headers["Authorization"], body))
        if self.path != "/aws_mwaa/cli" or self.headers["Authorization"] != "Bearer tok-1":
            self.send_response(403)
            self.end_headers()
            return
        if body.startswith("dags trigger"):
            run_id = body.split("--run-id ")[1].split()[0]
            self.runs[run_id] = "queued"
            out, err = f"Created <DagRun cricket_stats @ 2026-11-26: {run_id}, state:queued>\n", ""
        elif body.startswith("dags list-runs"):
            rows = [{"dag_id": DAG, "run_id": r, "state": s} for r, s in self.runs.items()]
            for r in self.runs:  # the run finishes after it has been seen once
                self.runs[r] = "success"
            out, err = json.dumps(rows), "[warnings from the scheduler go to stderr]\n"
        else:
            out, err = "", f"unknown command {body}\n"
        payload = json.dumps(
            {
                "stdout": base64.b64encode(out.encode()).decode(),
                "stderr": base64.b64encode(err.encode()).decode(),
            }
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def cli_endpoint():
    _CliEndpoint.runs, _CliEndpoint.seen = {}, []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _CliEndpoint)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_falls_back_to_cli_token_when_rest_api_is_unavailable(mwaa, cli_endpoint, capsys):
    client, stub = mwaa
    stub.add_client_error(
        "invoke_rest_api",
        "ValidationException",
        "InvokeRestApi is not supported for Airflow version 2.2.2",
        http_status_code=400,
    )
    token = {"CliToken": "tok-1", "WebServerHostname": cli_endpoint}
    stub.add_response("create_cli_token", token, {"Name": ENV})
    stub.add_response(
        "get_environment", {"Environment": {"Name": ENV, "AirflowVersion": "2.2.2"}}, {"Name": ENV}
    )
    stub.add_response("create_cli_token", token, {"Name": ENV})
    stub.add_response("create_cli_token", token, {"Name": ENV})

    rc = trigger_dag.main(
        _argv("--api", "auto", "--wait", "--poll-interval", "0.01"),
        client=client,
        cli_kwargs={"scheme": "http"},
    )
    assert rc == 0
    stub.assert_no_pending_responses()
    commands = [body for _, body in _CliEndpoint.seen]
    assert commands == [
        f"dags trigger {DAG} --run-id {RUN} --conf '{json.dumps(CONF)}'",
        f"dags list-runs -d {DAG} -o json",  # Airflow 2 syntax, from get_environment's version
        f"dags list-runs -d {DAG} -o json",
    ]
    out = capsys.readouterr().out
    assert "falling back to a CLI token" in out and "via the CLI endpoint" in out


def test_cli_api_uses_airflow3_list_runs_syntax(mwaa, cli_endpoint):
    client, stub = mwaa
    token = {"CliToken": "tok-1", "WebServerHostname": cli_endpoint}
    stub.add_response("create_cli_token", token, {"Name": ENV})
    stub.add_response(
        "get_environment", {"Environment": {"Name": ENV, "AirflowVersion": "3.0.6"}}, {"Name": ENV}
    )
    stub.add_response("create_cli_token", token, {"Name": ENV})
    assert trigger_dag.main(_argv("--api", "cli"), client=client, cli_kwargs={"scheme": "http"}) == 0
    api = trigger_dag.CliApi(client, ENV, scheme="http")
    assert api.state(DAG, RUN) == "queued"
    assert _CliEndpoint.seen[-1][1] == f"dags list-runs {DAG} -o json"


def test_rest_only_mode_does_not_fall_back(mwaa, capsys):
    client, stub = mwaa
    stub.add_client_error("invoke_rest_api", "AccessDeniedException", "not authorized: airflow:InvokeRestApi")
    assert trigger_dag.main(_argv("--api", "rest"), client=client) == 1
    assert "AccessDeniedException" in capsys.readouterr().err


def test_rest_is_the_default_and_a_missing_cli_is_not_tried(mwaa, capsys):
    client, stub = mwaa
    stub.add_client_error(
        "invoke_rest_api", "ValidationException", "InvokeRestApi is not supported", http_status_code=400
    )
    assert trigger_dag.main(_argv(), client=client) == 1  # no create_cli_token call was stubbed
    stub.assert_no_pending_responses()
    assert "InvokeRestApi is not supported" in capsys.readouterr().err


@pytest.mark.parametrize("api", ["rest", "auto"])
def test_access_denied_is_an_iam_error_never_a_fallback(mwaa, capsys, api):
    client, stub = mwaa
    stub.add_client_error("invoke_rest_api", "AccessDeniedException", "User is not authorized")
    assert trigger_dag.main(_argv("--api", api), client=client) == 1
    stub.assert_no_pending_responses()  # no create_cli_token: the IAM mistake is reported, not hidden
    err = capsys.readouterr().err
    assert f"needs airflow:InvokeRestApi on arn:aws:airflow:<region>:<account>:role/{ENV}/User" in err


def test_runs_as_a_script_and_documents_its_exit_codes():
    out = subprocess.run(
        [sys.executable, "scripts/trigger_dag.py", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--environment", "--dag-id", "--conf", "--wait", "--timeout", "--poll-interval", "124"):
        assert flag in out
