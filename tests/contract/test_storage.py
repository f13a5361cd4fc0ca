"""cricket_storage: the same Location operations on local disk and on moto's S3 server; explicit file modes."""

from __future__ import annotations

import os
import stat

import pytest

from cricket_storage import Location


@pytest.fixture(params=["file", "s3"])
def root(request, tmp_path):
    if request.param == "file":
        yield Location.parse(tmp_path / "zone")
        return
    request.getfixturevalue("aws_env")
    import boto3

    boto3.client("s3").create_bucket(Bucket="cricket-storage-test")
    loc = Location.parse(f"s3://cricket-storage-test/{tmp_path.name}/zone")
    yield loc
    loc.delete_tree()


def test_write_read_list_walk_delete(root):
    a = root.child("statsguru/run_id=R1", "part-00001.jsonl.gz")
    a.write_bytes(b"one")
    root.child("statsguru", "run_id=R1", "_manifest.json").write_bytes(b"{}")
    root.child("profiles/run_id=R2/part-00001.jsonl.gz").write_bytes(b"two")
    assert a.read_bytes() == b"one" and a.exists() and a.stat().size == 3
    assert not root.child("statsguru").exists()  # a directory is not a file
    assert [(e.name, e.is_dir) for e in root.list()] == [("profiles", True), ("statsguru", True)]
    names = [e.name for e in root.child("statsguru", "run_id=R1").list()]
    assert names == ["_manifest.json", "part-00001.jsonl.gz"]
    files = [
        "profiles/run_id=R2/part-00001.jsonl.gz",
        "statsguru/run_id=R1/_manifest.json",
        "statsguru/run_id=R1/part-00001.jsonl.gz",
    ]
    assert [f.uri for f in root.walk()] == [root.child(p).uri for p in files]
    with a.open_read() as fh:
        assert fh.read() == b"one"
    a.write_bytes(b"replaced")
    assert a.read_bytes() == b"replaced"
    a.delete()
    a.delete()  # a missing file is fine
    assert a.stat() is None
    with pytest.raises(FileNotFoundError, match="not found"):
        a.read_bytes()
    root.child("statsguru").delete_tree()
    assert [e.name for e in root.list()] == ["profiles"]
    assert root.child("nothing/here").list() == []


def test_upload_and_arrow_filesystem(root, tmp_path):
    src = tmp_path / "local.bin"
    src.write_bytes(b"x" * 100_000)
    target = root.child("curated", "part-00000.parquet")
    target.upload(src)
    fs, path = target.arrow()
    with fs.open_input_stream(path) as f:
        assert f.read() == b"x" * 100_000


def test_names_and_parsing():
    loc = Location.parse("s3://bucket/raw/")
    assert (loc.bucket, loc.path, loc.uri) == ("bucket", "raw", "s3://bucket/raw")
    assert loc.child("statsguru", "run_id=R").uri == "s3://bucket/raw/statsguru/run_id=R"
    assert loc.child("a").parent == loc and Location.parse("s3://bucket").child("k").uri == "s3://bucket/k"
    local = Location.parse("file:///tmp/x y/z")
    assert (
        local.path == "/tmp/x y/z"
        and local.uri == "file:///tmp/x%20y/z"
        and Location.parse(local.uri) == local
    )
    assert Location.parse("relative/dir").path == os.path.abspath("relative/dir")
    for bad in ("", "s3://", "ftp://host/x"):
        with pytest.raises(ValueError):
            Location.parse(bad)
    with pytest.raises(ValueError):
        loc.child("../escape")


def test_local_writes_get_explicit_modes_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        f = Location.parse(tmp_path / "a" / "b").child("c.json")
        f.write_bytes(b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(f.path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "b").st_mode) == 0o755
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["c.json"]  # no temp file left behind
