"""Image sizes (local and compressed as a registry stores them), build reuse time and an end-to-end container run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "images" / "build.sh"


def _sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO, **kw)


def _compressed_bytes(engine: str, tag: str, work: Path) -> int:
    """Sum of the image's gzip-compressed layers and config, i.e. what a push to a registry uploads."""
    out = Path(tempfile.mkdtemp(dir=work))
    if engine == "podman":
        _sh([engine, "save", "--compress", "--format", "docker-dir", "-o", str(out / "dir"), tag])
        size = sum(f.stat().st_size for f in (out / "dir").iterdir() if f.is_file())
        shutil.rmtree(out)
        return size
    archive = out / "image.tar.gz"
    subprocess.run(f"docker save {tag} | gzip -1 > {archive}", shell=True, check=True)
    size = archive.stat().st_size
    shutil.rmtree(out)
    return size


def run(work: Path) -> str:
    os.environ.setdefault("CONTAINERS_CONF", str(REPO / "images" / "containers.conf"))
    env = dict(line.split("=", 1) for line in _sh(["bash", str(BUILD), "--print-env"]).stdout.split())
    engine = env["ENGINE"]
    t0 = time.monotonic()
    _sh(["bash", str(BUILD), "--ensure-tools"])
    ensure_s = time.monotonic() - t0
    t0 = time.monotonic()
    sizes = dict(line.split("\t") for line in _sh(["bash", str(BUILD)]).stdout.strip().splitlines())
    reuse_s = time.monotonic() - t0

    rows = []
    for name in ("base", "scraper", "transformer"):
        tag = env[f"{name.upper()}_TAG"]
        packed = _compressed_bytes(engine, tag, work)
        rows.append(f"| {name} | `{tag}` | {int(sizes[tag]) / 1e6:.0f} MB | {packed / 1e6:.0f} MB |")

    report = work / "run.json"
    t0 = time.monotonic()
    _sh(["bash", str(REPO / "images" / "run.sh"), "--report", str(report)], timeout=1800)
    run_s = time.monotonic() - t0
    steps = {s["step"]: s for s in json.loads(report.read_text())["steps"]}

    root_image = "localhost/python-slim-local" if engine == "podman" else "python:3.12-slim"
    root_bytes = int(_sh([engine, "image", "inspect", "--format", "{{.Size}}", root_image]).stdout.strip())
    added = int(sizes[env["TRANSFORMER_TAG"]]) - root_bytes
    base_image = (
        _sh(
            [
                engine,
                "image",
                "inspect",
                "--format",
                '{{index .Config.Labels "org.opencontainers.image.description"}}',
                "localhost/python-slim-local",
            ]
        ).stdout.strip()
        if engine == "podman"
        else "python:3.12-slim"
    )
    return "\n".join(
        [
            "## Container images",
            "",
            f"Engine: {engine}; base image: {base_image}. Local size is the unpacked size the engine reports;"
            " compressed is the sum of gzip-compressed layers (what a registry stores and a pull downloads).",
            "",
            "| image | tag | local size | compressed |",
            "|---|---|---|---|",
            *rows,
            "",
            "The transformer image is the base image plus an entrypoint: no Chromium, no Scrapy/Twisted/Playwright"
            " (those are installed only in the scraper image, split from the same hashed lock).",
            "",
            f"Size budget: `{root_image}` itself is {root_bytes / 1e6:.0f} MB; the project's layers add"
            f" {added / 1e6:.0f} MB to it in the transformer image (pyarrow, DuckDB, numpy and botocore are"
            " most of it). On `python:3.12-slim` (about 125 MB unpacked; not pullable here, so not measured)"
            f" that would make the transformer about {(125e6 + added) / 1e6:.0f} MB.",
            "",
            "| step | seconds |",
            "|---|---|",
            f"| `images/build.sh` first call in this run (tools check, build or reuse) | {ensure_s:.1f} |",
            f"| `images/build.sh` again, inputs unchanged (content-hash label reuse) | {reuse_s:.1f} |",
            f"| `images/run.sh` (replica 300 players + moto; scraper class 1 batting, profiles → transformer) | {run_s:.1f} |",
            f"| of which the scraper container, statsguru | {steps['scrape']['seconds']:.1f} |",
            f"| of which the scraper container, profiles (10% via Chromium) | {steps['profiles']['seconds']:.1f} |",
            f"| of which the transformer container | {steps['transform']['seconds']:.1f} |",
        ]
    )
