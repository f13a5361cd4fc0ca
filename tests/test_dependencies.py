"""The locked environments: a modern s3fs in the project's venv, and Airflow only in the DAG tests' MWAA venv."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys

from packaging.version import Version

from tests.helpers import REPO


def test_s3fs_is_2025_or_newer():
    # Plain pip resolves Airflow + s3fs to s3fs 0.4.2 (2020), which passes `pip check` but aborts at exit.
    assert Version(importlib.metadata.version("s3fs")) >= Version("2025.1")


def test_airflow_lives_only_in_the_dag_venv():
    """The DAG tests run on MWAA's Airflow (requirements-dags.lock); the project's venv does not carry one."""
    assert importlib.util.find_spec("airflow") is None
    main = (REPO / "requirements.lock").read_text()
    assert "apache-airflow" not in main
    dags = (REPO / "requirements-dags.lock").read_text()
    assert "\napache-airflow==3.3.1\n" in dags


def test_s3fs_exits_cleanly():
    """The broken pairing aborted at interpreter exit; a process using s3fs must exit 0 and quietly."""
    code = "import s3fs; s3fs.S3FileSystem(anon=True, endpoint_url='http://127.0.0.1:9'); print('ok')"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout.strip()) == (0, "ok"), res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "Abort" not in res.stderr
