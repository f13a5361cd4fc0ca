"""`cricket-scrape SPIDER …`: run any project spider in-process; exit 0 finished, 2 blocked, 3 layout drift, 1 else."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
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
        "--if-finished",
        choices=("refuse", "done"),
        default="refuse",
        help="when the run id's raw run is already finished (its manifest present; never written again): "
        "refuse (exit 1, the default) or done (exit 0, nothing crawled: a re-run step of a scheduler)",
    )
    ap.add_argument(
        "-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE", help="spider argument"
    )
    ap.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="Scrapy setting"
    )
    return ap


def exit_code(reason: str | None, manifest_written: bool, *, finished_is_done: bool = False) -> int:
    if reason == "run_finished" and finished_is_done:
        return EXIT_OK
    if reason == "blocked":
        return EXIT_BLOCKED
    if reason == "layout_drift":
        return EXIT_DRIFT
    if reason == "finished" and manifest_written:
        return EXIT_OK
    return EXIT_FAILED


def spider_arguments(args: argparse.Namespace) -> dict[str, str]:
    """`-a NAME=VALUE` pairs and the parameter flags, checked against the spider's declarations."""
    spargs = _pairs(args.spargs, "-a")
    for p in params.cli_params():
        value = getattr(args, p.name)
        if isinstance(value, list):  # a repeatable flag (--from-raw): the spiders take one comma list
            value = ",".join(value)
        if value is not None:
            spargs[p.name] = value
    params.parse_arguments(args.spider, spargs)  # ValueError; the spider checks them again, the same way
    return spargs


@dataclass
class Outcome:
    """What cricket-scrape learns of a crawl: from its errback and from the spider_closed and
    manifest_written signals (not from attributes or stats of Scrapy's objects)."""

    failure: BaseException | None = None
    reason: str | None = None
    manifest_written: bool = False


def crawl(process, spider_cls, spargs: dict[str, str]) -> tuple[Outcome, object]:
    """Run the spider in `process` until it closes; (its outcome, its crawler)."""
    from scrapy import signals

    from crawler import signals as cricket_signals

    crawler = process.create_crawler(spider_cls)
    outcome = Outcome()

    def failed(result):
        outcome.failure = getattr(result, "value", None) or outcome.failure
        return None

    def spider_closed(reason: str, **_) -> None:
        outcome.reason = reason

    def manifest_written(**_) -> None:
        outcome.manifest_written = True

    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    crawler.signals.connect(manifest_written, signal=cricket_signals.manifest_written)
    process.crawl(crawler, **spargs).addErrback(failed)
    process.start()
    return outcome, crawler


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("plan", "refresh"):  # cricket-scrape plan|refresh (crawler/refresh.py)
        from crawler import refresh

        return refresh.main(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")

    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(_pairs(args.settings, "-s"), priority="cmdline")
    if args.raw:
        settings.set("CRICKET_RAW_URI", args.raw, priority="cmdline")
    from crawler.logformat import install_redaction

    redact = install_redaction(settings)
    try:
        spargs = spider_arguments(args)
    except ValueError as exc:
        print(f"cricket-scrape: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    process = CrawlerProcess(settings)
    install_redaction(settings)  # on the handler CrawlerProcess installed
    try:
        spider_cls = process.spider_loader.load(args.spider)
    except KeyError:
        names = ", ".join(sorted(process.spider_loader.list()))
        print(f"cricket-scrape: unknown spider {args.spider!r} (known: {names})", file=sys.stderr)
        return EXIT_FAILED
    outcome, crawler = crawl(process, spider_cls, spargs)
    if outcome.failure is not None:
        print(f"cricket-scrape: {args.spider} failed: {redact(str(outcome.failure))}", file=sys.stderr)
        return EXIT_FAILED
    code = exit_code(outcome.reason, outcome.manifest_written, finished_is_done=args.if_finished == "done")
    rows = crawler.stats.get_value("cricket/rows", 0) if crawler.stats else 0
    print(
        f"cricket-scrape: {args.spider} run {getattr(crawler.spider, 'run_id', '?')} finished with reason "
        f"{outcome.reason!r}, {rows} rows, exit {code}",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
