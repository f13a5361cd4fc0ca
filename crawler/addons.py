"""Scrapy add-on: user feeds (`-O rows.jsonl`, FEEDS) are single files, whatever FEED_EXPORT_BATCH_ITEM_COUNT says."""

from __future__ import annotations

import re

_BATCHED = re.compile(r"%\((batch_id|batch_time)\)")


class UserFeedsAddon:
    """FEED_EXPORT_BATCH_ITEM_COUNT sizes the raw parts (crawler.rawzone); Scrapy's FeedExporter would also
    apply it to a user's feed and then refuse a URI without `%(batch_id)d`, so such feeds get one file."""

    def update_settings(self, settings) -> None:
        feeds = settings.getdict("FEEDS")
        single = {
            uri: {**opts, "batch_item_count": 0}
            for uri, opts in feeds.items()
            if "batch_item_count" not in opts and not _BATCHED.search(str(uri))
        }
        if single:
            settings.set("FEEDS", {**feeds, **single}, priority=settings.getpriority("FEEDS"))
