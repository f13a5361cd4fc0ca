"""`cricket-scrape plan|refresh`: cost and run a refresh spider after spider, then advance `{raw}/_state/refresh.json`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections import Counter
from typing import Any

from crawler import plan as P
from crawler.plan import Decision, Estimate, PlannedRun
from crawler.rawread import iter_items
from cricket_contract import params
from cricket_contract.layout import raw_run_path
from cricket_contract.refresh import RunRef
from cricket_contract.vocabulary import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, MEN_CLASSES
from cricket_storage import Location
from cricket_storage.rawruns import RawRunError, load_run, read_state

logger = logging.getLogger(__name__)
# ------------------------------------------------------------------------------------------ raw rows


def run_location(raw: Location, ref: RunRef) -> Location:
    return raw.child(*raw_run_path(ref.spider, ref.run_id).split("/"))


def finished(raw: Location, ref: RunRef) -> bool:
    """The run has a manifest whose parts are all there at their sizes."""
    try:
        load_run(run_location(raw, ref), ref.spider, ref.run_id)
    except RawRunError:
        return False
    return True


def items(raw: Location, ref: RunRef):
    return iter_items(run_location(raw, ref).uri)


def _view(run) -> str:
    return str((run.manifest.get("arguments") or {}).get("view") or "career")


def player_runs_of(job: RefreshJob, career_rows) -> list[PlannedRun]:
    """A full crawl's player pages (the men of the career lists) and profiles (everyone on them)."""
    men = sorted({r["player_id"] for r in career_rows if r["class"] in MEN_CLASSES})
    everyone = sorted({r["player_id"] for r in career_rows})
    return P.player_runs(job.rid, men, everyone, job.stats_host, job.prof_host, job.max_requests)


# ------------------------------------------------------------------------------------------ the job


