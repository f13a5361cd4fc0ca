"""DAG tests: the DAGs folder on sys.path (as Airflow's DAG processor puts its bundle) and a throwaway AIRFLOW_HOME."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"

if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))
# Importing airflow writes airflow.cfg into AIRFLOW_HOME; keep that out of ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="cricket-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
