"""Resume after SIGKILL: a dupefilter seeded from the JOBDIR ledger, a scheduler without Scrapy's disk queue."""

from __future__ import annotations

from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.utils.misc import load_object

from crawler.ledger import JobLedger
from crawler.spiders.base import run_id_of


class LedgerDupeFilter(RFPDupeFilter):
    """In-memory request fingerprints, seeded with the pages the ledger says are already stored.

    Only RFPDupeFilter's public parts are used (its constructor, `fingerprinter`, `log`, `close`): the seen
    set is our own, so its private `_fingerprints` / `_fingerprint` may change freely.
    """

    def __init__(self, *, fingerprinter, debug: bool, durable: set[bytes], stats):
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self.durable = durable
        self.seen = set(durable)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        durable: set[bytes] = set()
        fingerprint = crawler.request_fingerprinter.fingerprint
        try:
            entries = JobLedger.from_settings(crawler.settings, run_id_of(crawler)).entries()
        except NotConfigured:  # not a project spider: no run id, no ledger
            entries = []
        for entry in entries:
            durable.update(fingerprint(Request(url)) for url in entry.get("pages", []))
        return cls(
            fingerprinter=crawler.request_fingerprinter,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            durable=durable,
            stats=crawler.stats,
        )

    def request_seen(self, request) -> bool:
        fp = self.fingerprinter.fingerprint(request)
        if fp not in self.seen:
            self.seen.add(fp)
            return False
        if fp in self.durable:
            self.stats.inc_value("cricket/pages_resumed")
        return True


class MemoryQueueScheduler(Scheduler):
    """Scrapy's scheduler without the JOBDIR disk queue (the ledger is the resume state)."""

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