class RefreshJob:
    """One refresh of the raw zone `raw` up to `until` (see cricket_contract.refresh for the state it keeps)."""

    def __init__(
        self,
        raw: str,
        until: dt.date,
        *,
        full: bool = False,
        base_url: str,
        overlap_days: int = P.OVERLAP_DAYS,
        max_requests: int | None = None,
        full_every_weeks: int | None = None,
        cricsheet: str = "with",
        cricsheet_url: str | None = None,
        now: dt.datetime | None = None,
    ):
        from crawler import cricsheet_plan

        self.raw = Location.parse(raw)
        self.base_url = base_url.rstrip("/")
        self.state = read_state(self.raw)
        self.decision: Decision = P.decide(self.state, until, full, overlap_days, full_every_weeks)
        # Cricsheet's run: its own host and politeness, its own state (the finished cricsheet runs' manifests)
        self.cricsheet = cricsheet
        self.cricsheet_url = (cricsheet_url or cricsheet_plan.DEFAULT_BASE_URL).rstrip("/")
        self.cricsheet_run: PlannedRun | None = None
        self.cricsheet_reason = ""
        if cricsheet != "without":
            self.cricsheet_run, self.cricsheet_reason = cricsheet_plan.cricsheet_run(
                until, self.raw, self.cricsheet_url, now or dt.datetime.now(dt.timezone.utc), full
            )
        self.max_requests = max_requests
        self.stats_host = P.host(self.base_url)
        self.prof_host = P.profile_host(self.base_url)
        self.requests: Counter[str] = Counter()
        self.runs: list[PlannedRun] = []  # every run of this refresh, in order
        self.counts: dict[str, Any] = {"kind": self.decision.kind}

    @property
    def rid(self) -> str:
        return self.decision.refresh_id

    # -------------------------------------------------------------------------------- planning

    def base_for(self, spider: str) -> str:
        return self.cricsheet_url if spider == "cricsheet" else self.base_url

    def statsguru_runs(self) -> bool:
        """Whether this invocation crawls the Statsguru and profile runs (not with --cricsheet only)."""
        return self.cricsheet != "only" and self.decision.kind != "none"

    def estimate(self, user_agent: str, delay: float, rp=None) -> Estimate:
        if self.decision.kind == "none" or self.cricsheet == "only":
            return Estimate({"career": {}, "innings": {}}, source="nothing to do")
        if self.decision.kind == "delta" and self.state is not None:
            return P.from_history(self.state, self.decision)
        return P.probe_full(self.base_url, user_agent, delay, rp)

    def planned(self, est: Estimate) -> list[PlannedRun]:
        """Every run this refresh needs (Cricsheet's first), the later stages' runs from the estimate (their
        players are only known once the lists are read)."""
        cs = [self.cricsheet_run] if self.cricsheet_run is not None else []
        if not self.statsguru_runs():
            return cs
        return cs + self._statsguru_planned(est)

    def _statsguru_planned(self, est: Estimate) -> list[PlannedRun]:
        d = self.decision
        bf = (self.state.backfill or {}) if self.state else {}
        if d.continuing:
            runs = [PlannedRun.from_json(r) for r in bf.get("remaining") or []]
            known = [
                r for r in [*(bf.get("done") or []), *(bf.get("remaining") or [])] if r.get("stage") == 2
            ]
            career = P.list_runs(d, self.stats_host, est.pages)[0].ref()
            if not known and finished(self.raw, career):
                runs += player_runs_of(self, list(items(self.raw, career)))
            elif not known:
                runs += P.estimated_player_runs(
                    self.rid, est.men, est.players, self.stats_host, self.prof_host, self.max_requests
                )
            return runs
        runs = P.list_runs(d, self.stats_host, est.pages)
        if d.kind == "full":
            return runs + P.estimated_player_runs(
                self.rid,
                est.men,
                est.players,
                self.stats_host,
                self.prof_host,
                self.max_requests,
            )
        extra = [
            PlannedRun(
                "player_stats",
                "own innings views",
                {"run_id": f"{self.rid}.own-*", "view": "innings"},
                {self.stats_host: est.own_views},
                stage=2,
                snapshot=False,
            ),
            PlannedRun(
                "statsguru",
                "one-day lists",
                {"run_id": f"{self.rid}.day-*", "view": "innings"},
                {self.stats_host: est.one_day},
                stage=3,
            ),
            PlannedRun(
                "player_stats",
                "player pages",
                {"run_id": f"{self.rid}.players"},
                {self.stats_host: est.men * 3},
                stage=2,
            ),
            PlannedRun(
                "profiles",
                "profiles",
                {"run_id": f"{self.rid}.profiles"},
                {self.prof_host: est.players},
                stage=2,
            ),
        ]
        return runs + extra

    def plan_lines(self, settings) -> list[dict[str, Any]]:
        """The JSON lines of `cricket-scrape plan`: one per run, then the total and the ETA per host."""
        ua = settings.get("USER_AGENT")
        default = settings.getfloat("DOWNLOAD_DELAY")
        delays: dict[str, float] = {}
        from crawler.spiders.profiles import athlete_base_for

        obey = settings.getbool("ROBOTSTXT_OBEY")
        parsers = {}
        bases = [(self.stats_host, self.base_url), (self.prof_host, athlete_base_for(self.base_url))]
        if self.cricsheet_run is not None:
            bases.append((P.host(self.cricsheet_url), self.cricsheet_url))
        for h, base in bases:
            if h not in delays:
                parsers[h] = P.robots(base, ua) if obey else None
                delays[h] = P.crawl_delay(parsers[h], ua, default)
        runs = self.planned(self.estimate(ua, delays[self.stats_host], parsers[self.stats_host]))
        total: Counter[str] = Counter()
        for r in runs:
            total.update(r.requests)
        d = self.decision
        bf = (self.state.backfill or {}) if self.state else {}
        summary = {
            "kind": d.kind,
            "refresh_id": d.refresh_id,
            "reason": d.reason,
            "since": d.since.isoformat() if d.since else None,
            "until": d.until.isoformat(),
            "runs": len(runs),
            "requests": dict(total),
            "crawl_delay": delays,
            "eta_hours": {h: round(n * delays.get(h, default) / 3600, 2) for h, n in total.items()},
        }
        summary["eta_hours_max"] = max(summary["eta_hours"].values(), default=0.0)
        if self.cricsheet_run is not None:
            summary["cricsheet"] = {"reason": self.cricsheet_reason, "host": P.host(self.cricsheet_url)}
        if d.kind == "full" and self.statsguru_runs():
            done = bf.get("done") or []
            summary["backfill"] = {
                "done": len(done),
                "remaining": len(runs),
                "requests_done": sum(sum((r.get("requests") or {}).values()) for r in done),
                "requests_remaining": sum(total.values()),
            }
        return [*(r.to_json() for r in runs), {"total": summary}]


# ------------------------------------------------------------------------------------------ command line


