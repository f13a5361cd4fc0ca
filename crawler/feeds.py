"""Raw feeds through Scrapy's feed exports: the FEEDS entry, run-dir URI params and an atomic file storage."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from tempfile import NamedTemporaryFile
from typing import IO, Any

import orjson
from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter, XmlItemExporter
from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage, apply_uri_params
from w3lib.url import file_uri_to_path

from crawler.items import RawRows
from crawler.runid import run_id_of
from crawler.storage import Location, list_names, part_numbers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RAW_URI = (REPO / "data" / "raw").as_uri()
_UMASK = os.umask(0o022)
os.umask(_UMASK)
PART_TEMPLATE = "%(cricket_raw)s/%(name)s/run_id=%(run_id)s/part-%(batch_id)05d.jsonl.gz"


def raw_uri(settings) -> str:
    """CRICKET_RAW_URI from -s, else the environment, else ./data/raw of the repo; paths become file:// URIs."""
    value = settings.get("CRICKET_RAW_URI") or os.environ.get("CRICKET_RAW_URI") or DEFAULT_RAW_URI
    return Location.parse(value).uri


def feed_uri(raw: str) -> str:
    """The FEEDS key: scheme fixed now (so Scrapy picks the storage), the rest filled per batch."""
    scheme, rest = raw.split("://", 1)
    return f"{scheme}://{PART_TEMPLATE.replace('%(cricket_raw)s', rest.rstrip('/'))}"


def run_location(raw: str, spider_name: str, run_id: str) -> Location:
    return Location.parse(raw).child(spider_name, f"run_id={run_id}")


def uri_params(params: dict[str, Any], spider) -> dict[str, Any]:
    """FEED_URI_PARAMS: number parts after those already in the run directory.

    A resumed run (same run id) thus never overwrites the parts an earlier attempt stored.
    """
    offset = getattr(spider, "_cricket_part_offset", None)
    if offset is None:
        run = run_location(raw_uri(spider.settings), spider.name, run_id_of(spider))
        numbers = part_numbers(list_names(run))
        offset = numbers[-1] if numbers else 0
        spider._cricket_part_offset = offset
    params["batch_id"] = params["batch_id"] + offset
    params["run_id"] = run_id_of(spider)
    return params


class AtomicFileFeedStorage(FileFeedStorage):
    """Local feed storage that writes to a hidden temp file and renames it into place when the batch is stored.

    Scrapy's FileFeedStorage writes the final name directly, so a killed crawl would leave a truncated
    gzip part that looks finished.
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None):
        super().__init__(uri, feed_options=feed_options)
        self.path = file_uri_to_path(uri) if uri.startswith("file:") else uri
        self._tmp: str | None = None

    def open(self, spider) -> IO[bytes]:
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fh = NamedTemporaryFile(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent, delete=False)
        self._tmp = fh.name
        return fh

    def store(self, file: IO[bytes]) -> None:
        if not file.closed:
            file.flush()
            os.fsync(file.fileno())
            file.close()
        assert self._tmp
        os.chmod(self._tmp, 0o666 & ~_UMASK)  # temp files are created 0600; a part is an ordinary file
        os.replace(self._tmp, self.path)
        return None


class _RowsExporter:
    """Mixin for Scrapy's exporters: a page's RawRows is exported as its records, one by one."""

    def export_item(self, item) -> None:
        if type(item) is RawRows:
            for row in item.rows:
                super().export_item(row)
        else:
            super().export_item(item)


_LINE = orjson.OPT_APPEND_NEWLINE


class RawJsonLinesExporter(_RowsExporter, JsonLinesItemExporter):
    """JSON lines for raw records: one line per row of a page's `RawRows`, one per plain-dict record.

    Raw records are already JSON-ready (strings, ints, nulls and one dict of strings), so they skip
    ItemAdapter's per-field walk; anything else takes Scrapy's path.
    """

    def __init__(self, file, **kwargs):
        super().__init__(file, **kwargs)
        # orjson writes UTF-8 (as FEED_EXPORT_ENCODING asks) at a tenth of the json module's cost.
        utf8 = bool(self.encoding) and codecs.lookup(self.encoding).name == "utf-8"
        self._plain = not self.fields_to_export and not self.export_empty_fields and utf8

    def export_item(self, item) -> None:
        kind = type(item)
        if self._plain and kind is RawRows:
            self.file.write(b"".join([orjson.dumps(r, option=_LINE) for r in item.rows]))
        elif self._plain and kind is dict:
            self.file.write(orjson.dumps(item, option=_LINE))
        else:
            super().export_item(item)


class RawJsonExporter(_RowsExporter, JsonItemExporter):
    """`-O rows.json`: a JSON array of raw records."""


class RawCsvExporter(_RowsExporter, CsvItemExporter):
    """`-O rows.csv`: one line per raw record (`cells` as its JSON text)."""


class RawXmlExporter(_RowsExporter, XmlItemExporter):
    """`-O rows.xml`: one element per raw record."""


class RawFeedExporter(FeedExporter):
    """Scrapy's feed exports, counting raw records rather than items.

    A page's `RawRows` item carries many records: FEED_EXPORT_BATCH_ITEM_COUNT stays a number of
    records per part (a page's rows are split at the part boundary), and the run ledger learns which
    part holds each page's rows.
    """

    def item_scraped(self, item, spider) -> None:
        ledger = getattr(self.crawler, "cricket_ledger", None)
        tracked = next(iter(self.feeds), None) if ledger is not None else None
        slots = []
        for slot in self.slots:
            if not slot.filter.accepts(item):
                slots.append(slot)
                continue
            rows = item.rows if type(item) is RawRows else None
            total = len(rows) if rows is not None else 1
            batch = self.feeds[slot.uri_template]["batch_item_count"]
            done = 0
            while True:
                take = total - done if not batch else min(total - done, batch - slot.itemcount)
                if take > 0:
                    chunk = rows[done : done + take] if rows is not None else None
                    slot.start_exporting()
                    assert slot.exporter
                    whole = chunk is None or take == total
                    slot.exporter.export_item(item if whole else RawRows(item.source_url, chunk))
                    slot.itemcount += take
                    done += take
                    if slot.uri_template == tracked:
                        ledger.rows_written(slot.batch_id, chunk if chunk is not None else (item,))
                if batch and slot.itemcount >= batch:
                    uri_params = self._get_uri_params(
                        spider, self.feeds[slot.uri_template]["uri_params"], slot
                    )
                    self._schedule_slot_close(slot, spider)
                    slot = self._start_new_batch(
                        batch_id=slot.batch_id + 1,
                        uri=apply_uri_params(slot.uri_template, uri_params),
                        feed_options=self.feeds[slot.uri_template],
                        spider=spider,
                        uri_template=slot.uri_template,
                    )
                if done >= total:
                    break
            if slot.uri_template == tracked:
                ledger.item_written(item, last_batch=slot.batch_id if slot.itemcount else slot.batch_id - 1)
            slots.append(slot)
        self.slots = slots
