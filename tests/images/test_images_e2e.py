"""The images built for real (podman here, docker where an engine answers) and run end to end:
scraper image → replica → moto S3 raw, transformer image → curated Parquet, as `make run-images` does."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from pyarrow import fs as pafs

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "images" / "build.sh"
LOCK = Path(os.environ.get("CRICKET_IMAGE_LOCK", "/tmp/cricket-stats-images.lock"))

pytestmark = pytest.mark.timeout(2400)  # a cold build (debootstrap, pip, Chromium) takes ~5-7 min here


def _engine_env() -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(BUILD), "--print-env"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("=", 1) for line in out.split())


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """Install the tools when missing, build (or reuse, when the inputs are unchanged) the three images."""
    if os.geteuid() != 0 and subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("building the images needs root (podman/debootstrap) or a Docker engine")
    with open(LOCK, "w") as lock:  # one build at a time, also across xdist workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = subprocess.run(["bash", str(BUILD), "--ensure-tools"], capture_output=True, text=True, cwd=REPO)
        assert res.returncode == 0, f"images/build.sh failed:\n{res.stderr[-6000:]}"
    env = _engine_env()
    os.environ.setdefault("CONTAINERS_CONF", str(REPO / "images" / "containers.conf"))
    return env


def _expected_batting_rows(tmp_path: Path) -> int:
    out = tmp_path / "truth"
    subprocess.run(
        [sys.executable, "-m", "replica", "truth", "--players", "300", "--seed", "7", "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    rows = [
        json.loads(line) for line in (out / "batting_career.jsonl").read_text().splitlines() if line.strip()
    ]
    return sum(1 for r in rows if r["format"] == "test")


def test_run_images_end_to_end(images, replica_factory, moto_s3, tmp_path):
    # A secret unique to this run: if it shows up in any image's history, a build captured it.
    secret = f"run-time-only-{uuid.uuid4().hex}"
    bucket = f"images-e2e-{uuid.uuid4().hex[:12]}"  # the moto server is shared by the session's tests
    run_id = "images-e2e"
    env = dict(os.environ)
    # Some profiles exist only as JavaScript-rendered pages: the scraper image must drive its Chromium.
    replica = replica_factory("--players", "300", "--seed", "7", "--js-only-profiles", "0.1")
    env.update(
        REPLICA_URL=replica.url,
        AWS_ENDPOINT_URL=moto_s3.url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        BUCKET=bucket,
        RUN_ID=run_id,
        CLASSES="1",
        TYPES="batting",
    )
    report_file = tmp_path / "run.json"
    env["RUN_REPORT"] = str(report_file)
    res = subprocess.run(
        ["make", "-s", "run-images"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200
    )
    assert res.returncode == 0, res.stderr[-6000:]
    report = json.loads(report_file.read_text())
    steps = {s["step"]: s for s in report["steps"]}
    assert set(steps) == {"scrape", "profiles", "transform"}
    assert steps["scrape"]["image"] == steps["profiles"]["image"] == images["SCRAPER_TAG"]
    assert "playwright" in steps["profiles"]["output_tail"].lower(), steps["profiles"]["output_tail"]
    assert steps["transform"]["image"] == images["TRANSFORMER_TAG"]
    for step in steps.values():
        assert step["exit_code"] == 0
        user = step["user"].split(":")[0]
        assert user and user not in {"0", "root"}, f"{step['step']} ran as {step['user']!r}"

    # Both images' configured user resolves to a non-root uid inside the image itself.
    for tag in (images["SCRAPER_TAG"], images["TRANSFORMER_TAG"]):
        out = subprocess.run(
            [images["ENGINE"], "run", "--rm", "--network", "none", "--entrypoint", "id", tag],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert re.match(r"uid=(\d+)", out) and int(re.match(r"uid=(\d+)", out)[1]) != 0, out

    # Curated Parquet in S3: _current.json names this run and the row counts the replica's truth has.
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_s3.url,
        aws_access_key_id="testing",
        aws_secret_access_key=secret,
        region_name="us-east-1",
    )
    current = json.loads(s3.get_object(Bucket=bucket, Key="curated/_current.json")["Body"].read())
    assert current["run_id"] == run_id
    expected = _expected_batting_rows(tmp_path)
    assert expected > 100
    batting = current["tables"]["batting_career"]
    assert batting["rows"] == expected
    fs = pafs.S3FileSystem(
        endpoint_override=moto_s3.url,
        access_key="testing",
        secret_key=secret,
        region="us-east-1",
        scheme="http",
    )
    files = [f.removeprefix("s3://") for f in batting["files"]]
    assert files and sum(pq.ParquetFile(fs.open_input_file(f)).metadata.num_rows for f in files) == expected
    assert current["tables"]["players"]["rows"] == expected  # one class, one row per player
    # Every player got its profile (date of birth comes only from the profile pages), the
    # JavaScript-only ones included.
    players = [
        pq.ParquetFile(fs.open_input_file(f.removeprefix("s3://"))).read(
            columns=["player_id", "date_of_birth"]
        )
        for f in current["tables"]["players"]["files"]
    ]
    assert sum(t.num_rows for t in players) == expected
    assert sum(t.column("date_of_birth").null_count for t in players) == 0

    # No AWS credential in any image's history, config or labels.
    for tag in (images["BASE_TAG"], images["SCRAPER_TAG"], images["TRANSFORMER_TAG"]):
        history = subprocess.run(
            [images["ENGINE"], "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        inspect = subprocess.run(
            [images["ENGINE"], "image", "inspect", tag], capture_output=True, text=True, check=True
        ).stdout
        for text in (history, inspect):
            assert secret not in text
            assert not re.search(r"AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)", text), tag
            assert not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", text), tag


def test_images_reused_when_inputs_unchanged(images, tmp_path):
    """A build right after a build, with unchanged inputs, builds nothing (the content-hash label matches).

    Runs on a snapshot of the build inputs, so edits to the working tree meanwhile cannot change them.
    """
    snap = tmp_path / "repo"
    for rel in ("images", "cricket_contract", "cricket_storage", "crawler", "transform"):
        shutil.copytree(REPO / rel, snap / rel, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for rel in ("pyproject.toml", "README.md", "requirements-runtime.lock", ".dockerignore"):
        shutil.copy2(REPO / rel, snap / rel)
    build = snap / "images" / "build.sh"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    env = {**os.environ, "IMAGE_REVISION": head or "unknown"}
    first = subprocess.run(
        ["bash", str(build)], capture_output=True, text=True, cwd=snap, env=env, timeout=1800
    )
    assert first.returncode == 0, first.stderr[-3000:]
    res = subprocess.run(["bash", str(build)], capture_output=True, text=True, cwd=snap, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    for name in ("base", "scraper", "transformer"):
        assert re.search(rf"{name}: \S+ is up to date \(inputs [0-9a-f]{{32}}\)", res.stderr), res.stderr[
            -3000:
        ]
    sizes = dict(line.split("\t") for line in res.stdout.strip().splitlines())
    assert set(sizes) == {images["BASE_TAG"], images["SCRAPER_TAG"], images["TRANSFORMER_TAG"]}
    for tag in sizes:
        labels = json.loads(
            subprocess.run(
                [images["ENGINE"], "image", "inspect", "--format", "{{json .Config.Labels}}", tag],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert labels["org.opencontainers.image.version"] and labels["org.opencontainers.image.revision"]
        assert labels["org.opencontainers.image.source"].startswith("https://")


def test_images_keep_the_aws_clients_they_call(images):
    """The base prunes botocore's service models: S3, Glue and STS (task/pod role credentials) must remain."""
    code = (
        "import boto3, botocore.session as s; "
        "[boto3.client(n, region_name='us-east-1') for n in ('s3', 'glue', 'sts')]; "
        "print(len(s.get_session().get_available_services()))"
    )
    for tag in (images["SCRAPER_TAG"], images["TRANSFORMER_TAG"]):
        res = subprocess.run(
            [
                images["ENGINE"],
                "run",
                "--rm",
                "--network",
                "none",
                "--entrypoint",
                "python3",
                tag,
                "-c",
                code,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, (tag, res.stderr[-3000:])
        assert int(res.stdout.split()[-1]) <= 5, (tag, res.stdout)  # the ~400 other models are gone