def build_parser(command: str) -> argparse.ArgumentParser:
    what = {
        "plan": "print, as JSON lines, the runs a refresh needs and their estimated requests per host, then the "
        "total and the ETA at each host's Crawl-delay",
        "refresh": "run the plan in-process, spider after spider, then advance {raw}/_state/refresh.json "
        "(only when every run finished). Exit codes as cricket-scrape: 0, 1, 2 blocked, 3 layout drift",
    }[command]
    ap = argparse.ArgumentParser(prog=f"cricket-scrape {command}", description=what)
    ap.add_argument("--raw", required=True, help="raw location (file://, path or s3://)")
    ap.add_argument(
        "--until", type=dt.date.fromisoformat, help="last match day to read (ISO; default today UTC)"
    )
    ap.add_argument("--full", action="store_true", help="a full re-crawl even when a state exists")
    ap.add_argument("--base-url", help="site root (default CRICKET_BASE_URL or the real site)")
    ap.add_argument(
        "--overlap-days", type=int, default=P.OVERLAP_DAYS, help="days before the watermark read again"
    )
    ap.add_argument(
        "--full-every-weeks",
        type=int,
        help="a full re-crawl when the last one read up to this many weeks before --until (the DAG: 13)",
    )
    ap.add_argument(
        "--max-requests",
        type=int,
        help="backfill: stop after about this many requests; the next refresh continues (state: backfill)",
    )
    ap.add_argument(
        "--cricsheet",
        choices=("with", "without", "only"),
        default="with",
        help="Cricsheet's run (its archives or the recent delta, and the register): with the Statsguru runs "
        "(default), without it, or only it (the DAG runs it in its own task)",
    )
    ap.add_argument(
        "--cricsheet-url", help="Cricsheet's root (default CRICKET_CRICSHEET_URL or https://cricsheet.org)"
    )
    ap.add_argument(
        "-a",
        dest="spargs",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument (given to every spider that declares it)",
    )
    ap.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting (-s JOBDIR=D: one JOBDIR per run below D)",
    )
    return ap


def main(command: str, argv: list[str]) -> int:
    from crawler.cli import _pairs

    args = build_parser(command).parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(_pairs(args.settings, "-s"), priority="cmdline")
    settings.set("CRICKET_RAW_URI", args.raw, priority="cmdline")
    from crawler.logformat import install_redaction

    redact = install_redaction(settings)  # no secret of the settings or the environment in a line we print
    spargs = _pairs(args.spargs, "-a")
    until = args.until or dt.datetime.now(dt.timezone.utc).date()
    base = args.base_url or settings.get("CRICKET_BASE_URL")
    try:
        job = RefreshJob(
            args.raw,
            until,
            full=args.full,
            base_url=base,
            overlap_days=args.overlap_days,
            max_requests=args.max_requests,
            full_every_weeks=args.full_every_weeks,
            cricsheet=args.cricsheet,
            cricsheet_url=args.cricsheet_url or settings.get("CRICKET_CRICSHEET_URL"),
        )
    except (RawRunError, ValueError) as exc:
        print(f"cricket-scrape {command}: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    if command == "plan":
        try:
            lines = job.plan_lines(settings)
        except P.ProbeBlocked as exc:
            print(f"cricket-scrape plan: {exc}", file=sys.stderr)
            return EXIT_BLOCKED
        except OSError as exc:
            print(
                f"cricket-scrape plan: cannot cost the crawl from {base}: {redact(str(exc))}", file=sys.stderr
            )
            return EXIT_FAILED
        for line in lines:
            print(json.dumps(line, sort_keys=True))
        return EXIT_OK
    pending = job.cricsheet_run is not None and not finished(job.raw, job.cricsheet_run.ref())
    if not job.statsguru_runs() and not pending:
        why = (
            job.decision.reason if job.cricsheet != "only" else f"{job.cricsheet_run.run_id} already finished"
        )
        print(f"cricket-scrape refresh: nothing to do ({why})", file=sys.stderr)
        return EXIT_OK
    from crawler.refresh_run import Executor

    for name in spargs:
        if not any(name in params.spider_params(s) for s in params.SPIDERS):
            print(f"cricket-scrape refresh: no spider declares -a {name}", file=sys.stderr)
            return EXIT_FAILED
    code = Executor(job, settings, spargs).execute()
    state = read_state(job.raw)
    print(
        f"cricket-scrape refresh: {job.decision.kind} {job.rid} exit {code}; requests {dict(job.requests)}; "
        f"state watermark {state.watermark if state else None}",
        file=sys.stderr,
    )
    return code
