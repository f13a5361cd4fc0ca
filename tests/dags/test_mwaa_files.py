"""What MWAA gets: one Airflow version everywhere, requirements.txt covering the DAG's imports, .airflowignore, startup.sh.

This file runs in .venv-dags, so it also checks that the environment the DAG tests ran on is
MWAA 3.3.1's: Python 3.12 and the exact Airflow and provider versions MWAA pins.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
# images/airflow/3.3.1 of aws/amazon-mwaa-docker-images: etc/airflow_constraints.txt and the BOM.
MWAA_AIRFLOW = "3.3.1"
MWAA_PINS = {
    "apache-airflow": "3.3.1",
    "apache-airflow-providers-amazon": "9.34.0",
    "apache-airflow-providers-cncf-kubernetes": "10.21.0",
    "apache-airflow-providers-standard": "1.17.0",
    "boto3": "1.43.56",
    "botocore": "1.43.56",
    "aiobotocore": "3.9.0",
}
# Distributions MWAA installs from mwaa/requirements.txt, by the top-level modules the DAG imports.
PROVIDED_BY = {
    "airflow": "apache-airflow",  # MWAA's own
    "kubernetes": "apache-airflow-providers-cncf-kubernetes",
    "boto3": "apache-airflow-providers-amazon",
    "botocore": "apache-airflow-providers-amazon",
}


def _requirements() -> tuple[list[str], list[str]]:
    lines = [ln.strip() for ln in (REPO / "mwaa/requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return [ln for ln in lines if ln.startswith("--constraint")], [
        re.sub(r"\[.*\]", "", ln) for ln in lines if not ln.startswith("-")
    ]


def _lock() -> dict[str, str]:
    text = (REPO / "requirements-dags.lock").read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M))


def test_requirements_pin_the_constraints_of_mwaa_3_3_1():
    constraints, packages = _requirements()
    (line,) = constraints
    m = re.fullmatch(
        r'--constraint "https://raw\.githubusercontent\.com/apache/airflow/constraints-(3\.\d+\.\d+)/constraints-(3\.\d+)\.txt"',
        line,
    )
    assert m, line
    assert (m.group(1), m.group(2)) == (MWAA_AIRFLOW, "3.12")
    # Versions come from the constraints; the file names the distributions only.
    assert sorted(packages) == ["apache-airflow-providers-amazon", "apache-airflow-providers-cncf-kubernetes"]


def test_one_airflow_version_in_the_lock_the_requirements_and_the_stack():
    lock = _lock()["apache-airflow"]
    (constraint,) = _requirements()[0]
    required = re.search(r"constraints-(\d+\.\d+\.\d+)/", constraint).group(1)
    template = (REPO / "infra/cricket-stats.yaml").read_text()
    default = re.search(r'^  AirflowVersion:\n(?:    .*\n)*?    Default: "([0-9.]+)"', template, re.M).group(
        1
    )
    assert lock == required == default == MWAA_AIRFLOW


def test_the_dag_venv_is_mwaa_3_3_1():
    assert sys.version_info[:2] == (3, 12)  # MWAA 3.3.1 runs Python 3.12.13
    lock = _lock()
    for dist, version in MWAA_PINS.items():
        assert lock[dist] == version, dist
        assert importlib.metadata.version(dist) == version, dist


def test_every_dag_import_is_provided_on_mwaa():
    from scripts.dag_bundle import PACKAGES

    local = {p.stem for p in DAGS.glob("*.py")} | set(
        PACKAGES
    )  # the bundle ships these packages beside the DAG
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


def test_docs_list_every_setting_the_dag_reads():
    code = "\n".join(p.read_text() for p in DAGS.glob("*.py"))
    names = set(re.findall(r"\bCRICKET_[A-Z0-9_]+\b", code))
    assert {"CRICKET_BACKEND", "CRICKET_RAW_URI", "CRICKET_ECS_SUBNETS", "CRICKET_EKS_CLUSTER"} <= names
    doc = (REPO / "docs/airflow.md").read_text()
    documented = set(re.findall(r"^\| `(CRICKET_[A-Z0-9_]+)` \|", doc, flags=re.M))
    assert names == documented


def test_airflowignore_leaves_only_the_dag_file():
    """The DAG processor parses cricket_stats.py alone; the helper modules are imported, not parsed as DAGs."""
    from airflow.utils.file import list_py_file_paths

    assert sorted(Path(p).name for p in list_py_file_paths(str(DAGS))) == ["cricket_stats.py"]
    assert sorted(p.name for p in DAGS.glob("*.py")) == [
        "cricket_commands.py", "cricket_ecs.py", "cricket_k8s.py", "cricket_local.py", "cricket_plan.py",
        "cricket_runtime.py", "cricket_stats.py",
    ]  # fmt: skip


def _startup_env(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """Source mwaa/startup.sh in bash as MWAA does, and read the environment it leaves."""
    script = f'source "{REPO / "mwaa/startup.sh"}"; env -0'
    res = subprocess.run(["bash", "-c", script], env=env, capture_output=True, timeout=30)
    assert res.returncode == 0, res.stderr
    pairs = [item.split("=", 1) for item in res.stdout.decode().split("\0") if "=" in item]
    return dict(pairs), res.stderr.decode()


def test_startup_script_exports_the_backend():
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env, _ = _startup_env(base)
    assert env["CRICKET_BACKEND"] == "ecs"
    env, _ = _startup_env({**base, "CRICKET_BACKEND": "kubernetes"})
    assert env["CRICKET_BACKEND"] == "kubernetes"
    env, err = _startup_env({**base, "CRICKET_BACKEND": "docker"})
    assert "CRICKET_BACKEND=docker is not ecs or kubernetes" in err
    assert "exit" not in re.sub(r"#.*", "", (REPO / "mwaa/startup.sh").read_text())


def test_operators_override_no_private_provider_method():
    """Only public hooks of the providers: a private one would change silently with the next release."""
    from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator
    from airflow.providers.amazon.aws.operators.eks import EksPodOperator
    from cricket_ecs import CricketEcsOperator
    from cricket_k8s import CricketPodOperator

    for ours, base in ((CricketEcsOperator, EcsRunTaskOperator), (CricketPodOperator, EksPodOperator)):
        methods = {n for n, v in vars(ours).items() if inspect.isfunction(v) or isinstance(v, property)}
        shadowed = sorted(
            n for n in methods if n.startswith("_") and not n.startswith("__") and hasattr(base, n)
        )
        assert shadowed == [], f"{ours.__name__} overrides private {base.__name__} methods {shadowed}"
    # The public hooks they use, with the signatures read in these provider versions.
    assert list(inspect.signature(EcsRunTaskOperator.execute_complete).parameters) == [
        "self",
        "context",
        "event",
    ]
    assert list(inspect.signature(EksPodOperator.trigger_reentry).parameters) == ["self", "context", "event"]
    assert list(inspect.signature(EksPodOperator.execute).parameters) == ["self", "context"]


@pytest.mark.parametrize(
    "dist", ["apache-airflow-providers-amazon", "apache-airflow-providers-cncf-kubernetes"]
)
def test_provider_versions_the_operators_were_read_against(dist):
    """A provider upgrade must come with a new read of EcsRunTaskOperator / EksPodOperator: this fails until then."""
    assert importlib.metadata.version(dist) == MWAA_PINS[dist], (
        f"{dist} moved: re-read the deferral paths CricketEcsOperator/CricketPodOperator rely on "
        "(execute_complete, trigger_reentry, the `pod` attribute), then update MWAA_PINS"
    )


def test_the_dag_bundle_runs_on_mwaas_python_alone(tmp_path):
    """What the deploy uploads: dags/ plus cricket_contract and cricket_storage, and nothing else is needed.

    Imported from the bundle only (not the repo), on this venv's interpreter (MWAA's Airflow and boto3),
    the DAG parses and `load_published` reads a `_current.json` through the project's storage layer.
    """
    from scripts.dag_bundle import build

    bundle = tmp_path / "dags"
    files = build(bundle)
    assert ".airflowignore" in files and "cricket_stats.py" in files
    assert "cricket_storage/__init__.py" in files and "cricket_contract/layout.py" in files
    assert not [f for f in files if "__pycache__" in f or f.startswith(("crawler", "transform", "replica"))]
    cur = tmp_path / "curated"
    cur.mkdir()
    (cur / "_current.json").write_text(json.dumps({"run_id": "R", "tables": {"players": {"location": "x"}}}))
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]\n"
        "from airflow.models.dagbag import DagBag\n"
        "bag = DagBag(sys.argv[1])\n"
        "assert not bag.import_errors and list(bag.dags) == ['cricket_stats'], bag.import_errors\n"
        "import cricket_runtime\n"
        "print(cricket_runtime.load_published(sys.argv[2])['run_id'])\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('crawler', 'transform', 'pyarrow', 'scrapy')]\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(
        [sys.executable, "-c", code, str(bundle), cur.as_uri()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "R"
    from airflow.utils.file import list_py_file_paths

    assert sorted(Path(p).name for p in list_py_file_paths(str(bundle))) == ["cricket_stats.py"]
