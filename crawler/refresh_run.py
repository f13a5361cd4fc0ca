"""`cricket-scrape refresh`: the planned runs crawled in-process one after another; the state advances last."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from typing import Any

from crawler import plan as P
from crawler import refresh as R
from crawler import refresh_rows
from crawler.plan import PlannedRun
from cricket_contract import params
from cricket_contract.refresh import STATE_PATH, RefreshState, RunRef
from cricket_contract.vocabulary import EXIT_FAILED, EXIT_OK, MEN_CLASSES
from cricket_storage.rawruns import snapshot_runs, state_location

logger = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Executor:
    """Runs a RefreshJob's runs with one Scrapy CrawlerProcess (one reactor), stage after stage: a stage's
    runs are derived from the rows the previous stage stored. A run already finished under its run id (a
    re-run after a kill or a block) is not crawled again."""

    def __init__(self, job: R.RefreshJob, settings, spider_args: dict[str, str]):
        from scrapy.crawler import CrawlerProcess

        self.job = job
        self.settings = settings
        self.spider_args = spider_args
        self.process = CrawlerProcess(settings)
        from crawler.logformat import install_redaction

        install_redaction(settings)  # on the handler CrawlerProcess installed
        self.jobdir = settings.get("JOBDIR")
        self.spent = 0  # requests made by this invocation (the backfill budget)
        self._handlers: list = []

    # ------------------------------------------------------------------------------ one run

    def _spargs(self, run: PlannedRun) -> dict[str, str]:
        declared = params.spider_params(run.spider)
        extra = {k: v for k, v in self.spider_args.items() if k in declared}
        return {**extra, **run.arguments, "base_url": self.job.base_for(run.spider)}

    def crawl(self, run: PlannedRun):
        """A Deferred firing with the run's exit code; requests per host are added to the job's."""
        from scrapy import signals

        from crawler import cli
        from crawler import signals as cricket_signals

        job = self.job
        ref = run.ref()
        job.runs.append(run)
        if R.finished(job.raw, ref):
            logger.info(
                "refresh %s: %s/%s already finished, not crawled again", job.rid, ref.spider, ref.run_id
            )
            return _succeed(EXIT_OK)
        crawler = self.process.create_crawler(run.spider)
        if self.jobdir:  # one JOBDIR per run: a JOBDIR belongs to one run id
            crawler.settings.set("JOBDIR", f"{self.jobdir.rstrip('/')}/{ref.spider}-{ref.run_id}", "cmdline")
        outcome = cli.Outcome()

        def closed(reason: str, **_) -> None:
            outcome.reason = reason

        def written(**_) -> None:
            outcome.manifest_written = True

        def response(response, request, **_) -> None:
            job.requests[P.host(request.url)] += 1
            if run.spider != "cricsheet":  # the backfill budget is the Statsguru hosts'
                self.spent += 1

        self._handlers += [closed, written, response]  # the signal manager holds its receivers weakly
        crawler.signals.connect(closed, signal=signals.spider_closed)
        crawler.signals.connect(written, signal=cricket_signals.manifest_written)
        crawler.signals.connect(response, signal=signals.response_received)
        logger.info("refresh %s: crawling %s (%s)", job.rid, ref.run_id, run.purpose)

        def done(result):
            if outcome.failure is None and getattr(result, "value", None) is not None:
                outcome.failure = result.value
            code = cli.exit_code(outcome.reason, outcome.manifest_written) if outcome.failure is None else 1
            if code == EXIT_OK and not R.finished(job.raw, ref):
                logger.error("refresh %s: %s finished but its manifest does not verify", job.rid, ref.run_id)
                code = EXIT_FAILED
            return code

        return self.process.crawl(crawler, **self._spargs(run)).addBoth(done)

    def run_all(self, runs: list[PlannedRun], budget: bool = False):
        """Crawl `runs` in order (a generator for inlineCallbacks): its value is the first non-zero exit code,
        0, or None when the backfill budget stopped it before a run that still had to be crawled."""
        for run in runs:
            if budget and self.job.max_requests and self.spent >= self.job.max_requests:
                if not R.finished(self.job.raw, run.ref()):
                    return None
            code = yield self.crawl(run)
            if code != EXIT_OK:
                return code
        return EXIT_OK

    # ------------------------------------------------------------------------------ the kinds

    def full(self):
        job = self.job
        d = job.decision
        bf = (job.state.backfill or {}) if job.state else {}
        lists = P.list_runs(d, job.stats_host, {"career": {}, "innings": {}})
        code = yield from self.run_all(lists, budget=True)
        if code is None:  # the budget is spent: the next refresh continues from here
            self._save_backfill(lists, [])
            return EXIT_OK
        if code != EXIT_OK:
            return code
        # a continued backfill: its player runs as the first invocation planned them (finished ones are skipped)
        remaining = [
            PlannedRun.from_json(r)
            for r in [*(bf.get("done") or []), *(bf.get("remaining") or [])]
            if r.get("stage") == 2
        ]
        career = list(R.items(job.raw, lists[0].ref()))
        if not remaining:
            remaining = R.player_runs_of(job, career)
        job.counts.update(self._list_counts(career, None))
        code = yield from self.run_all(remaining, budget=True)
        if code is None:
            self._save_backfill(lists, remaining)
            return EXIT_OK
        if code != EXIT_OK:
            return code
        snapshot = [r.ref() for r in job.runs if r.snapshot]
        self._finish(list(dict.fromkeys(snapshot)), last_full=True)
        return EXIT_OK

    def delta(self):
        job = self.job
        d = job.decision
        lists = P.list_runs(d, job.stats_host, {"career": {}, "innings": {}})
        code = yield from self.run_all(lists)
        if code != EXIT_OK:
            return code
        career_ref, window_ref = lists[0].ref(), lists[1].ref()
        old = snapshot_runs(job.raw, job.state)
        prev = refresh_rows.careers(
            row
            for run in old
            if run.spider == "statsguru" and R._view(run) == "career"
            for row in R.items(job.raw, RunRef(run.spider, run.run_id))
        )
        new_rows = list(R.items(job.raw, career_ref))
        new = refresh_rows.careers(new_rows)
        moved = {k for k, cells in new.items() if prev.get(k) != cells}
        window_rows = list(R.items(job.raw, window_ref))
        job.counts.update(self._list_counts(new_rows, window_rows))
        # every stored innings of the players who moved, the window's replacing the older reading
        stored: dict = {}
        for run in old:
            if run.spider == "statsguru" and R._view(run) == "innings":
                refresh_rows.innings_by_player(
                    R.items(job.raw, RunRef(run.spider, run.run_id)), moved, stored
                )
        refresh_rows.innings_by_player(window_rows, moved, stored)
        suspects: dict[tuple[int, str], list[int]] = {}
        for key in sorted(moved):
            c, t, p = key
            if key in prev and refresh_rows.disagrees(t, new[key], stored.get(key, {})):
                suspects.setdefault((c, t), []).append(p)
        own = P.own_view_runs(job.rid, suspects, job.stats_host)
        code = yield from self.run_all(own)
        if code != EXIT_OK:
            return code
        own_rows = [row for run in own for row in R.items(job.raw, run.ref())]
        days, located = refresh_rows.amended_days(own_rows, stored, d.since)
        unlocated = sorted(
            f"{c}/{t}/{p}" for (c, t), ps in suspects.items() for p in ps if (c, t, p) not in located
        )
        if unlocated:
            logger.warning(
                "refresh %s: careers moved without an amended innings found: %s", job.rid, unlocated
            )
        men = sorted({p for c, _t, p in moved if c in MEN_CLASSES})
        profiled = {
            row["player_id"]
            for run in old
            if run.spider == "profiles"
            for row in R.items(job.raw, RunRef(run.spider, run.run_id))
        }
        fresh = sorted({p for _c, _t, p in new} - profiled)
        later = P.one_day_runs(job.rid, days, job.stats_host)
        later += P.player_runs(job.rid, men, fresh, job.stats_host, job.prof_host)
        code = yield from self.run_all(later)
        if code != EXIT_OK:
            return code
        job.counts.update(
            moved=len(moved),
            moved_men=len(men),
            new_players=len(fresh),
            own_views=sum(len(v) for v in suspects.values()),
            one_day=len(days),
            unlocated=unlocated,
        )
        snapshot = [*job.state.snapshot, *(r.ref() for r in job.runs if r.snapshot)]
        self._finish(list(dict.fromkeys(snapshot)), last_full=False)
        return EXIT_OK

    # ------------------------------------------------------------------------------ counts and state

    def _list_counts(self, career_rows, window_rows) -> dict[str, Any]:
        per: Counter[str] = Counter(
            f"{r['class']}/{r['type']}" for r in career_rows if r.get("record") == "career"
        )
        out: dict[str, Any] = {"career_pages": {k: max(1, math.ceil(n / P.SIZE)) for k, n in per.items()}}
        if window_rows is not None:
            d = self.job.decision
            rows: Counter[str] = Counter(f"{r['class']}/{r['type']}" for r in window_rows)
            out.update(
                window_rows=dict(rows),
                window_pages={k: max(1, math.ceil(n / P.SIZE)) for k, n in rows.items()},
                window_days=(d.until - d.since).days + 1,
            )
        return out

    def _write_state(self, state: RefreshState, name: str) -> None:
        """A new state file named by the refresh, then the pointer `_state/refresh.json` (moved last)."""
        state.updated_at = _now()
        data = state.dumps()
        base = state_location(self.job.raw)
        stem = STATE_PATH.rsplit("/", 1)[1].removesuffix(".json")
        base.parent.child(f"{stem}.{name}.json").write_bytes(data)
        base.write_bytes(data)

    def _save_backfill(self, lists: list[PlannedRun], remaining: list[PlannedRun]) -> None:
        job = self.job
        state = job.state or RefreshState()
        runs = [*lists, *remaining]
        done = [r for r in runs if R.finished(job.raw, r.ref())]
        state.backfill = {
            "refresh_id": job.rid,
            "until": job.decision.until.isoformat(),
            "started_at": (state.backfill or {}).get("started_at") or _now(),
            "done": [r.to_json() for r in done],
            "remaining": [r.to_json() for r in runs if r not in done],
            "requests": int((state.backfill or {}).get("requests") or 0) + sum(job.requests.values()),
        }
        self._write_state(state, f"{job.rid}.chunk-{len(done)}")
        logger.info(
            "refresh %s: backfill budget spent, %d runs done, %d remaining",
            job.rid,
            len(done),
            len(state.backfill["remaining"]),
        )

    def _finish(self, snapshot: list[RunRef], last_full: bool) -> None:
        job = self.job
        d = job.decision
        state = job.state or RefreshState()
        finished_at = _now()
        entry = {
            "refresh_id": job.rid,
            "kind": d.kind,
            "since": d.since.isoformat() if d.since else None,
            "until": d.until.isoformat(),
            "runs": [r.ref().to_json() for r in job.runs],
            "requests": dict(job.requests),
            "finished_at": finished_at,
            "counts": job.counts,
        }
        if last_full:
            state.last_full = {
                "refresh_id": job.rid,
                "until": d.until.isoformat(),
                "finished_at": finished_at,
            }
            state.backfill = None
        state.snapshot = snapshot
        state.watermark = d.until
        state.refreshes = [*state.refreshes, entry]
        self._write_state(state, job.rid)

    # ------------------------------------------------------------------------------ the reactor

    def execute(self) -> int:
        """Run the refresh; its exit code (cricket-scrape's: 0, 1, 2 blocked, 3 layout drift)."""
        from scrapy.utils.reactor import install_reactor
        from twisted.internet import defer

        install_reactor(self.settings.get("TWISTED_REACTOR"))
        from twisted.internet import reactor

        result: dict[str, Any] = {}
        job = self.job

        def body():
            # Cricsheet first (a few requests to its own host); like any run of the plan, one that fails stops
            # the refresh before the state moves, and the next refresh crawls it again under its id
            if job.cricsheet_run is not None:
                code = yield from self.run_all([job.cricsheet_run])
                if code != EXIT_OK or not job.statsguru_runs():
                    return code
            if job.decision.kind == "full":
                return (yield from self.full())
            return (yield from self.delta())

        def finished(value):
            if isinstance(value, BaseException) or hasattr(value, "value"):
                err = getattr(value, "value", value)
                logger.error("refresh %s failed: %r", self.job.rid, err)
                result["error"] = err
            else:
                result["code"] = value
            if reactor.running:
                reactor.stop()

        def go():
            defer.inlineCallbacks(body)().addBoth(finished)

        reactor.callWhenRunning(go)
        self.process.start(stop_after_crawl=False)
        if "error" in result:
            return EXIT_FAILED
        return int(result.get("code", EXIT_FAILED))


def _succeed(value):
    from twisted.internet import defer

    return defer.succeed(value)
