"""Fault suite, crawler side: storage that refuses writes, dies, forgets or never answers during a crawl."""

from __future__ import annotations

import socket
import subprocess
import threading
import urllib.request

import pytest

from tests.crawler.test_crawl_replica import FAST, scrape
from tests.helpers import start_moto
from tests.integrity.probes import probe
from tests.integrity.test_crawl_faults import INNINGS, SLOW, errors, popen, wait_for

BUCKET = "example-cricket-bucket"


@pytest.fixture
def own_moto(monkeypatch):
    """A moto server of this test alone (the test empties or kills it), with the environment pointing at it."""
    srv = start_moto()
    env = aws_test_env(srv.url)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    import boto3

    s3 = boto3.client("s3", endpoint_url=srv.url)
    s3.create_bucket(Bucket=BUCKET)
    yield srv, s3, env
    srv.stop()


def aws_test_env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}  # fmt: skip


def crawl_to_s3_until_a_part(replica, own_moto, run_id: str) -> tuple[subprocess.Popen, str]:
    """A slow innings crawl into the test's own moto, once its first part is stored: (the crawl, run prefix)."""
    _, s3, env = own_moto
    prefix = f"raw/statsguru/run_id={run_id}/"
    args = [*INNINGS, "--base-url", replica.url, "--raw", f"s3://{BUCKET}/raw", "--run-id", run_id]
    crawl = popen(*args, "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=500", *SLOW, env=env)
    wait_for(lambda: s3_parts(s3, prefix) or crawl.poll() is not None)
    assert crawl.poll() is None, crawl.stderr.read()[-2000:]
    return crawl, prefix


def s3_parts(s3, prefix: str) -> list[str]:
    try:
        listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    except Exception:
        return []
    return [o["Key"] for o in listing.get("Contents", []) if "/part-" in o["Key"]]


@probe(
    "crawl",
    "A destination that refuses writes: a missing bucket, a file where the raw directory should be",
    "exit 1 (raw_unavailable) before the first page is fetched, one ERROR line",
)
@pytest.mark.parametrize("where", ["bucket", "file"])
def test_a_destination_that_refuses_writes_stops_before_the_first_page(replica_300, aws_env, tmp_path, where):
    if where == "file":
        (tmp_path / "raw").write_text("not a directory")
        raw = str(tmp_path / "raw" / "sub")
    else:
        raw = "s3://no-such-cricket-bucket/raw"
    res = scrape(*INNINGS, "--base-url", replica_300.url, "--raw", raw, "--run-id", "ro", *FAST, env=aws_env)
    assert res.returncode == 1, res.stderr[-2000:]
    lines = errors(res.stderr)
    assert len(lines) == 1 and "cannot use the raw location" in lines[0], lines
    assert "'raw_unavailable'" in res.stderr and "downloader/request_count" not in res.stderr


@probe(
    "crawl",
    "The S3 endpoint killed a few seconds into a crawl",
    "exit 1 (raw_store_failed), no manifest; the crawl stops at the first failed store: at most 3 ERROR lines "
    "(the store, the missing manifest, the summary) and no traceback",
)
def test_an_s3_outage_stops_the_crawl_with_few_lines(replica_300, own_moto):
    srv = own_moto[0]
    crawl, _ = crawl_to_s3_until_a_part(replica_300, own_moto, "outage")
    srv.proc.kill()
    srv.proc.wait()
    # A guard against a hang, not a timed assertion: the crawl used to run for minutes after an outage.
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, err[-3000:]
    lines = errors(err)
    assert 1 <= len(lines) <= 3, lines
    assert "could not store raw part" in lines[0] and "'raw_store_failed'" in err
    assert "Traceback" not in err
    assert "no manifest for run outage" in err


@probe(
    "raw parts and manifests",
    "The S3 endpoint loses its objects mid-crawl (restarted empty, the bucket created again)",
    "exit 1, no manifest: the error names the part that is no longer there and the lost claim",
)
def test_objects_lost_mid_crawl_leave_no_manifest(replica_300, own_moto):
    srv, s3, _ = own_moto
    crawl, prefix = crawl_to_s3_until_a_part(replica_300, own_moto, "lost")
    lost = s3_parts(s3, prefix)
    urllib.request.urlopen(urllib.request.Request(f"{srv.url}/moto-api/reset", method="POST"), timeout=10)
    s3.create_bucket(Bucket=BUCKET)
    _, err = crawl.communicate(timeout=300)
    assert crawl.returncode == 1, err[-3000:]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    assert not any(k.endswith("_manifest.json") for k in keys)
    line = next(x for x in errors(err) if "no manifest for run lost" in x)
    assert f"part {lost[0].rsplit('/', 1)[1]} " in line and "is no longer at" in line, line
    assert "its claim" in line and "is gone" in line


@probe(
    "crawl",
    "An S3 endpoint that accepts connections and never answers",
    "exit 1 (raw_unavailable) before the first page, one ERROR line: the claim's PUT gives up after 3 attempts "
    "of 5 s connect + 10 s read (45 s at worst)",
)
def test_a_silent_s3_endpoint_fails_the_crawl_in_bounded_time(replica_300, tmp_path):
    held: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def swallow():  # accept every connection, read nothing, answer nothing
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    env = aws_test_env(f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        # The timeout guards against a hang (it used to take minutes); the bound itself is not timed here.
        res = scrape(*INNINGS, "--base-url", replica_300.url, "--raw", f"s3://{BUCKET}/raw", "--run-id", "silent",
                     *FAST, env=env, timeout=150)  # fmt: skip
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert res.returncode == 1, res.stderr[-2000:]
    lines = errors(res.stderr)
    assert len(lines) == 1 and "cannot use the raw location" in lines[0] and "timeout" in lines[0].lower(), (
        lines
    )
    assert "'raw_unavailable'" in res.stderr and "downloader/request_count" not in res.stderr
    assert held  # it was tried, and given up on
