"""Replica benchmark: 200-row results pages/s with 64 concurrent clients on loopback, and 15k-player startup.

The client runs in its own process (`python -m bench.replica_bench client ...`) so it does not share the
server's interpreter. Pass 1 asks for every page once (each page rendered on demand); pass 2 asks again
(served from the page cache) — the steady state a crawl that retries or re-reads sees.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAYERS = 15_000
CONCURRENCY = 64
TARGET = 500.0
STARTUP_TARGET = 20.0


def start_server(players: int, seed: int = 7) -> tuple[subprocess.Popen, str, float]:
    t0 = time.monotonic()
    cmd = [
        sys.executable,
        "-m",
        "replica",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--players",
        str(players),
        "--seed",
        str(seed),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("serving "):
        proc.kill()
        raise RuntimeError(f"replica did not start: {line!r}")
    return proc, line.split()[1], time.monotonic() - t0


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def page_urls(base: str) -> list[str]:
    """Every page of the 200-row lists a crawl at real-site scale reads (career and innings views)."""
    import urllib.request

    urls = []
    lists = [
        f"class={c};template=results;type={t}"
        for c in (1, 2, 3, 11)
        for t in ("batting", "bowling", "fielding")
    ]
    lists += [f"class={c};template=results;type=batting;view=innings" for c in (1, 2, 3)]
    for q in lists:
        with urllib.request.urlopen(
            f"{base}/ci/engine/stats/index.html?{q};page=1;size=200", timeout=120
        ) as r:
            m = re.search(rb"Page 1 of (\d+)", r.read())
        pages = int(m.group(1)) if m else 1
        urls += [f"{base}/ci/engine/stats/index.html?{q};page={p};size=200" for p in range(1, pages + 1)]
    return urls


async def _fetch_all(urls: list[str], concurrency: int) -> dict:
    import aiohttp

    queue: asyncio.Queue[str] = asyncio.Queue()
    for u in urls:
        queue.put_nowait(u)
    nbytes = 0
    errors = 0
    lat: list[float] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal nbytes, errors
        while not queue.empty():
            u = queue.get_nowait()
            t = time.perf_counter()
            async with session.get(u) as resp:
                body = await resp.read()
                if resp.status != 200 or b"</html>" not in body[-64:]:
                    errors += 1
                nbytes += len(body)
            lat.append(time.perf_counter() - t)

    conn = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=120)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    lat.sort()
    return {
        "pages": len(urls),
        "seconds": elapsed,
        "bytes": nbytes,
        "errors": errors,
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)],
    }


def client_main(argv: list[str]) -> int:
    """`python -m bench.replica_bench client URLFILE CONCURRENCY`: two passes, JSON on stdout."""
    urls = json.loads(Path(argv[0]).read_text())
    conc = int(argv[1])
    out = {"cold": asyncio.run(_fetch_all(urls, conc)), "warm": asyncio.run(_fetch_all(urls, conc))}
    print(json.dumps(out))
    return 0


def run(work: Path) -> str:
    load_before = os.getloadavg()[0]
    proc, base, startup = start_server(PLAYERS)
    try:
        urls = page_urls(base)
        url_file = work / "urls.json"
        url_file.write_text(json.dumps(urls))
        res = subprocess.run(
            [sys.executable, "-m", "bench.replica_bench", "client", str(url_file), str(CONCURRENCY)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        passes = json.loads(res.stdout)
    finally:
        stop_server(proc)
    (work / "result.json").write_text(json.dumps({"startup_s": startup, **passes}, indent=2))
    rows = []
    for name, label in (
        ("cold", "pass 1: every page rendered on first request"),
        ("warm", "pass 2: page cache"),
    ):
        r = passes[name]
        pps = r["pages"] / r["seconds"]
        mbs = r["bytes"] / r["seconds"] / 1e6
        verdict = "meets" if pps >= TARGET else "below"
        rows.append(
            f"| {label} | {r['pages']} | {pps:,.0f} | {mbs:,.1f} | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} | "
            f"{r['errors']} | {verdict} ≥ {TARGET:.0f} |"
        )
    avg_kb = passes["warm"]["bytes"] / passes["warm"]["pages"] / 1024
    return "\n".join(
        [
            "## Replica (`python -m replica serve`)",
            "",
            f"{PLAYERS:,} players, seed 7; {CONCURRENCY} concurrent aiohttp clients in a separate process on loopback,"
            f" fetching every page of the 200-row results lists (classes 1, 2, 3, 11 × batting/bowling/fielding"
            f" career view, classes 1–3 batting innings view); average page {avg_kb:.0f} KiB."
            f" Load average before the run: {load_before:.1f} (other work shares this machine's 2 cores).",
            "",
            "| run | pages | pages/s | MB/s | latency p50 / p99 ms | errors | target |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Startup to the `serving` line with {PLAYERS:,} players: **{startup:.1f} s** "
            f"({'meets' if startup < STARTUP_TARGET else 'misses'} the < {STARTUP_TARGET:.0f} s target).",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        sys.exit(client_main(sys.argv[2:]))
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench" / "out" / "replica_bench"
    out.mkdir(parents=True, exist_ok=True)
    print(run(out))
