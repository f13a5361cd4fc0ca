"""Cricsheet through the transformer: deliveries per second and peak RSS, against plain pyarrow reading the same JSON.

The raw run is made of the four real match files (tests/fixtures/real/cricsheet) under new match ids, repeated
until it holds `CRICKET_BENCH_CS_DELIVERIES` deliveries (default 10,000,000), in parts of 1,000 records as the
crawler writes them. Each side runs in its own process, so its peak RSS is its own:
- `cricket-transform run`: every Cricsheet table (matches, deliveries, people, innings from the deliveries,
  reconciliation) as zstd Parquet, in bounded memory;
- baseline: `pyarrow.json.read_json` of the same JSON lines (one table of nested records; nothing typed,
  derived or written).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

from cricket_contract.manifest import part_entries, part_info

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "tests" / "fixtures" / "real" / "cricsheet"
PART = 1000
LINEAGE = {"scraped_at": "2026-11-30T03:00:00Z", "spider": "cricsheet", "run_id": "bench"}


def make_raw(raw: Path, deliveries: int) -> tuple[int, int, Path]:
    """(matches, deliveries) written to a finished cricsheet run under `raw`, and a plain JSONL copy."""
    docs = [json.loads((REAL / f).read_text()) for f in sorted(os.listdir(REAL)) if f.endswith(".json")]
    per = [sum(len(o["deliveries"]) for i in d["innings"] for o in i["overs"]) for d in docs]
    run = raw / "cricsheet" / "run_id=bench"
    run.mkdir(parents=True)
    plain = raw.parent / "plain.jsonl"
    parts, buf, n, total, k = [], [], 0, 0, 0
    with plain.open("wb") as flat:

        def seal() -> None:
            name = f"part-{len(parts) + 1:05d}.jsonl.gz"
            data = gzip.compress(b"".join(buf), compresslevel=3, mtime=0)
            (run / name).write_bytes(data)
            parts.append(part_info(name, data, len(buf)))
            buf.clear()

        while total < deliveries:
            doc, d = docs[k % len(docs)], per[k % len(docs)]
            mid = 90_000_000 + k
            rec = {"record": "cricsheet_match", "match_id": mid, "archive": "all", "member": f"{mid}.json",
                   "data_version": doc["meta"]["data_version"], "data": doc, "source_url": "bench", **LINEAGE}  # fmt: skip
            line = orjson.dumps(rec) + b"\n"
            buf.append(line)
            flat.write(line)
            n, total, k = n + 1, total + d, k + 1
            if len(buf) >= PART:
                seal()
        if buf:
            seal()
    manifest = {"run_id": "bench", "spider": "cricsheet", "finish_reason": "finished",
                "written_at": "2026-11-30T03:00:00Z", **part_entries(parts), "items": {"cricsheet_match": n}}  # fmt: skip
    (run / "_manifest.json").write_text(json.dumps(manifest))
    return n, total, plain


def _child(code: str) -> tuple[float, float]:
    """(seconds, peak RSS MB) of `python -c code` in its own process (the child reports its own peak)."""
    code += "\nimport resource; print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    secs = time.monotonic() - t0
    rss = next(int(line.split()[1]) for line in out.stdout.splitlines() if line.startswith("RSS "))
    return secs, rss / 1024


def run(work: Path) -> str:
    target = int(os.environ.get("CRICKET_BENCH_CS_DELIVERIES", "10000000"))
    raw, cur = work / "raw", work / "curated"
    matches, deliveries, plain = make_raw(raw, target)
    raw_mb = sum(p.stat().st_size for p in (raw / "cricsheet" / "run_id=bench").glob("part-*")) / 2**20
    base_s, base_rss = _child(
        f"import pyarrow.json as pj; t = pj.read_json({str(plain)!r}); print(t.num_rows)"
    )
    ours_s, ours_rss = _child(
        "from transform.job import Job; from transform.flow import Progress; import io; "
        f"r = Job({str(raw)!r}, {str(cur)!r}, None, 'bench', progress=Progress(out=io.StringIO())).run(); "
        "assert r.exit_code == 0, r.summary"
    )
    ours_rss_text = f"{ours_rss:,.0f}"
    return (
        "## Cricsheet (issue 18): deliveries through the transformer\n\n"
        f"{matches:,} match records ({deliveries:,} deliveries; the four real files under new ids), "
        f"{raw_mb:,.0f} MB of gzipped raw parts of {PART:,} records. Each side in its own process.\n\n"
        "| run | seconds | deliveries/s | peak RSS MB |\n|---|---|---|---|\n"
        f"| cricket-transform run (matches, deliveries, people, innings, reconciliation → Parquet) | {ours_s:,.1f} "
        f"| {deliveries / ours_s:,.0f} | {ours_rss_text} |\n"
        f"| baseline: pyarrow.json.read_json of the same JSON lines (parse only) | {base_s:,.1f} "
        f"| {deliveries / base_s:,.0f} | {base_rss:,.0f} |\n\n"
        f"Ratio: the transformer takes {ours_s / base_s:,.1f}× the baseline's time. An unchanged archive costs one "
        "request (a 304; tests/crawler/test_cricsheet_spider.py, tests/transform/test_cricsheet_replica_e2e.py).\n\n"
        f"_measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}_\n"
    )


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(run(Path(tmp)))
