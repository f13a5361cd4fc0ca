"""User feeds (`scrapy crawl … -O rows.jsonl`): exporters writing a page's records one by one; atomic files."""

# The raw zone is written by crawler.rawzone.RawRunWriter; Scrapy's FeedExporter writes only the feeds a user
# asks for, through these exporters (FEED_EXPORTERS) and, for local files, this storage (FEED_STORAGES).

from __future__ import annotations

import codecs
import os
import tempfile
from typing import IO

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter, XmlItemExporter
from scrapy.extensions.feedexport import FileFeedStorage
from twisted.internet import threads

from crawler.items import RawRows, json_lines
from cricket_storage import Location


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed written to a temporary file and stored whole (cricket_storage's atomic write), so a killed
    crawl never leaves a truncated feed that looks finished. An appending feed (`-o`) appends as Scrapy's does."""

    def open(self, spider) -> IO[bytes]:
        if self.write_mode == "ab":
            return super().open(spider)
        return tempfile.NamedTemporaryFile(prefix="cricket-feed-", suffix=".tmp", delete=False)  # noqa: SIM115

    def store(self, file: IO[bytes]):
        if self.write_mode == "ab":
            return super().store(file)
        file.close()
        # Copying a whole feed is storage I/O: on a worker thread, not the reactor's (Scrapy awaits the Deferred).
        return threads.deferToThread(self._store, file.name)

    def _store(self, name: str) -> None:
        try:
            Location.parse(self.path).upload(name)
        finally:
            os.unlink(name)


class _RowsExporter:
    """Mixin for Scrapy's exporters: a page's RawRows is exported as its records, one by one."""

    def export_item(self, item: RawRows) -> None:
        for row in item.rows:
            super().export_item(row)


class RawJsonLinesExporter(_RowsExporter, JsonLinesItemExporter):
    """JSON lines for raw records: one line per row of a page's `RawRows`.

    Raw records are already JSON-ready, so with no field selection and UTF-8 output they skip ItemAdapter's
    per-field walk (crawler.items.json_lines); anything else takes Scrapy's path.
    """

    def __init__(self, file, **kwargs):
        super().__init__(file, **kwargs)
        utf8 = bool(self.encoding) and codecs.lookup(self.encoding).name == "utf-8"
        self._plain = not self.fields_to_export and not self.export_empty_fields and utf8

    def export_item(self, item: RawRows) -> None:
        if self._plain:
            self.file.write(json_lines(item.rows))
        else:
            super().export_item(item)


class RawJsonExporter(_RowsExporter, JsonItemExporter):
    """`-O rows.json`: a JSON array of raw records."""


class RawCsvExporter(_RowsExporter, CsvItemExporter):
    """`-O rows.csv`: one line per raw record."""


class RawXmlExporter(_RowsExporter, XmlItemExporter):
    """`-O rows.xml`: one element per raw record."""
