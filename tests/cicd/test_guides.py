"""docs/deploy.md and docs/powerbi.md agree with the code: the Power BI script runs, the variables match."""

from __future__ import annotations

import datetime as dt
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import REPO

DEPLOY_MD = REPO / "docs" / "deploy.md"
POWERBI_MD = REPO / "docs" / "powerbi.md"


def powerbi_script() -> str:
    text = POWERBI_MD.read_text()
    block = re.search(
        r"<!-- powerbi-python-script:start -->\s*```python\n(.*?)```\s*<!-- powerbi-python-script:end -->",
        text,
        re.S,
    )
    assert block, "docs/powerbi.md lost its marked Python script"
    return block.group(1)


def write_published_run(curated, run_id: str, uri_root: str) -> dict:
    """A curated run laid out as the transformer writes it, `_current.json` listing `uri_root` URIs."""
    players = pa.table(
        {
            "player_id": pa.array([311158, 253802], pa.int64()),
            "name": ["BA Stokes", "V Kohli"],
            "date_of_birth": pa.array([dt.date(1991, 6, 4), dt.date(1988, 11, 5)], pa.date32()),
        }
    )
    batting = {
        "test": pa.table({"player_id": pa.array([311158], pa.int64()), "runs": pa.array([6719], pa.int32())}),
        "odi": pa.table(
            {"player_id": pa.array([311158, 253802], pa.int64()), "runs": pa.array([3463, 14181], pa.int32())}
        ),
    }
    tables = {}
    rel = f"players/run_id={run_id}/part-00000.parquet"
    (curated / rel).parent.mkdir(parents=True)
    pq.write_table(players, curated / rel)
    tables["players"] = {
        "location": f"{uri_root}/players/run_id={run_id}/",
        "files": [f"{uri_root}/{rel}"],
        "rows": 2,
    }
    files = []
    for fmt, tb in batting.items():
        rel = f"batting_career/run_id={run_id}/format={fmt}/part-00000.parquet"
        (curated / rel).parent.mkdir(parents=True)
        pq.write_table(tb, curated / rel)
        files.append(f"{uri_root}/{rel}")
    tables["batting_career"] = {
        "location": f"{uri_root}/batting_career/run_id={run_id}/",
        "files": files,
        "rows": 3,
    }
    for table in ("bowling_career", "fielding_career"):
        rel = f"{table}/run_id={run_id}/format=test/part-00000.parquet"
        (curated / rel).parent.mkdir(parents=True)
        pq.write_table(pa.table({"player_id": pa.array([311158], pa.int64())}), curated / rel)
        tables[table] = {
            "location": f"{uri_root}/{table}/run_id={run_id}/",
            "files": [f"{uri_root}/{rel}"],
            "rows": 1,
        }
    current = {"run_id": run_id, "published_at": "2026-11-26T03:00:00+00:00", "tables": tables, "rejects": 0}
    (curated / "_current.json").write_text(json.dumps(current))
    return current


@pytest.mark.parametrize("uri_root", ["s3://example-cricket-bucket/curated", "file://{curated}"])
def test_powerbi_script_loads_the_published_run(tmp_path, monkeypatch, uri_root):
    """A local copy of S3 (URIs in the manifest still s3://) and a local transform output both load."""
    curated = tmp_path / "curated"
    curated.mkdir()
    write_published_run(curated, "2026-11-26T030000Z", uri_root.format(curated=curated))
    # An older, unpublished run beside it must not be read.
    stale = curated / "batting_career" / "run_id=stale" / "format=test"
    stale.mkdir(parents=True)
    pq.write_table(
        pa.table({"player_id": pa.array([1], pa.int64()), "runs": pa.array([1], pa.int32())}),
        stale / "p.parquet",
    )
    monkeypatch.setenv("CRICKET_CURATED_URI", str(curated))
    namespace: dict = {}
    exec(compile(powerbi_script(), "powerbi.py", "exec"), namespace)
    assert namespace["published_run"] == "2026-11-26T030000Z"
    players, batting = namespace["players"], namespace["batting_career"]
    assert sorted(players["name"]) == ["BA Stokes", "V Kohli"]
    got = sorted(zip(batting["format"], batting["player_id"], batting["runs"], strict=True))
    assert got == [("odi", 253802, 14181), ("odi", 311158, 3463), ("test", 311158, 6719)]
    assert len(namespace["fielding_career"]) == 1


def test_deploy_guide_lists_exactly_the_workflow_variables():
    workflow = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    used = set(re.findall(r"vars\.([A-Z0-9_]+)", workflow))
    section = (
        DEPLOY_MD.read_text().split("## 2. GitHub environments and variables", 1)[1].split("\n## ", 1)[0]
    )
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", section, re.M))
    assert used == documented


def test_deploy_guide_variables_come_from_stack_outputs():
    from cfnlint.decode import cfn_yaml

    outputs = set(cfn_yaml.loads((REPO / "infra" / "cricket-stats.yaml").read_text(), "t")["Outputs"])
    named = set(re.findall(r"\| `([A-Za-z]+)` \|$", DEPLOY_MD.read_text(), re.M))
    assert named and named <= outputs, named - outputs


def test_deploy_guide_airflow_variables_are_the_dags():
    dag_source = "\n".join(p.read_text() for p in (REPO / "dags").glob("*.py"))
    section = DEPLOY_MD.read_text().split("### Airflow Variables", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(CRICKET_[A-Z0-9_]+)`", section))
    unknown = {name for name in documented if name not in dag_source}
    assert not unknown, f"docs/deploy.md lists Variables the DAG does not read: {unknown}"


def test_deploy_guide_commands_match_the_trigger_script_and_template():
    text = DEPLOY_MD.read_text()
    assert "--capabilities CAPABILITY_NAMED_IAM" in text and "infra/cricket-stats.yaml" in text
    assert "cricket-transform publish --curated" in text and "--glue-database" in text
    from scripts.trigger_dag import build_parser

    options = {o for a in build_parser()._actions for o in a.option_strings}
    cmd = re.search(r"python scripts/trigger_dag.py (.*?)\n\s*```", text, re.S).group(1)
    for flag in re.findall(r"(--[a-z-]+)", cmd):
        assert flag in options, flag
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text())
    assert workflow["env"]["DAG_ID"] in cmd
