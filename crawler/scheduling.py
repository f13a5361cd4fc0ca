"""Resume after SIGKILL: a ledger of pages whose rows are in stored parts, and a scheduler/dupefilter that use it.

Scrapy's own JOBDIR state is only safe across a graceful stop: after SIGKILL, requests that were in flight
are recorded as seen but never answered, and the rows of the batch being written are lost. So with JOBDIR
set we keep our own append-only ledger there (`cricket_ledger.jsonl`): one line per stored part listing the
pages whose rows it completes. On restart with the same run id those pages are skipped and everything else
is fetched again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request
from scrapy.utils.job import job_dir
from scrapy.utils.misc import load_object

from crawler.runid import run_id_of

LEDGER = "cricket_ledger.jsonl"


def ledger_path(settings) -> Path | None:
    d = job_dir(settings)
    return Path(d, LEDGER) if d else None


def read_ledger(settings, run_id: str) -> list[dict[str, Any]]:
    """The ledger lines of this run id (a JOBDIR reused for another run id does not count)."""
    path = ledger_path(settings)
    if path is None or not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by SIGKILL mid-write: its part's pages are simply fetched again
        if entry.get("run_id") == run_id:
            out.append(entry)
    return out


def append_ledger(settings, entry: dict[str, Any]) -> None:
    path = ledger_path(settings)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


class LedgerDupeFilter(RFPDupeFilter):
    """In-memory fingerprints, seeded with the pages the ledger says are already stored."""

    def __init__(self, *, fingerprinter, debug: bool, durable: set[bytes], stats):
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self._durable = durable
        self._fingerprints.update(durable)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        durable: set[bytes] = set()
        fingerprint = crawler.request_fingerprinter.fingerprint
        for entry in read_ledger(crawler.settings, run_id_of(spider)):
            durable.update(fingerprint(Request(url)) for url in entry.get("pages", []))
        return cls(
            fingerprinter=crawler.request_fingerprinter,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            durable=durable,
            stats=crawler.stats,
        )

    def request_seen(self, request) -> bool:
        seen = super().request_seen(request)
        if seen and self._durable and self._fingerprint(request) in self._durable:
            self.stats.inc_value("cricket/pages_resumed")
        return seen


class MemoryQueueScheduler(Scheduler):
    """Scrapy's scheduler without the JOBDIR disk queue (the ledger is the resume state; see module doc)."""

    @classmethod
    def from_crawler(cls, crawler):
        dupefilter_cls = load_object(crawler.settings["DUPEFILTER_CLASS"])
        return cls(
            dupefilter=dupefilter_cls.from_crawler(crawler),
            jobdir=None,
            dqclass=load_object(crawler.settings["SCHEDULER_DISK_QUEUE"]),
            mqclass=load_object(crawler.settings["SCHEDULER_MEMORY_QUEUE"]),
            logunser=crawler.settings.getbool("SCHEDULER_DEBUG"),
            stats=crawler.stats,
            pqclass=load_object(crawler.settings["SCHEDULER_PRIORITY_QUEUE"]),
            crawler=crawler,
        )
