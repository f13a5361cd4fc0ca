"""`cricket-scrape SPIDER …`: run any project spider in-process; exit 0 finished, 2 blocked, 3 layout drift, 1 else."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from cricket_contract import params
from cricket_contract.vocabulary import EXIT_BLOCKED, EXIT_DRIFT, EXIT_FAILED, EXIT_OK


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
    # The spiders' own parameters (cricket_contract.params); values are checked against the spider's
    # declarations in main(), so a bad value exits 1 like any other refused run.
    exclusive = {name: pair for pair in params.EXCLUSIVE for name in pair}
    groups: dict[tuple[str, str], Any] = {}
    for p in params.cli_params():
        pair = exclusive.get(p.name)
        if pair and pair not in groups:
            groups[pair] = ap.add_mutually_exclusive_group()
        target = groups[pair] if pair else ap
        kwargs: dict = {"help": p.help}
        if p.kind == "choice":
            kwargs["choices"] = [str(a) for a in p.allowed or ()]
        if p.repeatable:
            kwargs["action"] = "append"
        target.add_argument(p.flag, **kwargs)
    ap.add_argument("--raw", help="raw location (file://, path or s3://); overrides CRICKET_RAW_URI")
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

    from crawler import signals as cricket_signals

    settings = get_project_settings()
    settings.setdict(_pairs(args.settings, "-s"), priority="cmdline")
    if args.raw:
        settings.set("CRICKET_RAW_URI", args.raw, priority="cmdline")

    spargs = _pairs(args.spargs, "-a")
    for p in params.cli_params():
        value = getattr(args, p.name)
        if isinstance(value, list):  # a repeatable flag (--from-raw): the spiders take one comma list
            value = ",".join(value)
        if value is not None:
            spargs[p.name] = value
    try:
        params.parse_arguments(args.spider, spargs)  # the spider checks them again: the same declarations
    except ValueError as exc:
        print(f"cricket-scrape: {exc}", file=sys.stderr)
        return EXIT_FAILED

    process = CrawlerProcess(settings)
    try:
        spider_cls = process.spider_loader.load(args.spider)
    except KeyError:
        names = ", ".join(sorted(process.spider_loader.list()))
        print(f"cricket-scrape: unknown spider {args.spider!r} (known: {names})", file=sys.stderr)
        return EXIT_FAILED
    crawler = process.create_crawler(spider_cls)
    failure: list[BaseException] = []
    manifests: list[dict] = []

    def _record(result):
        if hasattr(result, "value"):
            failure.append(result.value)
        return None

    def _manifest_written(manifest: dict, **_) -> None:
        manifests.append(manifest)

    crawler.signals.connect(_manifest_written, signal=cricket_signals.manifest_written)
    d = process.crawl(crawler, **spargs)
    d.addErrback(_record)
    process.start()
    if failure:
        print(f"cricket-scrape: {args.spider} failed: {failure[0]}", file=sys.stderr)
        return EXIT_FAILED
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    written = bool(manifests)
    code = exit_code(reason, written)
    print(
        f"cricket-scrape: {args.spider} run {getattr(crawler.spider, 'run_id', '?')} finished with reason "
        f"{reason!r}, {stats.get('cricket/rows', 0)} rows, exit {code}",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
