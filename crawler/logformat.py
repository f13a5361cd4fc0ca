"""Log formatter: no per-row "Scraped from" line (a record object per row costs more than parsing the row)."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class QuietRowsLogFormatter(LogFormatter):
    """Rows are counted in stats and shown by the progress line; dropped rows log at DEBUG."""

    def scraped(self, item, response, spider):
        return None

    def dropped(self, item, exception, response, spider):
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        return entry
