"""Log formatter: no per-item "Scraped from" line, and no "Crawled" record built unless DEBUG is on."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter

_ENGINE_LOG = logging.getLogger("scrapy.core.engine")


class QuietRowsLogFormatter(LogFormatter):
    """Rows are counted in stats and shown by the progress line; dropped rows log at DEBUG."""

    def scraped(self, item, response, spider):
        return None

    def crawled(self, request, response, spider):
        # Scrapy builds this DEBUG record for every response, then drops it unless DEBUG is on.
        if not _ENGINE_LOG.isEnabledFor(logging.DEBUG):
            return None
        return super().crawled(request, response, spider)

    def dropped(self, item, exception, response, spider):
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        return entry
