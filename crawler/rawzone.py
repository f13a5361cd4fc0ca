"""The raw-run writer: numbered gzip JSON-lines parts, the JOBDIR resume ledger and `_manifest.json` last."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import io
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider

from crawler import signals as cricket_signals
from crawler.claims import RENEW_S, STALE_S, TAKEOVER_SETTING, RunClaim, RunRefused, keep_renewed
from crawler.items import RawRows, json_lines
from crawler.ledger import JobLedger, PageTracker
from crawler.logformat import REDACT
from crawler.middlewares import stop_crawl
from crawler.pages.headers import HeaderTally
from crawler.spiders.base import run_id_of
from cricket_contract.layout import MANIFEST, RawPartName, raw_run_path
from cricket_contract.manifest import PartInfo, part_entries, part_info
from cricket_storage import Location, Timeouts, set_timeouts

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RAW_URI = (REPO / "data" / "raw").as_uri()

# Scrapy stats copied into the manifest (plus cricket/, response status and retry reason counts).
KEY_STATS = (
    "start_time",
    "finish_time",
    "elapsed_time_seconds",
    "item_scraped_count",
    "item_dropped_count",
    "response_received_count",
    "downloader/request_count",
    "downloader/response_count",
    "retry/count",
    "retry/max_reached",
    "log_count/ERROR",
)


# The crawl's bound on every S3 call (crawler/settings.py documents it): 3 × (5 s + 10 s) = 45 s at worst.
S3_TIMEOUTS = {"CONNECT_TIMEOUT": 5.0, "READ_TIMEOUT": 10.0, "MAX_ATTEMPTS": 3}


def raw_uri(settings) -> str:
    """CRICKET_RAW_URI from -s, else the environment, else ./data/raw of the repo; paths become file:// URIs."""
    value = settings.get("CRICKET_RAW_URI") or os.environ.get("CRICKET_RAW_URI") or DEFAULT_RAW_URI
    return Location.parse(value).uri


class PartBuffer:
    """One raw part being filled: its rows as gzip JSON lines in memory, counted per record kind.

    A 5,000-row part is a few hundred KB compressed; holding it whole lets it be stored in one atomic write
    (a renamed temp file, one S3 PUT) from a worker thread, and its bytes be measured before they are stored.
    """

    def __init__(self, number: int, *, level: int):
        self.number = number
        self.rows = 0
        self.by_record: Counter[str] = Counter()
        self._out = io.BytesIO()
        self._gz = gzip.GzipFile(fileobj=self._out, mode="wb", compresslevel=level, mtime=0)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._gz.write(json_lines(rows))
        self.rows += len(rows)
        counts = self.by_record
        for row in rows:
            counts[row["record"]] += 1

    def close(self) -> bytes:
        self._gz.close()
        data = self._out.getvalue()
        self._out.close()
        return data


