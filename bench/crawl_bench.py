"""Benchmark: the statsguru crawl's parsed rows/s and pages/s against a no-parse Scrapy crawl and a sequential
requests + BeautifulSoup scraper, a 100 ms-latency run, CPU per page, and peak RSS as the rows grow."""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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

from replica.process import start_replica  # noqa: E402

PLAYERS = int(os.environ.get("CRICKET_BENCH_PLAYERS", "15000"))
SEED = "7"
CLASSES = "1,2,3"
TYPES = "batting"
VIEWS = ("career", "innings")
CONCURRENCY = 32
BASELINE_PAGES = int(os.environ.get("CRICKET_BENCH_BASELINE_PAGES", "40"))
FAST = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    f"CONCURRENT_REQUESTS={CONCURRENCY}",
    "-s",
    f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
    "-s",
    "CRICKET_PROGRESS_INTERVAL=0",
    "-s",
    "LOG_LEVEL=WARNING",
]
PAGE_OF = re.compile(rb"Page\s+\d+\s+of\s+(\d+)")
LAST_CPU = 0.0  # CPU seconds of the last child process run by _run()


@dataclass
class Run:
    label: str
    pages: int
    rows: int
    seconds: float
    peak_rss_mb: float
    cpu_s: float = 0.0  # user + system CPU of the crawling process, start-up included

    @property
    def pages_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def rows_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class RssSampler(threading.Thread):
    """Peak RSS of one process, sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.05)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(cmd: list[str]) -> tuple[str, float, float]:
    global LAST_CPU
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    sampler.done.set()
    wall = time.perf_counter() - t0
    LAST_CPU = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited {proc.returncode}: {err[-2000:]}")
    return out, wall, sampler.peak / 2**20


def parsed_crawl(base: str, view: str, raw: Path, label: str) -> Run:
    run_id = f"bench-{view}-{int(time.time() * 1000)}"
    cmd = [
        sys.executable,
        "-m",
        "crawler.cli",
        "statsguru",
        "--base-url",
        base,
        "--classes",
        CLASSES,
        "--types",
        TYPES,
        "--view",
        view,
        "--raw",
        str(raw),
        "--run-id",
        run_id,
        *FAST,
    ]
    _out, _wall, peak = _run(cmd)
    manifest = json.loads((raw / "statsguru" / f"run_id={run_id}" / "_manifest.json").read_text())
    st = manifest["stats"]
    pages, rows, secs = st["cricket/pages_done"], manifest["item_count"], float(st["elapsed_time_seconds"])
    return Run(label, pages, rows, secs, peak, LAST_CPU)


def noparse_crawl(base: str, view: str, label: str) -> Run:
    out, _wall, peak = _run([sys.executable, "-m", "bench.crawl_bench", "noparse", base, view, *FAST])
    res = json.loads(out.strip().splitlines()[-1])
    return Run(label, res["pages"], 0, res["seconds"], peak, LAST_CPU)


def baseline(base: str) -> Run:
    per_view = max(1, BASELINE_PAGES // len(VIEWS))
    pages = rows = 0
    seconds = 0.0
    peak = cpu = 0.0
    for view in VIEWS:
        cmd = [
            sys.executable,
            "-m",
            "bench.baselines.requests_bs4_scraper",
            "--base-url",
            base,
            "--classes",
            CLASSES,
            "--types",
            TYPES,
            "--views",
            view,
            "--max-pages",
            str(per_view),
        ]
        out, _wall, p = _run(cmd)
        res = json.loads(out.strip().splitlines()[-1])
        pages += res["pages"]
        rows += res["rows"]
        seconds += res["seconds"]
        peak = max(peak, p)
        cpu += LAST_CPU
    return Run("requests + BeautifulSoup, sequential", pages, rows, seconds, peak, cpu)


def per_page_costs(base: str) -> tuple[float, float]:
    """CPU ms to parse one 200-row innings page, and for our own work on its rows (the validate, dedupe
    and lineage pipelines, JSON lines, gzip at the feed's level), measured in this process on a page
    fetched from the replica, through the crawler's own classes."""
    import copy
    import gzip
    import io
    import urllib.request

    from scrapy.http import HtmlResponse

    from crawler.feeds import RawJsonLinesExporter
    from crawler.items import RawRows
    from crawler.pages.statsguru import parse_results, results_url
    from crawler.pipelines import DedupePipeline, LineagePipeline, ValidatePipeline

    class Stats(dict):
        def inc_value(self, key, count=1):
            self[key] = self.get(key, 0) + count

    url = results_url(base, 2, "batting", "innings", 2, 200)
    body = urllib.request.urlopen(url, timeout=60).read()
    n = 10

    def best_of(fn, rounds: int = 5) -> float:
        """CPU ms per page: the best of `rounds` rounds of n pages (timeit's rule: the rest is noise)."""
        best = float("inf")
        for _ in range(rounds):
            t0 = time.process_time()
            fn()
            best = min(best, (time.process_time() - t0) / n * 1000)
        return best

    def parse_n() -> None:
        for _ in range(n):
            parse_results(HtmlResponse(url, body=body, encoding="utf-8"))

    parse_ms = best_of(parse_n)
    rows = parse_results(HtmlResponse(url, body=body, encoding="utf-8")).rows
    stats = Stats()
    level = int(os.environ.get("CRICKET_GZIP_LEVEL", "3"))
    out = gzip.GzipFile(fileobj=io.BytesIO(), mode="wb", compresslevel=level)
    exporter = RawJsonLinesExporter(out, encoding="utf-8")
    validate = ValidatePipeline(stats=stats)
    lineage = LineagePipeline(stats=stats, spider_name="b", run_id="b")
    rounds = [[RawRows(url, copy.deepcopy(rows)) for _ in range(n)] for _ in range(5)]

    def own_n() -> None:
        for item in rounds.pop():
            dedupe = DedupePipeline(stats=stats)  # a fresh key set: every page's rows are new
            exporter.export_item(lineage.process_item(dedupe.process_item(validate.process_item(item))))

    own_ms = best_of(own_n)
    return parse_ms, own_ms


def combine(label: str, runs: list[Run]) -> Run:
    return Run(
        label,
        sum(r.pages for r in runs),
        sum(r.rows for r in runs),
        sum(r.seconds for r in runs),
        max(r.peak_rss_mb for r in runs),
        sum(r.cpu_s for r in runs),
    )


def noparse_main(base: str, view: str, settings: list[str]) -> None:
    """A Scrapy crawl of the same URLs that reads only "Page 1 of M": the ceiling for the parsed crawl."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.pages.statsguru import results_url

    class NoParse(scrapy.Spider):
        name = "bench_noparse"
        custom_settings = {"ITEM_PIPELINES": {}, "FEEDS": {}, "ADDONS": {}, "EXTENSIONS": {}}

        async def start(self):
            for klass in CLASSES.split(","):
                for type_ in TYPES.split(","):
                    yield scrapy.Request(
                        results_url(base, int(klass), type_, view, 1, 200), callback=self.first
                    )

        def first(self, response):
            self.crawler.stats.inc_value("bench/pages")
            m = PAGE_OF.search(response.body)
            q = dict(p.split("=") for p in response.url.split("?", 1)[1].split(";"))
            for n in range(2, int(m.group(1)) + 1 if m else 1):
                yield scrapy.Request(
                    results_url(base, int(q["class"]), q["type"], view, n, 200), callback=self.rest
                )

        def rest(self, response):
            self.crawler.stats.inc_value("bench/pages")

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    s = get_project_settings()
    for pair in settings:
        k, _, v = pair.partition("=")
        s.set(k, v, priority="cmdline")
    proc = CrawlerProcess(s)
    crawler = proc.create_crawler(NoParse)
    proc.crawl(crawler)
    proc.start()
    st = crawler.stats.get_stats()
    print(json.dumps({"pages": st.get("bench/pages", 0), "seconds": st["elapsed_time_seconds"]}))


def run(work: Path) -> str:
    raw = work / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    lines = []
    t0 = time.perf_counter()
    replica = start_replica("--players", str(PLAYERS), "--seed", SEED, timeout=180)
    try:
        parse_ms, own_ms = per_page_costs(replica.url)
        parsed = [parsed_crawl(replica.url, v, raw, f"parsed ({v})") for v in VIEWS]
        noparse = [noparse_crawl(replica.url, v, f"no-parse ({v})") for v in VIEWS]
        base_run = baseline(replica.url)
    finally:
        replica.stop()
    p_all, n_all = (
        combine("cricket-scrape statsguru (parsed, raw feeds)", parsed),
        combine("no-parse Scrapy", noparse),
    )

    slow = start_replica("--players", str(PLAYERS), "--seed", SEED, "--latency-ms", "100", timeout=180)
    try:
        lat = combine("parsed, --latency-ms 100", [parsed_crawl(slow.url, v, raw, v) for v in VIEWS])
    finally:
        slow.stop()

    # Flatness: the same crawler on the same replica, career view (1×) against innings view (many × the rows).
    small, big = parsed

    ratio_np = p_all.pages_s / n_all.pages_s if n_all.pages_s else 0.0
    ratio_bs = p_all.rows_s / base_run.rows_s if base_run.rows_s else 0.0
    lat_target = 0.8 * min(p_all.pages_s, CONCURRENCY / 0.1)
    peak = max(r.peak_rss_mb for r in [*parsed, lat])

    def ms(r: Run) -> float:
        return 1000 * r.cpu_s / r.pages if r.pages else 0.0

    def rows_per_cpu(r: Run) -> float:
        return r.rows / r.cpu_s if r.cpu_s else 0.0

    rest_ms = max(0.0, ms(p_all) - ms(n_all) - parse_ms - own_ms)
    # Upper bounds of the ratio: the no-parse crawl's time per page (one core, start-up excluded) plus
    # parsing alone, in one process; and that plus our own row work spread over every core for free.
    scrapy_page_ms = 1000 / n_all.pages_s if n_all.pages_s else 0.0
    bound = scrapy_page_ms / (scrapy_page_ms + parse_ms) if parse_ms else 0.0
    cores = os.cpu_count() or 1
    bound_all = min(1.0, cores * scrapy_page_ms / (scrapy_page_ms + parse_ms + own_ms)) if parse_ms else 0.0
    cpu_ratio = rows_per_cpu(p_all) / rows_per_cpu(base_run) if rows_per_cpu(base_run) else 0.0
    growth = big.peak_rss_mb / small.peak_rss_mb if small.peak_rss_mb else 0.0

    def row(r: Run) -> str:
        ms = 1000 * r.cpu_s / r.pages if r.pages else 0.0
        return (
            f"| {r.label} | {r.pages} | {r.rows} | {r.seconds:.1f} | {r.pages_s:.1f} | {r.rows_s:.0f} |"
            f" {r.cpu_s:.1f} | {ms:.1f} | {r.peak_rss_mb:.0f} |"
        )

    lines += [
        "## Crawl (issue 3): statsguru results lists",
        "",
        f"Replica with {PLAYERS:,} players (seed {SEED}), classes {CLASSES}, type {TYPES}, career + innings views,"
        f" size 200, {CONCURRENCY} concurrent requests, AutoThrottle off (our own replica; the real site keeps the"
        " polite defaults). Times are Scrapy's elapsed time of each crawl (start-up excluded); the baseline fetched"
        f" the first {BASELINE_PAGES} pages only (sequential, so its rate does not depend on how many).",
        "",
        "| run | pages | rows | seconds | pages/s | rows/s | CPU s | CPU ms/page | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
        *[row(r) for r in [*parsed, p_all, *noparse, n_all, base_run, lat]],
        "",
        "| check | measured | target | ok |",
        "|---|---|---|---|",
        f"| parsed pages/s ÷ no-parse pages/s | {ratio_np:.2f} | ≥ 0.8 | {'yes' if ratio_np >= 0.8 else 'no'} |",
        f"| parsed rows/s ÷ requests+BS4 rows/s | {ratio_bs:.1f}× | ≥ 10× | {'yes' if ratio_bs >= 10 else 'no'} |",
        f"| pages/s at 100 ms latency | {lat.pages_s:.1f} | ≥ {lat_target:.1f} (0.8 × min({p_all.pages_s:.1f},"
        f" {CONCURRENCY}/0.1 s)) | {'yes' if lat.pages_s >= lat_target else 'no'} |",
        f"| peak RSS of any crawl | {peak:.0f} MB | ≤ 300 MB | {'yes' if peak <= 300 else 'no'} |",
        f"| peak RSS innings ÷ career ({big.rows / max(small.rows, 1):.0f}× the rows: {big.rows} vs {small.rows})"
        f" | {growth:.2f} | flat (≤ 1.2) | {'yes' if growth <= 1.2 else 'no'} |",
        f"| rows per CPU second, parsed ÷ requests+BS4 | {cpu_ratio:.1f}× | (load-independent view) | - |",
        "",
        "Where the time goes: every crawl here is CPU-bound (the replica answers in a few ms), so wall-clock"
        " rates mostly measure how much CPU each crawl needs. The spiders yield one Scrapy item per page"
        " carrying its raw records (the feed still writes one JSON line per row), so Scrapy's per-item"
        " machinery runs once per page, not 200 times. The no-parse crawl spends"
        f" {ms(n_all):.1f} ms of CPU per page; the parsed crawl {ms(p_all):.1f} ms: parsing the 200-row"
        f" page (lxml) {parse_ms:.1f} ms, our own work on its 200 rows (validate, de-duplicate,"
        f" lineage, JSON lines, gzip) {own_ms:.1f} ms, and {rest_ms:.1f} ms more of Scrapy's per-item and"
        " per-callback work (scraper, spider middlewares, item pipeline, signals, feed exporter)."
        f" The no-parse crawl takes {scrapy_page_ms:.2f} ms per page ({n_all.pages_s:.0f} pages/s on one core), so"
        f" parsing alone caps one process at {scrapy_page_ms:.2f} ÷ ({scrapy_page_ms:.2f} + {parse_ms:.1f}) ="
        f" {bound:.2f}× the no-parse rate; even with the parsing and row work spread over all {cores} cores at no"
        f" cost (and no CPU left for the replica) the ceiling is {bound_all:.2f}×. The 0.8× target is out of reach"
        " on this loopback, CPU-bound machine for any crawler that parses the pages it fetches with lxml; on a"
        " real link, where the site's answer time and Crawl-delay set the pace, parsing is not the limit. With 100 ms"
        f" latency and {CONCURRENCY} requests in flight the network allows {CONCURRENCY / 0.1:.0f} pages/s, so that"
        f" run is CPU-bound as well: {lat.pages_s:.1f} pages/s against {p_all.pages_s:.1f} without latency"
        f" ({lat.pages_s / p_all.pages_s if p_all.pages_s else 0:.2f}×), the difference being the CPU the machine"
        " had to spare at the time. The dedupe pipeline's key set (≈ 8 bytes per distinct row once settled into"
        " a sorted array; `CRICKET_DEDUPE=False` turns it off) is what grows with the rows.",
        "",
        f"Load average when it finished: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work shared the"
        " machine). CPU ms/page counts the whole process, start-up included; it does not depend on that load.",
        f"Whole benchmark took {time.perf_counter() - t0:.0f} s.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.crawl_bench")
    sub = ap.add_subparsers(dest="cmd", required=True)
    np_ = sub.add_parser("noparse", help="internal: the no-parse Scrapy crawl")
    np_.add_argument("base")
    np_.add_argument("view")
    np_.add_argument("-s", dest="settings", action="append", default=[])
    sub.add_parser("run", help="run the benchmark and print its markdown section")
    args = ap.parse_args(argv)
    if args.cmd == "noparse":
        noparse_main(args.base.rstrip("/"), args.view, args.settings)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        print(run(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
