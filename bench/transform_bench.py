"""Transformer benchmark: rows/s and peak RSS of `cricket-transform run` vs plain pyarrow and a pandas baseline."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.transform_gen import GENERATOR
from cricket_storage import Location

REPO = Path(__file__).resolve().parents[1]
SIZES = tuple(int(x) for x in os.environ.get("CRICKET_BENCH_TRANSFORM_ROWS", "1000000,5000000").split(","))
# pandas holds everything in memory and is slow (≈ 1 GB and a minute per million rows)
PANDAS_SIZES = tuple(
    int(x) for x in os.environ.get("CRICKET_BENCH_PANDAS_ROWS", "1000000,5000000").split(",")
)
# Another checkout of the project (e.g. `git archive main | tar -x -C DIR`): its `cricket-transform run` is measured
# on the same rows right before ours, so a change is judged against its base under the same load.
BASELINE = os.environ.get("CRICKET_BENCH_TRANSFORM_BASELINE")
# Rounds of (before, ours, arrow), interleaved; each figure is the median of its rounds (a shared machine's load
# moves by the minute: one round of each can differ by a fifth either way).
REPEAT = int(os.environ.get("CRICKET_BENCH_TRANSFORM_REPEAT", "1"))
BASELINE_LABEL = os.environ.get("CRICKET_BENCH_TRANSFORM_BASELINE_LABEL", BASELINE)  # e.g. "main at abc1234"


def arrow_baseline(run_dir: Path, out: Path) -> int:
    """The limit: pyarrow's own JSON reader and Parquet writer over the same parts, no typing at all."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    rows = 0
    for part in sorted(run_dir.glob("part-*.jsonl.gz")):
        with pa.input_stream(str(part), compression="gzip") as f:
            tb = pj.read_json(f)
        pq.write_table(tb, out / f"{part.name.split('.')[0]}.parquet", compression="zstd")
        rows += tb.num_rows
    return rows


def loadavg() -> float:
    """The 1-minute load average: the machine is shared, so every figure carries the load it ran under."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def machine() -> str:
    """CPU model and count, kernel, Python: the figures are only comparable on the same machine."""
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"
    )
    return f"{cpu} × {os.cpu_count()}, Linux {os.uname().release}, Python {sys.version.split()[0]}"


def measure(cmd: list[str], cwd: Path = REPO) -> dict:
    """Wall time, CPU time and peak RSS of one child process (wait4 gives that child's own rusage)."""
    load = loadavg()
    t0 = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(cwd)) if cwd != REPO else None
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, ru = os.wait4(proc.pid, 0)
        err.seek(0)
        errors = err.read()
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from polling a reused pid
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {out[-1000:]} {errors[-2000:]}")
    return {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "rss_mb": ru.ru_maxrss / 1024,
        "out": out,
        "load": max(load, loadavg()),
    }


def _raw(work: Path, rows: int) -> Path:
    raw = work / f"raw_{rows}"
    run = raw / "statsguru" / "run_id=bench"
    manifest = run / "_manifest.json"
    meta = json.loads(manifest.read_text()) if manifest.exists() else {}
    if (
        meta.get("part_sha256") is None
        or meta.get("item_count") != rows
        or meta.get("arguments", {}).get("generator") != GENERATOR
    ):
        shutil.rmtree(raw, ignore_errors=True)
        t0 = time.monotonic()
        # in a child process: a child's ru_maxrss starts from its parent's RSS at fork, so this process stays small
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from bench.transform_gen import generate; from pathlib import Path; "
                f"generate(Path({str(raw)!r}), {rows})",
            ],
            cwd=REPO,
            check=True,
        )
        print(f"generated {rows:,} raw rows in {time.monotonic() - t0:.0f} s", flush=True)
    return raw


def run(work: Path) -> str:
    py = sys.executable
    results = []
    for rows in SIZES:
        raw = _raw(work, rows)
        run_dir = raw / "statsguru" / "run_id=bench"
        cur, base_out, pd_out = work / f"cur_{rows}", work / f"arrow_{rows}", work / f"pandas_{rows}"
        for d in (cur, base_out, pd_out):
            shutil.rmtree(d, ignore_errors=True)
        base_out.mkdir(parents=True)
        transform = [
            py,
            "-m",
            "transform",
            "run",
            "--raw",
            str(raw),
            "--curated",
            str(cur),
            "--run-id",
            "bench",
        ]
        arrow_cmd = [
            py,
            "-c",
            f"from bench.transform_bench import arrow_baseline; from pathlib import Path; "
            f"print(arrow_baseline(Path({str(run_dir)!r}), Path({str(base_out)!r})))",
        ]
        runs: dict[str, list[dict]] = {"before": [], "ours": [], "arrow": []}
        for _ in range(REPEAT):  # interleaved: each round's three commands meet about the same load
            if BASELINE:
                shutil.rmtree(cur, ignore_errors=True)
                runs["before"].append(measure(transform, cwd=Path(BASELINE).resolve()))
            shutil.rmtree(cur, ignore_errors=True)
            runs["ours"].append(measure(transform))
            runs["arrow"].append(measure(arrow_cmd))
        before = _median(runs["before"]) if BASELINE else None
        ours, arrow = _median(runs["ours"]), _median(runs["arrow"])
        pandas = None
        if rows in PANDAS_SIZES:
            pandas = measure([py, "-m", "bench.baselines.pandas_transform", str(run_dir), str(pd_out)])
        # the published attempt's report, as _current.json names it (each attempt has its own)
        report_uri = json.loads((cur / "_current.json").read_text())["report"]
        report = json.loads(Location.parse(report_uri).read_bytes())
        results.append((rows, ours, arrow, pandas, report, before))
        print(
            f"{rows:,} rows: ours {ours['wall']:.1f} s / {ours['cpu']:.1f} cpu-s / {ours['rss_mb']:.0f} MB; "
            f"arrow {arrow['wall']:.1f} s / {arrow['cpu']:.1f} cpu-s"
            + (f"; pandas {pandas['wall']:.1f} s / {pandas['cpu']:.1f} cpu-s" if pandas else ""),
            flush=True,
        )
        for d in (base_out, pd_out):
            shutil.rmtree(d, ignore_errors=True)
    return render(results)


