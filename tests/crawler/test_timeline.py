"""The crawl's progress timeline (crawler/timeline.py): counts per bucket, coarser buckets for a long crawl,
and the stat reaching a real crawl's manifest through the raw-run writer."""

from __future__ import annotations

import json

from crawler.timeline import MAX_BUCKETS, Timeline


def test_counts_land_in_their_bucket_and_every_series_spans_the_crawl():
    t = Timeline(100.0, "2026-12-01T00:00:00Z", bucket_s=5)
    for now in (100.0, 101.0, 104.9, 105.0, 117.0):
        t.add("requests", now)
    t.add("retries", 106.0)
    doc = json.loads(t.snapshot())
    assert doc["bucket_s"] == 5
    assert doc["requests"] == [3, 1, 0, 1]
    assert doc["retries"] == [0, 1, 0, 0] and doc["http_errors"] == [0, 0, 0, 0]


def test_a_long_crawl_doubles_the_bucket_and_keeps_every_count():
    t = Timeline(0.0, "2026-12-01T00:00:00Z")
    seconds = 10 * 3600
    for s in range(0, seconds, 7):
        t.add("requests", float(s))
    doc = json.loads(t.snapshot())
    assert len(doc["requests"]) <= MAX_BUCKETS
    assert sum(doc["requests"]) == len(range(0, seconds, 7))
    assert doc["bucket_s"] * len(doc["requests"]) >= seconds
