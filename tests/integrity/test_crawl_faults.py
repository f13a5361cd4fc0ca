"""Fault suite, crawler side: one run id owned by one crawl, JOBDIR bound to its raw location, secrets, sizes, modes."""

from __future__ import annotations

import gzip
import http.server
import json
import signal
import subprocess
import sys
import threading
import time

import pytest

from crawler.claims import CLAIM, RunClaim, RunClaimed
from cricket_storage import Location
from tests.crawler.rawcheck import innings_key, read_run, read_truth
from tests.crawler.test_crawl_replica import FAST, scrape, truth  # noqa: F401 - truth is a fixture
from tests.helpers import REPO
from tests.integrity.probes import probe

# Classes 1 and 2, batting innings: about 60 pages and 11,000 rows of the 300-player replica.
INNINGS = ["statsguru", "--classes", "1,2", "--types", "batting", "--view", "innings"]
SLOW = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s",
    "DOWNLOAD_DELAY=0.3",
]


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "] ERROR: " in line]


def popen(*args: str, env: dict | None = None) -> subprocess.Popen:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for(check, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the crawl")
        time.sleep(0.1)


@probe(
    "crawl",
    "Two crawls with one --run-id at once",
    "the second exits 1 at once with one ERROR line naming the holder (host, pid, JOBDIR); the first's manifest "
    "is complete: rows expected = rows got, no duplicates",
)
def test_two_crawls_of_one_run_id_one_refuses(replica_300, truth, tmp_path):  # noqa: F811
    raw = tmp_path / "raw"
    args = [*INNINGS, "--base-url", replica_300.url, "--raw", str(raw), "--run-id", "twice"]
    run_dir = raw / "statsguru" / "run_id=twice"
    first = popen(*args, "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=1000", *SLOW)
    wait_for(lambda: list(run_dir.glob("part-*")) or first.poll() is not None)
    assert first.poll() is None, first.stderr.read()[-2000:]
    holder = json.loads((run_dir / CLAIM).read_text())

    second = scrape(*args, *FAST, timeout=120)
    assert second.returncode == 1, second.stderr[-2000:]
    lines = errors(second.stderr)
    assert len(lines) == 1, lines
    assert "is being crawled by" in lines[0] and f"pid {first.pid} " in lines[0], lines[0]
    assert f"host {holder['host']}" in lines[0] and "no JOBDIR" in lines[0]
    assert "'run_claimed'" in second.stderr

    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]
    manifest, rows = read_run(run_dir)
    want = {
        (r["player_id"], r["match_id"], r["innings_number"])
        for r in read_truth(truth, "batting_innings")
        if r["format"] in ("test", "odi")
    }
    got = [innings_key(r) for r in rows]
    assert manifest["item_count"] == len(rows) == len(set(got)) == len(want)
    assert set(got) == want
    assert not (run_dir / CLAIM).exists()


@probe(
    "crawl",
    "A JOBDIR reused with another --raw",
    "exit 1 before the first page (jobdir_mismatch), one ERROR line naming both locations; no manifest there",
)
def test_a_jobdir_reused_with_another_raw_is_refused(replica_300, tmp_path):
    job = tmp_path / "job"
    args = [
        "statsguru",
        "--classes",
        "1",
        "--types",
        "batting",
        "--base-url",
        replica_300.url,
        "--run-id",
        "j",
    ]
    one = scrape(*args, "--raw", str(tmp_path / "one"), "-s", f"JOBDIR={job}", *FAST, timeout=120)
    assert one.returncode == 0, one.stderr[-2000:]
    other = scrape(*args, "--raw", str(tmp_path / "two"), "-s", f"JOBDIR={job}", *FAST, timeout=120)
    assert other.returncode == 1, other.stderr[-2000:]
    lines = errors(other.stderr)
    assert len(lines) == 1 and "'jobdir_mismatch'" in other.stderr, lines
    assert (
        f"{tmp_path}/one/statsguru/run_id=j" in lines[0] and f"{tmp_path}/two/statsguru/run_id=j" in lines[0]
    )
    assert not list((tmp_path / "two").rglob("*.json*"))  # neither a manifest nor a claim
    assert "downloader/request_count" not in other.stderr  # not one page was fetched


