"""A refresh's Cricsheet run: the full archives without a finished `cricsheet` run, else the recent archive covering the days since it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crawler.plan import PlannedRun, host
from crawler.spiders.cricsheet import DEFAULT_BASE_URL
from cricket_contract.layout import MANIFEST, RunDir, manifest_written_at
from cricket_contract.vocabulary import CRICSHEET_DEFAULT_ARCHIVES
from cricket_storage import Location
from cricket_storage.rawruns import RawRunError, load_run

SPIDER = "cricsheet"
__all__ = ["DEFAULT_BASE_URL", "LastRun", "cricsheet_run", "decide", "last_finished"]
# recently_added_N_json.zip holds the matches Cricsheet added on the last N days and today (the replica: every
# match that ended on or after the day N days ago), N + 1 calendar days. The day of the last finished run's
# manifest (`written_at`) must be one of them less a day of margin (a match of that day added after the run,
# Cricsheet's daily rebuild), so the newest run written at most N days before today (UTC) is covered: the weekly
# schedule's 7 days take --recent 7. Beyond 30 days only a full backfill misses nothing.
RECENT = (7, 30)


@dataclass(frozen=True)
class LastRun:
    """The newest finished `cricsheet` run: its id and its manifest's `written_at`."""

    run_id: str
    written_at: dt.datetime


def _parse_time(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def last_finished(raw: Location, exclude: str | None = None) -> LastRun | None:
    """The newest finished `cricsheet` run under `raw` (its manifest verified), `exclude` left out."""
    root = raw.child(SPIDER)  # (a missing folder lists nothing)
    best: LastRun | None = None
    for entry in root.list():
        run = RunDir.parse(entry.name)
        if not entry.is_dir or run is None or run.run_id == exclude:
            continue
        loc = root.child(entry.name)
        if not loc.child(MANIFEST).exists():
            continue
        try:
            found = load_run(loc, SPIDER, run.run_id)
        except RawRunError:
            continue  # a manifest whose parts are not all there vouches for nothing
        at = _parse_time(manifest_written_at(found.manifest))
        if at is not None and (best is None or (at, run.run_id) > (best.written_at, best.run_id)):
            best = LastRun(run.run_id, at)
    return best


def decide(last: LastRun | None, now: dt.datetime, full: bool = False) -> tuple[int | None, str]:
    """(days of the recent archive, or None for the full archives; why)."""
    if full:
        return None, "--full: the full archives"
    if last is None:
        return None, "no finished cricsheet run: the backfill"
    days = (now.astimezone(dt.timezone.utc).date() - last.written_at.astimezone(dt.timezone.utc).date()).days
    for n in RECENT:
        if days <= n:
            return n, f"the last cricsheet run {last.run_id} was written {days} days ago (at most {n})"
    return (
        None,
        f"the last cricsheet run {last.run_id} was written {days} days ago, over {RECENT[-1]}: the backfill",
    )


def run_id_of(until: dt.date, full: bool = False) -> str:
    """`cricsheet-<until>` (`cricsheet-full-<until>` with --full): named by the day asked for, not by the Statsguru
    refresh's id, which changes once that refresh has finished (the DAG runs the two in parallel tasks)."""
    return f"cricsheet-{'full-' if full else ''}{until.isoformat()}"


def cricsheet_run(
    until: dt.date, raw: Location, base_url: str, now: dt.datetime, full: bool = False
) -> tuple[PlannedRun, str]:
    """The refresh's Cricsheet run (with the register, one conditional request) and why."""
    run_id = run_id_of(until, full)
    days, why = decide(last_finished(raw, exclude=run_id), now, full)
    args = {"run_id": run_id}
    if days is None:
        args["archives"] = ",".join(CRICSHEET_DEFAULT_ARCHIVES)
        downloads = len(CRICSHEET_DEFAULT_ARCHIVES)
    else:
        args["recent"] = str(days)
        downloads = 1
    args["register"] = "yes"
    purpose = "cricsheet backfill" if days is None else f"cricsheet recently added {days}"
    # the transform reads every finished cricsheet run by itself, not through the refresh state's snapshot
    return PlannedRun(SPIDER, purpose, args, {host(base_url): downloads + 1}, snapshot=False), why
