"""Shared fixtures: the replica site and a moto S3 server, started as real processes on loopback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import Server, start_moto, start_replica

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "fixtures" / "real"
# A verbatim copy (with PROVENANCE.md) so a clone without ../shared — GitHub's CI — tests the same pages.
VENDORED = REPO / "tests" / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The real ESPNcricinfo pages and JSON: ../shared/fixtures/real when laid beside the clone, else the copy."""
    for where in (REAL, VENDORED):
        if where.is_dir():
            return where
    pytest.fail(f"real fixtures found neither at {REAL} nor at {VENDORED}")


@pytest.fixture(scope="session")
def replica_300() -> Server:
    """The replica with 300 players, seed 7, no faults; shared by read-only tests."""
    srv = start_replica("--players", "300", "--seed", "7")
    yield srv
    srv.stop()


@pytest.fixture
def replica_factory():
    """Start replicas with any options; all are stopped at the end of the test."""
    started: list[Server] = []

    def start(*args: str) -> Server:
        srv = start_replica(*args)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def moto_s3() -> Server:
    """A moto standalone server: a real HTTP S3 (and Glue, ECS, …) endpoint on 127.0.0.1."""
    srv = start_moto()
    yield srv
    srv.stop()


@pytest.fixture
def aws_env(moto_s3, monkeypatch) -> dict[str, str]:
    """Environment pointing boto3, s3fs, pyarrow and subprocesses at the moto server."""
    env = {
        "AWS_ENDPOINT_URL": moto_s3.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
