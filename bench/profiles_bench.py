"""Benchmark: profiles/s via the JSON fast path and via Chromium (concurrency 4 and 8), with Chromium's peak memory."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers import start_replica  # noqa: E402

FAST_PLAYERS = 3000
RENDER_PLAYERS = 300
SEED = "7"
FAST_CONCURRENCY = 32
TARGET_RATIO = 50.0
TARGET_RENDERED_8 = 8.0


@dataclass
class Result:
    label: str
    render: str
    concurrency: int
    profiles: int
    failed: int
    seconds: float  # the crawl's own elapsed time (Scrapy stats), not process start-up
    wall: float  # the whole `cricket-scrape` process, start-up and browser launch included
    chromium_peak_mb: float | None
    chromium_processes: int
    crawler_peak_mb: float

    @property
    def rate(self) -> float:
        return self.profiles / self.seconds if self.seconds else 0.0


class TreeSampler(threading.Thread):
    """Samples a process tree every 0.1 s: peak summed PSS of Chromium processes and of the rest."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.stop = threading.Event()
        self.chromium_peak = 0
        self.crawler_peak = 0
        self.chromium_pids: set[int] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            chromium = other = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    # PSS splits shared pages between the processes that map them, so summing
                    # Chromium's many processes does not count its shared libraries n times.
                    mem = p.memory_full_info().pss
                    name = p.name()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                if "chrom" in name.lower():
                    chromium += mem
                    self.chromium_pids.add(p.pid)
                elif p.pid == self.root.pid:
                    other += mem
            self.chromium_peak = max(self.chromium_peak, chromium)
            self.crawler_peak = max(self.crawler_peak, other)
            self.stop.wait(0.1)


def crawl(url: str, ids: list[int], render: str, concurrency: int, work: Path, label: str) -> Result:
    """One `cricket-scrape profiles` run, throttling off (the replica is our own site)."""
    raw = work / "raw" / label
    shutil.rmtree(raw, ignore_errors=True)  # a leftover run with this id would be resumed, not replaced
    cmd = [
        str(REPO / ".venv" / "bin" / "cricket-scrape")
        if (REPO / ".venv" / "bin" / "cricket-scrape").exists()
        else "cricket-scrape",
        "profiles",
        "--base-url",
        url,
        "--player-ids",
        ",".join(map(str, ids)),
        "--raw",
        raw.as_uri(),
        "--run-id",
        label,
        "-a",
        f"render={render}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        f"CONCURRENT_REQUESTS={concurrency}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        "-s",
        f"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT={concurrency}",
        "-s",
        "LOG_LEVEL=WARNING",
    ]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, err = proc.communicate(timeout=1800)
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{label}: cricket-scrape exited {proc.returncode}: {err[-2000:]}")
    manifest = json.loads((raw / "profiles" / f"run_id={label}" / "_manifest.json").read_text())
    stats = manifest.get("stats", {})
    seconds = float(stats.get("elapsed_time_seconds") or wall)
    profiles = sum(int(v) for k, v in stats.items() if k.startswith("profiles/source/"))
    return Result(
        label=label,
        render=render,
        concurrency=concurrency,
        profiles=profiles,
        failed=int(stats.get("profiles/failed", 0)),
        seconds=seconds,
        wall=wall,
        chromium_peak_mb=sampler.chromium_peak / 2**20 if sampler.chromium_pids else None,
        chromium_processes=len(sampler.chromium_pids),
        crawler_peak_mb=sampler.crawler_peak / 2**20,
    )


def _ids(n: int) -> list[int]:
    """The replica's player ids, from its ground truth (same seed and player count)."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "replica", "truth", "--players", str(n), "--seed", SEED, "--out", out],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with open(Path(out) / "players.jsonl") as f:
            return [json.loads(line)["player_id"] for line in f if line.strip()]


def run(work: Path) -> str:
    work.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    fast_srv = start_replica("--players", str(FAST_PLAYERS), "--seed", SEED)
    try:
        ids = _ids(FAST_PLAYERS)
        results.append(crawl(fast_srv.url, ids, "never", FAST_CONCURRENCY, work, "fast"))
    finally:
        fast_srv.stop()
    srv = start_replica("--players", str(RENDER_PLAYERS), "--seed", SEED)
    try:
        ids = _ids(RENDER_PLAYERS)
        for conc in (4, 8):
            label = f"chromium-c{conc}"
            results.append(crawl(srv.url, ids, "always", conc, work, label))
    finally:
        srv.stop()
    return report(results)


def report(results: list[Result]) -> str:
    fast = next(r for r in results if r.render == "never")
    rendered = {r.concurrency: r for r in results if r.render == "always"}
    best = max(rendered.values(), key=lambda r: r.rate)
    ratio = fast.rate / best.rate if best.rate else float("inf")
    lines = [
        "## Player profiles (issue 4)",
        "",
        "`cricket-scrape profiles` against the local replica (seed 7), AutoThrottle off. The fast path"
        f" (`render=never`: __NEXT_DATA__, else athlete JSON) crawls {fast.profiles} players at concurrency"
        f" {fast.concurrency}; the rendered path (`render=always`, Debian Chromium through scrapy-playwright,"
        f" images/fonts/media aborted) crawls {RENDER_PLAYERS} players. Rates use the crawl's own elapsed time"
        " (Scrapy's `elapsed_time_seconds`); wall time includes process start-up and browser launch."
        " Memory is summed PSS of the process tree, sampled every 0.1 s.",
        "",
        "| path | concurrency | profiles | failed | crawl s | wall s | profiles/s | Chromium peak PSS (MB) |"
        " Chromium processes | crawler peak PSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        chrom = f"{r.chromium_peak_mb:.0f}" if r.chromium_peak_mb is not None else "no browser"
        lines.append(
            f"| {'fast path' if r.render == 'never' else 'Chromium'} | {r.concurrency} | {r.profiles} | {r.failed}"
            f" | {r.seconds:.2f} | {r.wall:.2f} | {r.rate:.1f} | {chrom} | {r.chromium_processes}"
            f" | {r.crawler_peak_mb:.0f} |"
        )
    c8 = rendered.get(8)
    lines += [
        "",
        f"- fast path / best rendered: **{ratio:.0f}×** (target ≥ {TARGET_RATIO:.0f}×):"
        f" {'met' if ratio >= TARGET_RATIO else 'NOT met'}",
        f"- rendered at concurrency 8: **{c8.rate:.1f} profiles/s** (target ≥ {TARGET_RENDERED_8:.0f}):"
        f" {'met' if c8.rate >= TARGET_RENDERED_8 else 'NOT met'}"
        if c8
        else "- rendered at concurrency 8: not measured",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profiles_bench")
    ap.add_argument("--work", default=str(REPO / "bench" / "out" / "profiles_bench"))
    args = ap.parse_args(argv)
    print(run(Path(args.work)))
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