@probe(
    "crawl",
    "Eight claims of one run id race (threads of one process), on S3 and on a local directory",
    "exactly one holds it (PUT If-None-Match: * / a hard link that fails if the name exists); the other seven "
    "are refused naming it",
)
@pytest.mark.parametrize("where", ["s3", "file"])
def test_racing_claims_of_a_run_id_have_one_winner(aws_env, tmp_path, where):
    import boto3

    if where == "s3":
        boto3.client("s3").create_bucket(Bucket="claims-race")
        run = Location.parse("s3://claims-race/raw/statsguru/run_id=race")
    else:
        run = Location.parse(tmp_path / "raw" / "statsguru" / "run_id=race")
    claims = [RunClaim(run, "race", "statsguru") for _ in range(8)]
    refused: list[str] = []
    start = threading.Barrier(len(claims))

    def take(claim):
        start.wait()
        try:
            claim.acquire()
        except RunClaimed as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=take, args=(c,)) for c in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [c for c in claims if c.held]
    assert len(winners) == 1 and len(refused) == 7
    stored = json.loads(run.child(CLAIM).read_bytes())
    assert stored["claim"] == winners[0].token
    winners[0].release()
    assert not run.child(CLAIM).exists()
    if where == "file":
        assert list((tmp_path / "raw" / "statsguru" / "run_id=race").iterdir()) == []  # no temp file left


@probe(
    "crawl",
    "`-s AWS_SECRET_ACCESS_KEY=…`, `-s MY_API_TOKEN=…` and a password in `--base-url http://user:pw@host`",
    "the crawl runs (the password sent as HTTP Basic auth); no secret appears in stderr, the manifest or the "
    "parts: settings show `***`, the manifest's base_url `http://***@host`",
)
def test_secrets_stay_out_of_logs_and_manifests(replica_300, tmp_path):
    base = replica_300.url.replace("http://", "http://alice:hunter2-pw@")
    res = scrape(
        *["statsguru", "--classes", "1", "--types", "batting", "--base-url", base],
        *["--raw", str(tmp_path), "--run-id", "secret", *FAST],
        *[
            "-s",
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
            "-s",
            "MY_API_TOKEN=tok-5ec7e7",
        ],
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    stored = b"".join(
        gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    ).decode()
    for secret in ("hunter2-pw", "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY", "tok-5ec7e7"):
        assert secret not in res.stderr and secret not in stored, secret
    assert "'AWS_SECRET_ACCESS_KEY': '***'" in res.stderr
    manifest = json.loads(next(tmp_path.rglob("_manifest.json")).read_text())
    assert manifest["arguments"]["base_url"] == replica_300.url.replace("http://", "http://***@")
    assert manifest["item_count"] > 0


@probe(
    "crawl",
    "A secret inside a log message's arguments, a NAME=value pair, a URL and a traceback",
    "each is written as `***`",
)
def test_the_log_filter_redacts_messages_and_tracebacks():
    import io
    import logging

    from crawler.logformat import RedactingFilter, Redactor

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(Redactor(["s3cr3t-value"])))
    log = logging.getLogger("tests.redaction")
    log.addHandler(handler)
    try:
        log.error("key is %s", "s3cr3t-value")
        log.error("retrying with DB_PASSWORD=hunter2 and http://bob:pw42@db.example/x")
        try:
            raise ValueError("cannot log in as s3cr3t-value")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "s3cr3t-value" not in text and "hunter2" not in text and "pw42" not in text and "bob" not in text
    assert "key is ***" in text and "DB_PASSWORD=***" in text and "http://***@db.example/x" in text
    assert "ValueError: cannot log in as ***" in text


class _HostileSite(http.server.BaseHTTPRequestHandler):
    """Every page is a gzip bomb (40 MB of zeros in 40 KB) or, for kind `plain`, a 40 MB body."""

    kind = "gzip"
    BOMB = gzip.compress(b"\0" * (40 << 20), compresslevel=9)

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if self.kind == "gzip":
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(self.BOMB)))
            self.end_headers()
            self.wfile.write(self.BOMB)
            return
        self.send_header("Content-Length", str(40 << 20))
        self.end_headers()
        try:
            for _ in range(40):
                self.wfile.write(b" " * (1 << 20))
        except OSError:  # the crawler hung up: that is the point
            pass

    def log_message(self, *args):
        pass


