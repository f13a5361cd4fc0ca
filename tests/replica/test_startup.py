"""Acceptance: a replica of 15,000 players (real-site scale) serves its first 200-row page in under 20 seconds."""

from __future__ import annotations

import time
import urllib.request

from tests.helpers import start_replica


def test_15000_players_serve_within_20_seconds():
    t0 = time.monotonic()
    srv = start_replica("--players", "15000", "--seed", "7", timeout=120)
    try:
        # The lists are aggregated lazily after the `serving` line: count the first page's wait too.
        with urllib.request.urlopen(
            srv.url + "/ci/engine/stats/index.html?class=11;template=results;type=batting;size=200"
        ) as r:
            assert r.status == 200 and b"Page 1 of" in r.read()
        elapsed = time.monotonic() - t0
    finally:
        srv.stop()
    assert elapsed < 20.0, f"15,000 players took {elapsed:.1f}s to serve their first page"
