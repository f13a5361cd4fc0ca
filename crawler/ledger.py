"""The resume ledger in JOBDIR (`cricket_ledger.jsonl`) and which pages' rows are durably stored."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from cricket_contract.manifest import PartInfo
from cricket_storage import FILE_MODE, Location

LEDGER = "cricket_ledger.jsonl"


class JobLedger:
    """Append-only, one line per stored raw part: the run id, the part, its rows (per record kind) and the
    pages whose rows it completes. A restart with the same JOBDIR and run id skips those pages.

    Scrapy's own JOBDIR state is only safe across a graceful stop: after SIGKILL, requests that were in flight
    are recorded as seen but never answered, and the rows of the part being written are lost; this ledger
    only ever names pages whose rows are in stored parts. Without a JOBDIR it records nothing.
    """

    def __init__(self, jobdir: str | None, run_id: str):
        self.path = os.path.join(jobdir, LEDGER) if jobdir else None
        self.run_id = run_id
        self._lock = threading.Lock()  # parts are stored, and so recorded, from worker threads

    @classmethod
    def from_settings(cls, settings, run_id: str) -> JobLedger:
        return cls(settings.get("JOBDIR") or None, run_id)

    def entries(self) -> list[dict[str, Any]]:
        """The lines of this run id (a JOBDIR reused for another run id does not count)."""
        if self.path is None or not os.path.isfile(self.path):
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by SIGKILL mid-write: its part's pages are simply fetched again
                if isinstance(entry, dict) and entry.get("run_id") == self.run_id:
                    out.append(entry)
        return out

    def parts_for(self, run_uri: str) -> list[tuple[PartInfo, dict[str, int]]]:
        """The parts this run id stored at `run_uri`, as the manifest will list them, with rows per record kind.

        ValueError when the ledger's parts of this run id were stored somewhere else (a JOBDIR reused with
        another --raw: its pages would be skipped and their rows be missing here) or cannot be verified.
        """
        out = []
        for entry in self.entries():
            where = entry.get("raw")
            if where != run_uri:
                raise ValueError(
                    f"JOBDIR {os.path.dirname(self.path or '')} holds run {self.run_id} stored at {where or 'an unrecorded location'}"
                    f", not {run_uri}: resume with the same --raw, or start with a new JOBDIR"
                )
            if not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("bytes"), int):
                raise ValueError(
                    f"JOBDIR {os.path.dirname(self.path or '')}: part {entry.get('part')} of run {self.run_id} was "
                    "recorded by an older crawler (no size or sha256): start with a new JOBDIR"
                )
            info = PartInfo(entry["part"], entry["items"], entry["bytes"], entry["sha256"])
            out.append((info, entry.get("by_record", {})))
        return out

    def append(self, run_uri: str, part: PartInfo, by_record: dict[str, int], pages: list[str]) -> None:
        """Record a stored part (fsynced before it returns: the pages it names are then never fetched again)."""
        if self.path is None:
            return
        entry = {
            "run_id": self.run_id,
            "raw": run_uri,
            "part": part.name,
            "items": part.rows,
            "bytes": part.size,
            "sha256": part.sha256,
            "by_record": by_record,
            "pages": pages,
        }
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with self._lock:
            Location.parse(os.path.dirname(self.path)).makedirs()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            try:
                os.fchmod(fd, FILE_MODE)  # os.open's mode is masked by the umask
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)


class PageTracker:
    """Which data pages have all their rows in stored parts.

    A spider says a page was parsed into `items` items (a page's RawRows is one, or none for a page without
    rows); the writer says into which part each item's last row went, or that the item was dropped. A page is
    durable once every item of it is written or dropped and every part up to the one holding its last row is
    stored: parts are stored concurrently and may finish out of order. Parts are numbered 1, 2, … within
    this process.
    """

    def __init__(self) -> None:
        self.open_pages: dict[str, list[int]] = {}  # page URL → [items not yet written or dropped, last part]
        self.pending: list[tuple[int, str]] = []  # (part that must be stored, page URL)
        self.stored: set[int] = set()
        self.stored_upto = 0  # every part 1..stored_upto is stored

    def page_parsed(self, url: str, items: int) -> None:
        if items <= 0:
            self.pending.append((0, url))  # nothing to store: durable with the next stored part
            return
        self.open_pages.setdefault(url, [0, 0])[0] += items

    def item_done(self, url: str | None, part: int) -> None:
        """An item of the page at `url` was written (its last row into `part`) or dropped (`part` 0)."""
        entry = self.open_pages.get(url) if url else None
        if entry is None:
            return  # not a tracked data page (a profile, or a page parsed before a resume)
        entry[0] -= 1
        entry[1] = max(entry[1], part)
        if entry[0] <= 0:
            del self.open_pages[url]
            self.pending.append((entry[1], url))

    def part_stored(self, part: int) -> list[str]:
        """Part `part` is stored: the pages that became durable with it."""
        self.stored.add(part)
        while self.stored_upto + 1 in self.stored:
            self.stored_upto += 1
        durable = [url for p, url in self.pending if p <= self.stored_upto]
        self.pending = [(p, url) for p, url in self.pending if p > self.stored_upto]
        return durable
