"""mwaa/requirements.txt covers what the DAG imports, and docs/airflow.md lists every Variable the DAG reads."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
# Distributions MWAA installs from mwaa/requirements.txt, by the top-level modules the DAG imports.
PROVIDED_BY = {
    "airflow": "apache-airflow",  # MWAA's own
    "kubernetes": "apache-airflow-providers-cncf-kubernetes",
    "boto3": "apache-airflow-providers-amazon",
}


def _requirements() -> tuple[list[str], list[str]]:
    lines = [ln.strip() for ln in (REPO / "mwaa/requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return [ln for ln in lines if ln.startswith("--constraint")], [
        ln for ln in lines if not ln.startswith("-")
    ]


def test_requirements_pin_constraints_of_an_airflow_3_mwaa_version():
    constraints, packages = _requirements()
    (line,) = constraints
    m = re.fullmatch(
        r'--constraint "https://raw\.githubusercontent\.com/apache/airflow/constraints-(3\.\d+\.\d+)/constraints-(3\.\d+)\.txt"',
        line,
    )
    assert m, line
    assert m.group(1).startswith("3.0.")  # MWAA's Airflow 3 lags PyPI: the DAG uses only 3.0 APIs
    assert m.group(2) == "3.12"
    # Versions come from the constraints; the file names the distributions only.
    assert sorted(packages) == ["apache-airflow-providers-amazon", "apache-airflow-providers-cncf-kubernetes"]


def test_every_dag_import_is_provided_on_mwaa():
    local = {p.stem for p in DAGS.glob("*.py")}
    stdlib = set(sys.stdlib_module_names)
    _, packages = _requirements()
    for path in DAGS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in stdlib or top in local or top == "__future__":
                    continue
                assert top in PROVIDED_BY, f"{path.name} imports {name}, which MWAA would not have"
                assert PROVIDED_BY[top] == "apache-airflow" or PROVIDED_BY[top] in packages


def test_docs_list_every_variable_the_dag_reads():
    code = "\n".join(p.read_text() for p in DAGS.glob("*.py"))
    names = set(re.findall(r"\bCRICKET_[A-Z0-9_]+\b", code))
    assert {"CRICKET_BACKEND", "CRICKET_RAW_URI", "CRICKET_ECS_SUBNETS", "CRICKET_SCRAPER_IMAGE"} <= names
    doc = (REPO / "docs/airflow.md").read_text()
    documented = set(re.findall(r"^\| `(CRICKET_[A-Z0-9_]+)` \|", doc, flags=re.M))
    assert names == documented