@probe(
    "crawl",
    "A page that inflates to 40 MB (a gzip bomb of 40 KB), and a page of 40 MB",
    "the download is stopped at DOWNLOAD_MAXSIZE (32 MB), the page fails and is counted "
    "(cricket/failed_pages), no manifest, exit 1",
)
@pytest.mark.parametrize("kind", ["gzip", "plain"])
def test_an_oversized_page_fails_the_run(tmp_path, kind):
    handler = type("Site", (_HostileSite,), {"kind": kind})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        res = scrape(
            *["statsguru", "--classes", "1", "--types", "batting"],
            *["--base-url", f"http://127.0.0.1:{server.server_address[1]}", "--raw", str(tmp_path)],
            *["--run-id", "bomb", *FAST, "-s", "RETRY_TIMES=1"],
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == 1, res.stderr[-2000:]
    assert "DOWNLOAD_MAXSIZE" in res.stderr or "download max size" in res.stderr
    assert "'cricket/failed_pages': 1" in res.stderr and "page failed after retries" in res.stderr
    assert not list(tmp_path.rglob("_manifest.json"))


@probe(
    "raw parts and manifests",
    "A crawl with a JOBDIR under umask 000",
    "parts, manifest, the JOBDIR ledger 0644 and every folder 0755 (explicit modes, not the umask); the claim "
    "is gone",
)
def test_crawl_files_have_explicit_modes(replica_300, tmp_path):
    raw, job = tmp_path / "raw", tmp_path / "job" / "deeper"
    res = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0); from crawler.cli import main; sys.exit(main())"]
        + ["statsguru", "--classes", "1", "--types", "batting", "--base-url", replica_300.url]
        + ["--raw", str(raw), "--run-id", "modes", "-s", f"JOBDIR={job}", *FAST],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    files = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    assert {n for n, m in files.items() if (tmp_path / n).is_file()} == {
        "raw/statsguru/run_id=modes/part-00001.jsonl.gz",
        "raw/statsguru/run_id=modes/_manifest.json",
        "job/deeper/cricket_ledger.jsonl",
    }
    assert {n: m for n, m in files.items() if m != (0o755 if (tmp_path / n).is_dir() else 0o644)} == {}


@probe(
    "crawl",
    "A crawl SIGKILLed mid-run (its claim left behind), then its run id crawled again without its JOBDIR",
    "the dead crawl's claim is taken over (same host, its pid gone), exit 0; the manifest lists only the new "
    "crawl's parts (the dead one's stay unlisted): rows expected = rows got",
)
def test_a_killed_crawls_claim_is_taken_over(replica_300, truth, tmp_path):  # noqa: F811
    raw = tmp_path / "raw"
    args = [*INNINGS, "--base-url", replica_300.url, "--raw", str(raw), "--run-id", "killed"]
    run_dir = raw / "statsguru" / "run_id=killed"
    dead = popen(*args, "-s", "FEED_EXPORT_BATCH_ITEM_COUNT=1000", *SLOW)
    wait_for(lambda: list(run_dir.glob("part-*")) or dead.poll() is not None)
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    left = sorted(p.name for p in run_dir.glob("part-*"))
    assert left and json.loads((run_dir / CLAIM).read_text())["pid"] == dead.pid

    res = scrape(*args, *FAST, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"pid {dead.pid} " in res.stderr and "is no longer running" in res.stderr
    manifest, rows = read_run(run_dir)
    assert not set(manifest["parts"]) & set(left)
    want = {
        (r["player_id"], r["match_id"], r["innings_number"])
        for r in read_truth(truth, "batting_innings")
        if r["format"] in ("test", "odi")
    }
    assert manifest["item_count"] == len(rows) == len(want) and {innings_key(r) for r in rows} == want
    assert not (run_dir / CLAIM).exists()
