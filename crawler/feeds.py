"""User feeds (`scrapy crawl … -O rows.jsonl`): exporters writing a page's records one by one; atomic files."""

# The raw zone is written by crawler.rawzone.RawRunWriter; Scrapy's FeedExporter writes only the feeds a user
# asks for, through these exporters (FEED_EXPORTERS) and, for local files, this storage (FEED_STORAGES).

from __future__ import annotations

import codecs
import json
import os
import tempfile
from typing import IO, Any

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter, XmlItemExporter
from scrapy.extensions.feedexport import FileFeedStorage
from twisted.internet import threads

from crawler.items import RawRows, json_lines
from cricket_contract.columns import known_headers
from cricket_contract.records import LINEAGE_KEYS, REQUIRED_KEYS
from cricket_storage import Location

# `-O rows.csv`: the record's own keys first, then one column per site header (every header the column map
# knows, in its order), then lineage; cells under a header the map does not know go to `other_cells` (JSON),
# a profile's `data` stays one JSON cell. Fixed columns, so every row of a crawl lines up under one header.
_KEYS = tuple(dict.fromkeys(k for keys in REQUIRED_KEYS.values() for k in keys if k not in ("cells", "data")))
_LEAD = ("record", *(k for k in _KEYS if k not in ("source_url", "page")))
CSV_COLUMNS = (
    *_LEAD, *known_headers(), "other_cells", "data", "source_url", "page", *LINEAGE_KEYS, "other_keys"
)  # fmt: skip
_HEADERS = frozenset(known_headers())
_COLUMNS = frozenset(CSV_COLUMNS)


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


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """A raw record as one CSV row: each cell under its header's column, other objects as JSON text."""
    out = {k: v for k, v in row.items() if k not in ("cells", "data")}
    cells = row.get("cells") or {}
    other = {h: v for h, v in cells.items() if h not in _HEADERS or h in out}
    out.update({h: v for h, v in cells.items() if h in _HEADERS and h not in out})
    if other:
        out["other_cells"] = json.dumps(other, ensure_ascii=False)
    if "data" in row:
        out["data"] = json.dumps(row["data"], ensure_ascii=False, default=str)
    extra = {k: out.pop(k) for k in [k for k in out if k not in _COLUMNS]}
    if extra:  # a key the contract does not name yet: kept, never dropped by the fixed columns
        out["other_keys"] = json.dumps(extra, ensure_ascii=False, default=str)
    return out


class RawCsvExporter(_RowsExporter, CsvItemExporter):
    """`-O rows.csv`: one line per raw record, one column per site header (`Span`, `Mat`, …) beside
    `player_id`, `player_cell` and lineage (CSV_COLUMNS); `FEED_EXPORT_FIELDS` picks and orders columns,
    cell headers included."""

    def __init__(self, file, **kwargs):
        kwargs.setdefault("fields_to_export", None)
        if not kwargs["fields_to_export"]:
            kwargs["fields_to_export"] = list(CSV_COLUMNS)
        super().__init__(file, **kwargs)

    def export_item(self, item: RawRows) -> None:
        for row in item.rows:
            CsvItemExporter.export_item(self, flat_row(row))


class RawXmlExporter(_RowsExporter, XmlItemExporter):
    """`-O rows.xml`: one element per raw record."""
