"""The run report's cost (issue 17): rendering a run's page against the previous run, next to the transform.

Two generated raw runs of ROWS rows (seeds 7 and 8: other values under mostly the same keys, so the
comparison by natural key has rows added, changed and removed) are transformed one after the other; the
second run's report is then rendered again with `cricket-transform report`. `cricket-transform run` renders
the page as part of publishing, so the baseline, the transform alone, is that run less the report alone,
both measured here: what the report adds to a weekly run is the ratio of the two.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.transform_gen import generate

ROWS = 1_000_000
BIN = Path(sys.executable).parent


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def run(work: Path) -> str:
    shutil.rmtree(work, ignore_errors=True)
    raw, cur = work / "raw", work / "curated"
    generate(raw, ROWS, run_id="week1", seed=7, per_part=50_000)
    generate(raw, ROWS, run_id="week2", seed=8, per_part=50_000)
    tr = [str(BIN / "cricket-transform"), "run", "--raw", str(raw), "--curated", str(cur), "--allow-shrink"]
    _timed([*tr, "--raw-run", "week1", "--run-id", "r1"])
    t_wall, t_cpu, _ = _timed([*tr, "--raw-run", "week2", "--run-id", "r2"])
    r_wall, r_cpu, _ = _timed([str(BIN / "cricket-transform"), "report", "--curated", str(cur), "--out",
                               str(work / "r2.html")])  # fmt: skip
    size = (work / "r2.html").stat().st_size
    base = max(t_cpu - r_cpu, 1e-9)
    return "\n".join(
        [
            "## Run report (issue 17): `cricket-transform report`",
            "",
            f"Two generated raw runs of {ROWS:,} rows each (seeds 7 and 8), transformed one after the other; the "
            "second run's report (what changed by natural key over every table, freshness, new players, leaders, "
            "five matplotlib SVG charts) rendered again on its own.",
            "",
            "| step | wall s | CPU s |",
            "|---|---|---|",
            f"| cricket-transform run (second run, its report included) | {t_wall:.1f} | {t_cpu:.1f} |",
            f"| cricket-transform report (that run's page, {size / 1e6:.1f} MB) | {r_wall:.1f} | {r_cpu:.1f} |",
            f"| the transform alone (baseline: run − report) | {t_wall - r_wall:.1f} | {base:.1f} |",
            "",
            "| check | measured | target | ok |",
            "|---|---|---|---|",
            f"| report CPU ÷ transform CPU | {r_cpu / base:.2f} | ≤ 0.5 | {'yes' if r_cpu <= 0.5 * base else 'no'} |",
        ]
    )
