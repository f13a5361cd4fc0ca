"""`cricket-transform publish`: point every Glue table at the current run, then create or replace the Athena views."""

from __future__ import annotations

import os
import re
import time

import boto3

from transform.ddl import VIEWS, current, table_properties
from transform.schemas import PARTITIONED, TABLES, arrow_to_athena

# Where the views are created: the workgroup (its enforced result location) and, for a workgroup
# without one, an explicit s3:// result location.
WORKGROUP_ENV, OUTPUT_ENV = "CRICKET_ATHENA_WORKGROUP", "CRICKET_ATHENA_OUTPUT"
QUERY_TIMEOUT = 300.0  # seconds for one CREATE OR REPLACE VIEW (DDL: usually under two)

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def table_input(table: str, location: str, run_id: str) -> dict:
    from transform.write import file_schema

    location = location if location.endswith("/") else location + "/"
    params = table_properties(table, location)
    params["cricket.run_id"] = run_id
    ti = {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": params,
        "StorageDescriptor": {
            "Columns": [{"Name": f.name, "Type": arrow_to_athena(f.type)} for f in file_schema(table)],
            "Location": location,
            "Compressed": True,
            **PARQUET,
        },
        "PartitionKeys": [{"Name": "format", "Type": "string"}] if table in PARTITIONED else [],
    }
    return ti


def qualified_view(database: str, name: str) -> str:
    """CREATE OR REPLACE VIEW with every table named `"database"."table"`: it resolves the same from any session."""
    sql = VIEWS[name].rstrip()
    tables = "|".join(sorted(map(re.escape, TABLES), key=len, reverse=True))
    sql = re.sub(rf"\b(FROM|JOIN)\s+({tables})\b", lambda m: f'{m.group(1)} "{database}"."{m.group(2)}"', sql)
    return f'CREATE OR REPLACE VIEW "{database}"."{name}" AS{sql}'


def create_views(
    database: str,
    *,
    region: str | None = None,
    workgroup: str | None = None,
    output: str | None = None,
    timeout: float = QUERY_TIMEOUT,
    poll: float = 0.5,
    client=None,
) -> list[str]:
    """Run every view's CREATE OR REPLACE VIEW through Athena; raise with Athena's reason on the first that fails."""
    athena = client or (boto3.client("athena", region_name=region) if region else boto3.client("athena"))
    workgroup = workgroup or os.environ.get(WORKGROUP_ENV) or "primary"
    output = output or os.environ.get(OUTPUT_ENV)
    lines = []
    for name in VIEWS:
        kwargs: dict = {
            "QueryString": qualified_view(database, name),
            "QueryExecutionContext": {"Database": database},
            "WorkGroup": workgroup,
        }
        if output:
            kwargs["ResultConfiguration"] = {"OutputLocation": output}
        qid = athena.start_query_execution(**kwargs)["QueryExecutionId"]
        deadline = time.monotonic() + timeout
        while True:
            status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Athena query {qid} (view {database}.{name}) still {status['State']} after {timeout:g}s"
                )
            time.sleep(poll)
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason", "no reason given")
            raise RuntimeError(f"view {database}.{name}: Athena query {qid} {status['State']}: {reason}")
        lines.append(
            f"view {database}.{name} created or replaced (Athena query {qid}, workgroup {workgroup})"
        )
    return lines


def publish(curated: str, database: str, region: str | None = None) -> list[str]:
    """Create the database and tables when missing; switch every table's location to the current run, then the views.

    Glue updates one table at a time, so for the seconds between the first and the last update a
    query may join tables of two runs; every view is recreated only after the last table switched.
    """
    cur = current(curated)
    glue = boto3.client("glue", region_name=region) if region else boto3.client("glue")
    lines = []
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database, "Description": "cricket-stats curated tables"})
        lines.append(f"created database {database}")
    for table in TABLES:
        if table not in cur["tables"]:  # Cricsheet's tables exist only in runs that read a cricsheet run
            continue
        ti = table_input(table, cur["tables"][table]["location"], cur["run_id"])
        try:
            old = glue.get_table(DatabaseName=database, Name=table)["Table"]
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=database, TableInput=ti)
            lines.append(f"created {database}.{table} → {ti['StorageDescriptor']['Location']}")
            continue
        glue.update_table(DatabaseName=database, TableInput=ti)
        was = old.get("StorageDescriptor", {}).get("Location")
        lines.append(f"updated {database}.{table}: {was} → {ti['StorageDescriptor']['Location']}")
    lines.append(f"glue database {database} now serves run {cur['run_id']}")
    lines += create_views(database, region=region)
    return lines