class RawRunWriter:
    """Writes a crawl's raw run: `{raw}/{spider}/run_id={run_id}/part-NNNNN.jsonl.gz`, `_manifest.json` last.

    Every item's rows go into parts of FEED_EXPORT_BATCH_ITEM_COUNT records (a page's rows are split at a part
    boundary; 0: one part for the whole run). Parts are numbered after those already in the run directory, so a
    resumed or repeated run never overwrites one, and stored off the reactor thread with one atomic write each.
    With JOBDIR, each stored part is recorded in the resume ledger with the pages it completes (crawler.ledger).
    The run is claimed when the spider opens (crawler.claims: one crawl per run id; a finished run is never
    written again). The manifest is written only when the spider finished, every part was stored, nothing was
    incomplete and the claim is still this crawl's. The first part that cannot be stored stops the crawl.
    """

    def __init__(self, *, crawler, raw: str, batch: int, gzip_level: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.raw = Location.parse(raw)
        self.batch = batch
        self.gzip_level = gzip_level
        self.tracker = PageTracker()
        self.part: PartBuffer | None = None
        self.sealed = 0  # parts of this process sealed so far (numbered 1, 2, … in the tracker)
        self.offset = 0  # the highest part number in the run directory before this process
        self.stores: set[asyncio.Future] = set()
        self.parts: dict[str, PartInfo] = {}  # every part this run stored (this process and resumed ones)
        self.items_by_record: Counter[str] = Counter()
        self.resumed_parts = 0
        # parts in the run directory that no ledger entry vouches for (not the run's)
        self.unlisted: list[str] = []
        self.failed_stores = 0
        self.incomplete: list[str] = []
        self.claim: RunClaim | None = None  # set once the run is claimed: the writer then owns the run
        self.broken: str | None = None  # the first store failure's cause: the destination is failing
        self.failure_causes: Counter[str] = Counter()
        self.renewing: asyncio.Future | None = None
        self.headers = HeaderTally()  # absent optional columns and unknown headers, from headers_reported

    @classmethod
    def from_crawler(cls, crawler):
        run_id_of(crawler)  # NotConfigured for a spider without a run id: no raw run to write
        settings = crawler.settings
        s3 = {n: settings.getfloat(f"CRICKET_S3_{n}", d) for n, d in S3_TIMEOUTS.items()}
        set_timeouts(Timeouts(s3["CONNECT_TIMEOUT"], s3["READ_TIMEOUT"], int(s3["MAX_ATTEMPTS"])))
        ext = cls(
            crawler=crawler,
            raw=raw_uri(settings),
            batch=settings.getint("FEED_EXPORT_BATCH_ITEM_COUNT"),
            # Level 3: a raw part 19% bigger than at 6 for 40% of the CPU (the crawl's CPU is its limit on a
            # fast link); -s CRICKET_GZIP_LEVEL=9 when storage matters more.
            gzip_level=settings.getint("CRICKET_GZIP_LEVEL", 3),
        )
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signals.item_dropped)
        crawler.signals.connect(ext.item_dropped, signals.item_error)
        crawler.signals.connect(ext.page_parsed, cricket_signals.page_parsed)
        crawler.signals.connect(ext.run_incomplete, cricket_signals.run_incomplete)
        crawler.signals.connect(ext.headers_reported, cricket_signals.headers_reported)
        crawler.signals.connect(ext.spider_closed, signals.spider_closed)
        return ext

    # --- opening -----------------------------------------------------------------------------------
    async def spider_opened(self, spider) -> None:
        """Claim the run and find where its parts go, off the reactor thread, before the first page is fetched."""
        self.spider_name, self.run_id = spider.name, spider.run_id
        self.run = self.raw.child(raw_run_path(spider.name, spider.run_id))
        self.ledger = JobLedger.from_settings(self.crawler.settings, spider.run_id)
        claim = RunClaim(
            self.run,
            spider.run_id,
            spider.name,
            jobdir=self.crawler.settings.get("JOBDIR") or None,
            takeover=self.crawler.settings.getbool(TAKEOVER_SETTING),
            stale_s=self.crawler.settings.getfloat("CRICKET_CLAIM_STALE_S", STALE_S),
        )
        try:
            resumed, names, note = await asyncio.to_thread(self._open_run, claim)
        except ValueError as exc:  # a JOBDIR of this run id that wrote somewhere else: its pages are not here
            logger.error("%s", exc)
            raise CloseSpider("jobdir_mismatch") from exc
        except RunRefused as exc:  # finished, or claimed by another crawl
            logger.error("%s", exc)
            raise CloseSpider(exc.reason) from exc
        except OSError as exc:  # StorageError (S3) included: the claim is the first write
            logger.error(
                "cannot use the raw location %s (nothing is fetched until it can be written): %s",
                self.run.uri,
                exc,
            )
            raise CloseSpider("raw_unavailable") from exc
        self.claim = claim
        if note:
            logger.warning("%s", note)
        renew_s = self.crawler.settings.getfloat("CRICKET_CLAIM_RENEW_S", RENEW_S)
        if renew_s > 0:
            self.renewing = asyncio.ensure_future(keep_renewed(claim, renew_s, self._claim_lost))
        for info, by_record in resumed:
            self.resumed_parts += 1
            self.parts[info.name] = info
            self.items_by_record.update(by_record)
        self.offset = RawPartName.parse(names[-1]).number if names else 0
        # A part stored just before a SIGKILL, whose ledger entry never got written: its pages were not marked
        # done, so they are fetched again into new parts. It stays where it is (a raw part is never rewritten)
        # but is not the run's: the manifest names it apart and readers read only the listed parts.
        self.unlisted = [n for n in names if n not in self.parts]
        if self.unlisted:
            logger.warning(
                "run %s: %d parts in the run directory are not in the JOBDIR ledger (e.g. %s): their pages "
                "are fetched again and the manifest lists them as unlisted_parts",
                spider.run_id,
                len(self.unlisted),
                self.unlisted[0],
            )
        if self.resumed_parts:
            logger.info("resuming run %s: %d parts already stored", spider.run_id, self.resumed_parts)

    def _open_run(self, claim: RunClaim) -> tuple[list, list[str], str | None]:
        """(the JOBDIR's parts of this run, the part names in the run directory by number, a claim note)."""
        resumed = self.ledger.parts_for(self.run.uri)
        note = claim.acquire()
        try:
            found = [
                (p.number, e.name)
                for e in self.run.list()
                if not e.is_dir and (p := RawPartName.parse(e.name))
            ]
            names = [name for _, name in sorted(found)]
        except BaseException:
            claim.release()
            raise
        return resumed, names, note

    async def _claim_lost(self, why: str) -> None:
        logger.error("run %s: %s: stopping the crawl", self.run_id, why)
        self.stats.set_value("cricket/stop_reason", "run_claimed")
        await self._stop("run_claimed")

    # --- rows in -----------------------------------------------------------------------------------
    def page_parsed(self, url: str, items: int) -> None:
        self.tracker.page_parsed(url, items)

    def run_incomplete(self, reason: str) -> None:
        self.incomplete.append(reason)

    def headers_reported(self, url: str, report) -> None:
        self.headers.add(url, report)

    def item_scraped(self, item: RawRows, response=None, spider=None) -> None:
        rows, done, total, last = item.rows, 0, len(item.rows), 0
        while done < total:
            if self.part is None:
                self.part = PartBuffer(self.sealed + 1, level=self.gzip_level)
            take = total - done if not self.batch else min(total - done, self.batch - self.part.rows)
            self.part.write(rows if take == total else rows[done : done + take])
            done += take
            last = self.part.number
            if self.batch and self.part.rows >= self.batch:
                self._seal()
        self.tracker.item_done(item.source_url, last)

    def item_dropped(self, item, response=None, spider=None, **_) -> None:
        self.tracker.item_done(getattr(item, "source_url", None), 0)

    def _seal(self) -> None:
        part, self.part = self.part, None
        if part is None or not part.rows:
            return
        self.sealed += 1
        if self.broken:  # the destination already failed: the crawl is stopping, its pages are fetched again
            self.failed_stores += 1
            self.stats.inc_value("cricket/parts_failed")
            return
        task = asyncio.ensure_future(self._store(part, part.close()))
        self.stores.add(task)
        task.add_done_callback(self.stores.discard)

    async def _store(self, part: PartBuffer, data: bytes) -> None:
        name = RawPartName(self.offset + part.number).name()
        loc = self.run.child(name)
        try:
            await asyncio.to_thread(loc.write_bytes, data)
        except Exception as exc:  # nothing of this part is durable: its pages are fetched again on resume
            self._store_failed(loc, part.rows, exc)
            return
        self.stats.inc_value("cricket/parts_stored")
        info = part_info(name, data, part.rows)
        self.parts[name] = info
        self.items_by_record.update(part.by_record)
        durable = self.tracker.part_stored(part.number)
        try:
            await asyncio.to_thread(self.ledger.append, self.run.uri, info, dict(part.by_record), durable)
        except OSError as exc:  # the part is stored; only a resume would fetch its pages again
            logger.error("could not record raw part %s in the JOBDIR ledger: %s", name, exc)
        logger.info("stored raw part %s (%d rows)", loc.uri, part.rows)
        self.crawler.signals.send_catch_log(
            cricket_signals.part_stored,
            location=loc,
            rows=part.rows,
            by_record=dict(part.by_record),
            size=len(data),
        )

    def _store_failed(self, loc: Location, rows: int, exc: Exception) -> None:
        """Count a failed store; log each cause once; the first failure stops the crawl (every later page's
        rows would have nowhere to go)."""
        self.failed_stores += 1
        self.stats.inc_value("cricket/parts_failed")
        cause = type(exc.__cause__ or exc).__name__
        self.failure_causes[cause] += 1
        if self.failure_causes[cause] == 1:
            logger.error("could not store raw part %s (%d rows): %s", loc.uri, rows, exc)
        if self.broken is None:
            self.broken = cause
            self.stats.set_value("cricket/stop_reason", "raw_store_failed")
            asyncio.ensure_future(self._stop("raw_store_failed"))

    async def _stop(self, reason: str) -> None:
        try:
            await stop_crawl(self.crawler, reason)
        except RuntimeError:  # no engine (a writer driven by hand), or the engine is already closing
            pass

    # --- closing -----------------------------------------------------------------------------------
    async def spider_closed(self, spider, reason: str) -> None:
        """Store the last part, wait for every store, then write the manifest if the run is complete."""
        if self.claim is None:  # the run was refused when the spider opened: nothing of it is ours
            return
        if self.renewing is not None:
            self.renewing.cancel()
        self._seal()
        while self.stores:
            for result in await asyncio.gather(*list(self.stores), return_exceptions=True):
                if isinstance(result, BaseException):  # a bug, not a storage error (_store catches those)
                    self.failed_stores += 1
                    logger.error("a raw part store failed unexpectedly: %r", result)
        if reason != "finished" or self.failed_stores or self.incomplete:
            causes = ", ".join(f"{n} × {c}" for c, n in sorted(self.failure_causes.items()))
            untried = self.failed_stores - sum(self.failure_causes.values())
            if causes and untried > 0:
                causes += f", {untried} not tried once the destination had failed"
            logger.error(
                "no manifest for run %s: finish reason %r, %d failed part stores%s, %d pages failed after retries",
                self.run_id,
                reason,
                self.failed_stores,
                f" ({causes})" if causes else "",
                len(self.incomplete),
            )
            await self._release()
            return
        loc = self.run.child(MANIFEST)
        try:
            problems = await asyncio.to_thread(self._verify_stored)
            lost = await asyncio.to_thread(self.claim.lost)
            if lost:
                problems.append(lost)
            if problems:
                logger.error("no manifest for run %s: %s", self.run_id, "; ".join(problems))
                if not lost:
                    await self._release()
                return
            manifest = self._manifest(spider, reason)
            await asyncio.to_thread(loc.write_bytes, json.dumps(manifest, indent=2).encode())
        except OSError as exc:
            logger.error("no manifest for run %s: could not write it: %s", self.run_id, exc)
            return
        logger.info("wrote %s (%d parts, %d items)", loc.uri, len(manifest["parts"]), manifest["item_count"])
        await self._release()
        self.crawler.signals.send_catch_log(cricket_signals.manifest_written, location=loc, manifest=manifest)

    async def _release(self) -> None:
        """Give the run id back; after a storage failure the claim stays (a JOBDIR resume takes it up)."""
        if self.broken:
            logger.warning(
                "the claim %s stays: resume with the same JOBDIR (or -s %s=1 once this crawl is gone)",
                self.claim.location.uri,
                TAKEOVER_SETTING,
            )
            return
        try:
            await asyncio.to_thread(self.claim.release)
        except OSError as exc:
            logger.warning("could not release the claim %s: %s", self.claim.location.uri, exc)

    def _verify_stored(self) -> list[str]:
        """What is wrong with the run directory as the manifest would describe it (empty: nothing).

        The manifest lists the parts this run stored, never whatever files happen to be there: each must be
        present with the size that was written (a store that lost objects, a directory emptied mid-crawl), and
        no part this run did not write may have appeared beside them since it opened (another crawl writing
        the same run id would interleave its parts with ours).
        """
        present = {e.name: e for e in self.run.list() if not e.is_dir and RawPartName.parse(e.name)}
        problems = []
        for name, info in sorted(self.parts.items()):
            entry = present.get(name)
            if entry is None:
                problems.append(f"part {name} ({info.rows} rows) is no longer at {self.run.uri}")
            elif entry.size is not None and entry.size != info.size:
                problems.append(
                    f"part {name} is {entry.size} bytes at {self.run.uri}, {info.size} were written"
                )
        foreign = [n for n in present if n not in self.parts and RawPartName.parse(n).number > self.offset]
        if foreign:
            problems.append(
                f"{len(foreign)} parts this crawl did not write appeared in the run (e.g. {foreign[0]})"
            )
        return problems

    def _manifest(self, spider, reason: str) -> dict[str, Any]:
        """The manifest (docs/contracts.md §4-5): the parts this run stored with their rows, bytes and sha256,
        counts, drops, header findings (`columns_absent`, `unknown_headers`), key stats."""
        parts = [self.parts[n] for n in sorted(self.parts, key=lambda n: RawPartName.parse(n).number)]
        stats = self.stats.get_stats()
        return {
            "run_id": self.run_id,
            "spider": self.spider_name,
            "arguments": REDACT.mapping(getattr(spider, "arguments", {})),  # no password of a --base-url
            "finish_reason": reason,
            "written_at": _utcnow(),
            "raw": self.run.uri,
            **part_entries(parts),
            "items": dict(sorted(self.items_by_record.items())),
            "drops": {k: v for k, v in sorted(stats.items()) if k.startswith("drop_item/")},
            "duplicates": {k: v for k, v in sorted(stats.items()) if k.startswith("dedupe/")},
            "resumed_parts": self.resumed_parts,
            "unlisted_parts": self.unlisted,
            **self.headers.manifest(),
            "stats": {
                k: _json_safe(v)
                for k, v in sorted(stats.items())
                if k in KEY_STATS
                or k.startswith(("cricket/", "downloader/response_status_count/", "retry/reason_count/"))
            },
        }


def _utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_safe(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, (int, float, str)) or v is None:
        return v
    return str(v)
