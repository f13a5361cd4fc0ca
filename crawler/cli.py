"""`cricket-scrape SPIDER …`: run any project spider in-process; exit 0 finished, 2 blocked, 3 layout drift, 1 else."""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_BLOCKED, EXIT_DRIFT = 0, 1, 2, 3


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise SystemExit(f"cricket-scrape: {flag} expects NAME=VALUE, got {v!r}")
        out[name] = value
    return out


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="cricket-scrape",
        description="Crawl ESPNcricinfo (or the local replica) into raw JSONL feeds. "
        "Exit codes: 0 finished, 2 blocked, 3 layout drift, 1 any other failure.",
    )
    ap.add_argument("spider", help="spider name: statsguru, player_stats, profiles, …")
    ap.add_argument("--base-url", help="site root (default https://stats.espncricinfo.com)")
    ap.add_argument("--classes", help="Statsguru classes, e.g. 1,2,3")
    ap.add_argument("--types", help="batting,bowling,fielding")
    ap.add_argument("--view", choices=["career", "innings"])
    ids = ap.add_mutually_exclusive_group()
    ids.add_argument("--player-ids", help="comma list of player ids")
    ids.add_argument(
        "--from-raw",
        action="append",
        help="a finished raw run whose player ids to take (repeatable: the union of the runs' players)",
    )
    ap.add_argument("--raw", help="raw location (file://, path or s3://); overrides CRICKET_RAW_URI")
    ap.add_argument("--run-id", help="run id (default: a UTC timestamp)")
    ap.add_argument(
        "-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE", help="spider argument"
    )
    ap.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="Scrapy setting"
    )
    return ap


def exit_code(reason: str | None, manifest_written: bool) -> int:
    if reason == "blocked":
        return EXIT_BLOCKED
    if reason == "layout_drift":
        return EXIT_DRIFT
    if reason == "finished" and manifest_written:
        return EXIT_OK
    return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(_pairs(args.settings, "-s"), priority="cmdline")
    if args.raw:
        settings.set("CRICKET_RAW_URI", args.raw, priority="cmdline")

    from crawler.runid import check_run_id, default_run_id

    spargs = _pairs(args.spargs, "-a")
    try:
        args.run_id = check_run_id(args.run_id or spargs.get("run_id") or default_run_id())
    except ValueError as exc:
        print(f"cricket-scrape: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for flag, name in (
        ("base_url", "base_url"),
        ("classes", "classes"),
        ("types", "types"),
        ("view", "view"),
        ("player_ids", "player_ids"),
        ("from_raw", "from_raw"),
        ("run_id", "run_id"),
    ):
        value = getattr(args, flag)
        if isinstance(value, list):  # --from-raw, repeatable: the spiders take a comma list of run URIs
            value = ",".join(value)
        if value is not None:
            spargs[name] = value

    process = CrawlerProcess(settings)
    try:
        spider_cls = process.spider_loader.load(args.spider)
    except KeyError:
        names = ", ".join(sorted(process.spider_loader.list()))
        print(f"cricket-scrape: unknown spider {args.spider!r} (known: {names})", file=sys.stderr)
        return EXIT_FAILED
    crawler = process.create_crawler(spider_cls)
    failure: list[BaseException] = []

    def _record(result):
        if hasattr(result, "value"):
            failure.append(result.value)
        return None

    d = process.crawl(crawler, **spargs)
    d.addErrback(_record)
    process.start()
    if failure:
        print(f"cricket-scrape: {args.spider} failed: {failure[0]}", file=sys.stderr)
        return EXIT_FAILED
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    ledger = getattr(crawler, "cricket_ledger", None)
    written = bool(ledger and getattr(ledger, "manifest_written", False))
    code = exit_code(reason, written)
    print(
        f"cricket-scrape: {args.spider} run {getattr(crawler.spider, 'run_id', '?')} finished with reason "
        f"{reason!r}, {stats.get('cricket/rows', 0)} rows, exit {code}",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