def _median(ms: list[dict]) -> dict:
    """The median of each figure over repeated runs (wall and CPU each their own median)."""
    out = dict(ms[len(ms) // 2])
    for k in ("wall", "cpu", "rss_mb", "load"):
        out[k] = statistics.median(m[k] for m in ms)
    return out


def _rate(rows: int, secs: float) -> str:
    return f"{rows / secs:,.0f}"


def render(results: list) -> str:
    lines = [
        "## Transformer (`cricket-transform run`)",
        "",
        "Input: generated Statsguru-shaped raw runs (`bench/transform_gen.py`: innings rows of all three types, then",
        "one batting and one bowling career row per player (20,000 players at a million rows: 4% career rows), each",
        "the sum of that player's innings as the site's lists are, so the careers-vs-innings reconciliation finds",
        "nothing, as on a normal crawl; 5,000-row gzip parts as the crawler's feeds write them). Until 2026-12-02",
        "the careers were random numbers unrelated to the innings (every career disagreed: ~117k reconciliation",
        "findings a run, the worst case, not the normal one) and the innings' formats random per row; now each",
        "player plays one format, and no women's side is AFG-W, which teams.csv rightly does not know (8% of rows",
        "were `unknown_team` findings). Each command ran as its own",
        "process; rows/s by wall time and by CPU time (user+system: the machine is shared, so CPU time is the",
        "steadier figure), peak RSS from the child's rusage. *arrow* = plain `pyarrow.json.read_json` +",
        "`pyarrow.parquet.write_table` of the same parts (no typing, no dedupe: the limit); *pandas* =",
        "`bench/baselines/pandas_transform.py` (the same typing, dedupe and partitioned write in pandas).",
        "All three write zstd at level 1 (pyarrow's default level, which neither `cricket-transform` nor the",
        "baselines override); the arrow baseline writes the raw strings, the others typed columns. *load* is",
        "the higher 1-minute load average at the start and end of that command (2 cores, shared).",
        "*before* (when measured) is `cricket-transform run` of another checkout, run right before ours on the",
        f"same rows{f': {BASELINE_LABEL}' if BASELINE else ''}. "
        + (
            f"Figures of before, ours and arrow are medians of {REPEAT} interleaved rounds (pandas: one run)."
            if REPEAT > 1
            else "One run each."
        ),
        "",
        f"Machine: {machine()}.",
        "",
        "| rows | tool | wall s | rows/s (wall) | CPU s | rows/CPU-s | peak RSS MB | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, ours, arrow, pandas, _, before in results:
        tools = (
            ("before", before),
            ("cricket-transform", ours),
            ("arrow (limit)", arrow),
            ("pandas", pandas),
        )
        for name, m in tools:
            if m is None:
                continue
            lines.append(
                f"| {rows:,} | {name} | {m['wall']:.1f} | {_rate(rows, m['wall'])} | {m['cpu']:.1f} | "
                f"{_rate(rows, m['cpu'])} | {m['rss_mb']:.0f} | {m['load']:.1f} |"
            )
    lines += [
        "",
        "| rows | tool | vs arrow (wall) | vs arrow (CPU) | vs pandas (wall) | vs pandas (CPU) | target |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for rows, ours, arrow, pandas, _, before in results:
        for name, m in (("before", before), ("cricket-transform", ours)):
            if m is None:
                continue
            pw = f"{pandas['wall'] / m['wall']:.2f}×" if pandas else "not run"
            pc = f"{pandas['cpu'] / m['cpu']:.2f}×" if pandas else "not run"
            lines.append(
                f"| {rows:,} | {name} | {arrow['wall'] / m['wall']:.2f}× | {arrow['cpu'] / m['cpu']:.2f}× | {pw} | "
                f"{pc} | ≥ 0.7× arrow, ≥ 5× pandas |"
            )
    if len(results) >= 2:
        small, big = results[0], results[-1]
        ratio = big[1]["rss_mb"] / small[1]["rss_mb"]
        lines += [
            "",
            f"Peak RSS: {small[1]['rss_mb']:.0f} MB at {small[0]:,} rows, {big[1]['rss_mb']:.0f} MB at "
            f"{big[0]:,} rows ({ratio:.2f}× the smaller run; targets ≤ 400 MB and ≤ 1.2×).",
        ]
    rep = results[-1][4]
    lines += [
        "",
        f"Last run: {rep['rows_read']:,} rows read, {rep['rejects']} rejects, "
        f"{rep['stats']['duplicates_dropped']:,} duplicates dropped, DQ findings {rep['dq']['findings']}; "
        + ", ".join(f"{t} {m['rows']:,}" for t, m in rep["tables"].items() if m["rows"])
        + ".",
    ]
    return "\n".join(lines)
