"""`cricket-transform publish`: point each Glue table at the current run (Athena's atomic switch)."""

from __future__ import annotations

import boto3

from transform.ddl import current, table_properties
from transform.schemas import PARTITIONED, TABLES, arrow_to_athena

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


def publish(curated: str, database: str, region: str | None = None) -> list[str]:
    """Create the database and tables when missing; switch every table's location to the current run."""
    cur = current(curated)
    glue = boto3.client("glue", region_name=region) if region else boto3.client("glue")
    lines = []
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database, "Description": "cricket-stats curated tables"})
        lines.append(f"created database {database}")
    for table in TABLES:
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
    return lines
