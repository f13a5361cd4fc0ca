"""S3 through a real moto server: raw read from and curated written to S3; DuckDB over S3; Glue publish."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest

from cricket_contract.manifest import part_entries, part_info
from tests.transform.test_rejects import item
from transform.cli import main
from transform.schemas import TABLES

DB = "cricket_transform_test"
BUCKET = "example-cricket-bucket-transform-glue"  # own bucket: the moto server is shared by the session


def _put_run(s3, run_id: str, items: list[dict]) -> None:
    prefix = f"raw/statsguru/run_id={run_id}"
    body = gzip.compress(("\n".join(json.dumps(i) for i in items) + "\n").encode())
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/part-00001.jsonl.gz", Body=body)
    manifest = {
        "run_id": run_id,
        "spider": "statsguru",
        "arguments": {"n": run_id},
        "finish_reason": "finished",
        **part_entries([part_info("part-00001.jsonl.gz", body, len(items))]),
    }
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/_manifest.json", Body=json.dumps(manifest).encode())


def test_s3_run_query_and_glue_publish(aws_env, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    _put_run(s3, "a", [item(pid=i, **{"class": 1 + i % 2}) for i in range(1, 11)])
    # a run without a manifest (a crawl still going, or one that failed) is never read
    s3.put_object(
        Bucket=BUCKET,
        Key="raw/statsguru/run_id=z/part-00000.jsonl.gz",
        Body=gzip.compress(json.dumps(item(pid=99)).encode()),
    )
    raw, curated = f"s3://{BUCKET}/raw", f"s3://{BUCKET}/curated"
    assert main(["run", "--raw", raw, "--curated", curated, "--run-id", "s1"]) == 0
    out = capsys.readouterr().out
    assert f"published: s3://{BUCKET}/curated/_current.json" in out
    cur = json.loads(s3.get_object(Bucket=BUCKET, Key="curated/_current.json")["Body"].read())
    assert cur["run_id"] == "s1" and cur["tables"]["batting_career"]["rows"] == 10
    assert cur["tables"]["batting_career"]["partitions"] == {"odi": 5, "test": 5}
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="curated/batting_career/")["Contents"]}
    attempt = cur["tables"]["batting_career"]["location"].split("/curated/", 1)[1].rstrip("/")
    assert attempt.startswith("batting_career/run_id=s1/attempt=")
    assert keys == {
        f"curated/{attempt}/format=test/part-00000.parquet",
        f"curated/{attempt}/format=odi/part-00000.parquet",
    }

    assert (
        main(
            [
                "query",
                "--curated",
                curated,
                "--format",
                "csv",
                "SELECT format, COUNT(*) AS n, MAX(player_id) AS top FROM batting_career GROUP BY 1 ORDER BY 1",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["format,n,top", "odi,5,9", "test,5,10"]

    assert main(["publish", "--curated", curated, "--glue-database", DB]) == 0
    out = capsys.readouterr().out
    assert f"created database {DB}" in out and f"created {DB}.batting_career" in out
    glue = boto3.client("glue")
    t = glue.get_table(DatabaseName=DB, Name="batting_career")["Table"]
    assert t["StorageDescriptor"]["Location"] == cur["tables"]["batting_career"]["location"]
    assert t["PartitionKeys"] == [{"Name": "format", "Type": "string"}]
    assert t["Parameters"]["projection.format.type"] == "enum"
    assert (
        t["Parameters"]["storage.location.template"]
        == t["StorageDescriptor"]["Location"] + "format=${format}/"
    )
    cols = {c["Name"]: c["Type"] for c in t["StorageDescriptor"]["Columns"]}
    assert cols["average"] == "double" and cols["scraped_at"] == "timestamp" and "format" not in cols
    players = glue.get_table(DatabaseName=DB, Name="players")["Table"]
    assert {c["Name"]: c["Type"] for c in players["StorageDescriptor"]["Columns"]}["teams"] == "array<string>"

    # a new run, then publish again: every table switches to it
    _put_run(s3, "b", [item(pid=i) for i in range(1, 4)])
    # (3 rows after 10: a shrink this test allows; tests/integrity covers refusing one)
    assert (
        main(
            ["run", "--raw", raw, "--curated", curated, "--raw-run", "b", "--run-id", "s2", "--allow-shrink"]
        )
        == 0
    )
    assert main(["publish", "--curated", curated, "--glue-database", DB]) == 0
    out = capsys.readouterr().out
    assert f"updated {DB}.batting_career" in out and "now serves run s2" in out
    tables = glue.get_tables(DatabaseName=DB)["TableList"]
    assert len(tables) == len(TABLES)
    assert all("/run_id=s2/" in t["StorageDescriptor"]["Location"] for t in tables)
    assert main(["ddl", "--curated", curated, "--database", "cricket"]) == 0
    now = json.loads(s3.get_object(Bucket=BUCKET, Key="curated/_current.json")["Body"].read())
    assert f"LOCATION '{now['tables']['batting_career']['location']}'" in capsys.readouterr().out


def test_publish_switches_every_table_before_it_recreates_the_views(aws_env, capsys):
    """The views go through Athena (moto's) with qualified names, and only after the last Glue table moved."""
    import sqlglot
    from sqlglot import exp

    from transform.ddl import VIEWS
    from transform.schemas import TABLES

    s3 = boto3.client("s3")
    bucket = BUCKET + "-views"
    s3.create_bucket(Bucket=bucket)
    raw, curated = f"s3://{bucket}/raw", f"s3://{bucket}/curated"
    prefix = "raw/statsguru/run_id=v"
    body = gzip.compress(("\n".join(json.dumps(item(pid=i)) for i in range(1, 4)) + "\n").encode())
    s3.put_object(Bucket=bucket, Key=f"{prefix}/part-00001.jsonl.gz", Body=body)
    manifest = {"run_id": "v", "spider": "statsguru", "arguments": {}, "finish_reason": "finished",
                **part_entries([part_info("part-00001.jsonl.gz", body, 3)])}  # fmt: skip
    s3.put_object(Bucket=bucket, Key=f"{prefix}/_manifest.json", Body=json.dumps(manifest).encode())
    assert main(["run", "--raw", raw, "--curated", curated, "--run-id", "v1"]) == 0

    calls: list[str] = []
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register(
        "before-call.*.*",
        lambda model, **kw: calls.append(f"{model.service_model.service_name}.{model.name}"),
    )
    db = "cricket_views_test"
    athena = boto3.client("athena")
    before = set(athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"])
    assert main(["publish", "--curated", curated, "--glue-database", db]) == 0
    out = capsys.readouterr().out
    assert f"view {db}.player_career created or replaced" in out
    writes = [i for i, c in enumerate(calls) if c in ("glue.CreateTable", "glue.UpdateTable")]
    starts = [i for i, c in enumerate(calls) if c == "athena.StartQueryExecution"]
    assert len(writes) == len(TABLES) and len(starts) == len(VIEWS)
    assert max(writes) < min(starts)  # every table switched before any view is recreated

    new = set(athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"]) - before
    sqls = [athena.get_query_execution(QueryExecutionId=q)["QueryExecution"] for q in new]
    assert {q["QueryExecutionContext"]["Database"] for q in sqls} == {db}
    created = {}
    for q in sqls:
        stmt = sqlglot.parse_one(q["Query"], read="athena")
        created[stmt.this.name] = stmt
        assert stmt.this.db == db
        for table in stmt.find_all(exp.Table):
            if table.name in TABLES:
                assert table.db == db, (stmt.this.name, table.sql())
    assert set(created) == set(VIEWS)


def test_a_failed_view_fails_publish_with_athenas_reason():
    from botocore.stub import Stubber

    from transform.glue import create_views

    athena = boto3.client(
        "athena", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
        stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        reason = "line 1:8: Table 'cricket.batting_career' does not exist"
        stub.add_response(
            "get_query_execution",
            {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": reason}}},
        )
        with pytest.raises(
            RuntimeError, match=r"view cricket\.player_career: Athena query q1 FAILED: line 1:8"
        ):
            create_views("cricket", client=athena, workgroup="cricket-stats-dev", poll=0)
