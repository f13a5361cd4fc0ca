"""`python -m bench [NAME ...]`: run benchmarks and rebuild bench/RESULTS.md from every section."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = HERE / "results"
# Module name under bench/ → its section. Each module has `run(work: Path) -> str` (markdown).
ORDER = [
    "replica_bench",
    "crawl_bench",
    "profiles_bench",
    "transform_bench",
    "images_bench",
    "refresh_cost_bench",
    "refresh_bench",
    "report_bench",
    "cricsheet_bench",
]


def machine() -> str:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("free -g | awk '/Mem:/ {print $2}'")
    return (
        f"| machine | value |\n|---|---|\n| CPU | {cpu or platform.processor()} × {os.cpu_count()} |\n"
        f"| memory | {mem} GiB |\n| OS | {platform.platform()} |\n| Python | {platform.python_version()} |\n"
    )


def assemble() -> Path:
    parts = [
        "# Benchmark results\n",
        "Written by `make bench` (`python -m bench`). Each section was measured on the machine below;"
        " ratios compare against a baseline measured in the same run.\n",
        machine(),
    ]
    for name in ORDER:
        f = SECTIONS / f"{name}.md"
        if f.exists():
            parts.append(f.read_text())
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(parts))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("names", nargs="*", help=f"subset of {ORDER} (short names without _bench work too)")
    args = ap.parse_args(argv)
    names = [n if n.endswith("_bench") else f"{n}_bench" for n in args.names] or ORDER
    SECTIONS.mkdir(exist_ok=True)
    failed = []
    for name in names:
        mod = importlib.import_module(f"bench.{name}")
        work = HERE / "out" / name
        work.mkdir(parents=True, exist_ok=True)
        print(f"== {name}", flush=True)
        try:
            section = mod.run(work)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"{name} failed: {exc!r}", file=sys.stderr)
            continue
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        (SECTIONS / f"{name}.md").write_text(f"{section.rstrip()}\n\n_measured {stamp}_\n")
    print(f"wrote {assemble()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
