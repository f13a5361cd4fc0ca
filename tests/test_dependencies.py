"""The locked environment is the one the issue pins: Airflow 3.3 beside a modern s3fs."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from packaging.version import Version


def test_s3fs_is_2025_or_newer():
    # Plain pip resolves Airflow + s3fs to s3fs 0.4.2 (2020), which passes `pip check` but aborts at exit.
    assert Version(importlib.metadata.version("s3fs")) >= Version("2025.1")


def test_airflow_is_3_3():
    assert Version(importlib.metadata.version("apache-airflow")).release[:2] == (3, 3)


def test_s3fs_with_airflow_exits_cleanly():
    """The broken pairing aborted at interpreter exit; a process using both must exit 0 and quietly."""
    code = (
        "import airflow, s3fs; s3fs.S3FileSystem(anon=True, endpoint_url='http://127.0.0.1:9'); print('ok')"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (res.returncode, res.stdout.strip()) == (0, "ok"), res.stderr[-2000:]
    assert "Traceback" not in res.stderr and "Abort" not in res.stderr
