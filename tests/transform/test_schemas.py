"""The column contract: Athena types for every column, file schemas without the partition column."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from transform.glue import table_input
from transform.schemas import (
    EXTRA_COLUMNS,
    LINEAGE,
    NATURAL_KEYS,
    PARTITIONED,
    TABLES,
    TRUTH_TABLES,
    arrow_to_athena,
    curated_schema,
)
from transform.write import file_schema


def test_every_curated_column_has_an_athena_type():
    for table in TABLES:
        sch = curated_schema(table)
        assert sch.names[: len(TABLES[table])] == TABLES[table].names
        assert sch.names[-len(LINEAGE) :] == [f.name for f in LINEAGE]
        for f in sch:
            assert arrow_to_athena(f.type)
        assert set(NATURAL_KEYS[table]) <= set(sch.names)
    assert arrow_to_athena(pa.list_(pa.string())) == "array<string>"
    assert arrow_to_athena(pa.timestamp("us", tz="UTC")) == "timestamp"
    assert arrow_to_athena(pa.struct([("a", pa.int32())])) == "struct<a:int>"
    assert arrow_to_athena(pa.decimal128(10, 2)) == "decimal(10,2)"


@pytest.mark.parametrize(
    "t", [pa.uint64(), pa.time32("s"), pa.binary(), pa.dictionary(pa.int8(), pa.string())]
)
def test_unknown_arrow_type_raises(t):
    with pytest.raises(TypeError, match="no Athena type"):
        arrow_to_athena(t)


def test_partition_column_lives_in_the_path_not_the_file():
    for table in TABLES:
        names = file_schema(table).names
        assert "format" not in names and ("format" in curated_schema(table).names) == (table in PARTITIONED)
        ti = table_input(table, "s3://example-cricket-bucket/curated/x/run_id=r/", "r")
        assert [c["Name"] for c in ti["StorageDescriptor"]["Columns"]] == names
    assert PARTITIONED >= {"batting_career", "bowling_innings"} and "players" not in PARTITIONED
    # the truth's tables keep exactly the agreed columns; derived extras are outside TABLES
    assert all(not set(c.name for c in EXTRA_COLUMNS.get(t, [])) & set(TABLES[t].names) for t in TRUTH_TABLES)


def test_python_dash_m_transform_help():
    out = subprocess.run(
        [sys.executable, "-m", "transform", "--help"], capture_output=True, text=True, check=True
    )
    for cmd in ("run", "publish", "ddl", "query"):
        assert cmd in out.stdout
    out = subprocess.run(
        [sys.executable, "-m", "transform", "run", "--help"], capture_output=True, text=True, check=True
    )
    for opt in ("--raw", "--curated", "--raw-run", "--run-id", "--max-reject-ratio", "--keep"):
        assert opt in out.stdout


def test_parquet_files_hold_scraped_at_in_milliseconds(tmp_path, transform_run):
    """Athena reads Parquet timestamps as milliseconds: microseconds would come out wrong there."""
    import pyarrow.parquet as pq

    from tests.transform.rawgen import SCRAPED_AT, write_run
    from tests.transform.test_rejects import INNINGS, item

    write_run(tmp_path / "raw", "statsguru", "r1", [item(pid=1), item(INNINGS, pid=2)])
    res = transform_run(tmp_path / "raw", tmp_path / "cur", run_id="ms")
    files = [f for meta in res.tables.values() for f in meta["files"]]
    assert len(files) == 4  # players, batting_career, batting_innings, teams (every run writes it)
    for f in files:
        col = pq.read_table(f.removeprefix("file://")).schema.field("scraped_at")
        assert col.type == pa.timestamp("ms", tz="UTC"), f
    stamps = pq.read_table(files[0].removeprefix("file://")).column("scraped_at").to_pylist()
    assert [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in stamps] == [SCRAPED_AT, SCRAPED_AT]
