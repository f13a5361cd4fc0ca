"""DAG tests: they run in .venv-dags (MWAA's Airflow, Python 3.12); the DAGs folder on sys.path, a throwaway AIRFLOW_HOME.

The replica and moto are the project's own programs, so they run on the project's interpreter
(.venv), not on MWAA's: the DAG venv holds only what an MWAA worker has, plus pytest.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
# The project's venv: cricket-scrape, cricket-transform, the replica and moto live there.
MAIN_BIN = Path(os.environ.get("CRICKET_MAIN_VENV", REPO / ".venv")) / "bin"
IN_DAG_VENV = sys.version_info[:2] == (3, 12) and importlib.util.find_spec("airflow") is not None

if not IN_DAG_VENV:
    # `make test` runs this folder in a second session on .venv-dags/bin/python.
    collect_ignore_glob = ["*.py"]
    warnings.warn(
        "tests/dags/ not collected here: it runs on MWAA's Airflow in .venv-dags "
        "(`make test`, or `.venv-dags/bin/python -m pytest tests/dags`)",
        pytest.PytestWarning,
        stacklevel=1,
    )

if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))
# Importing airflow writes airflow.cfg into AIRFLOW_HOME; keep that out of ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="cricket-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def _on_main_python(start, *args):
    """Start a server with `start(*args)` on the project's interpreter instead of this one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "executable", str(MAIN_BIN / "python"))
        return start(*args)


@pytest.fixture(scope="session")
def moto_s3():
    from tests.helpers import start_moto

    srv = _on_main_python(start_moto)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def replica_300():
    from tests.helpers import start_replica

    srv = _on_main_python(start_replica, "--players", "300", "--seed", "7")
    yield srv
    srv.stop()


@pytest.fixture
def replica_factory():
    from tests.helpers import start_replica

    started = []

    def start(*args: str):
        srv = _on_main_python(start_replica, *args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
