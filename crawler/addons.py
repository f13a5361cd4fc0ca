"""Scrapy add-on that builds the raw FEEDS entry once every settings source (-s, env, project) is applied."""

from __future__ import annotations

import re

from crawler.feeds import feed_uri, raw_uri

_BATCHED = re.compile(r"%\((batch_id|batch_time)\)")


class RawFeedAddon:
    """FEEDS = {<raw>/<spider>/run_id=<run>/part-NNNNN.jsonl.gz: jsonlines, gzip, batches}."""

    def update_settings(self, settings) -> None:
        raw = raw_uri(settings)
        settings.set("CRICKET_RAW_URI", raw, priority="addon")
        feeds = settings.getdict("FEEDS")
        if feeds:
            # An explicit FEEDS (e.g. -s FEEDS=… or `scrapy crawl -O rows.jsonl`) wins. The raw feed's
            # FEED_EXPORT_BATCH_ITEM_COUNT would make Scrapy refuse a single-file feed: those get one file.
            single = {
                uri: {**opts, "batch_item_count": 0}
                for uri, opts in feeds.items()
                if "batch_item_count" not in opts and not _BATCHED.search(str(uri))
            }
            if single:
                settings.set("FEEDS", {**feeds, **single}, priority=settings.getpriority("FEEDS"))
            return
        settings.set(
            "FEEDS",
            {
                feed_uri(raw): {
                    "format": "jsonlines",
                    "encoding": "utf-8",
                    "postprocessing": ["scrapy.extensions.postprocessing.GzipPlugin"],
                    # Level 3: a raw part 19% bigger than at 6 for 40% of the CPU (the crawl's CPU is
                    # its limit on a fast link); -s CRICKET_GZIP_LEVEL=9 when storage matters more.
                    "gzip_compresslevel": settings.getint("CRICKET_GZIP_LEVEL", 3),
                    "uri_params": "crawler.feeds.uri_params",
                    "store_empty": False,
                    "overwrite": True,
                }
            },
            priority="addon",
        )
